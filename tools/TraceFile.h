// `--trace FILE`: the JSON Lines file (or, for `-`, standard output) and the sink that writes
// the trace's events to it.
#pragma once

#include <expected>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>

#include "kernel/kd/TraceWriter.h"

namespace ntoy::cli {

class TraceFile {
public:
    // Creates (or truncates) `path`; a message if it cannot be written. "-" is standard
    // output, where each event is flushed as it is written so that it keeps its place among
    // the guest's own output.
    static std::expected<std::unique_ptr<TraceFile>, std::string> open(const std::string& path);

    // The sink holds a reference to the stream: a TraceFile stays where it was made.
    TraceFile(const TraceFile&) = delete;
    TraceFile& operator=(const TraceFile&) = delete;

    kd::TraceSink& sink() { return sink_; }

private:
    explicit TraceFile(std::ofstream file) : file_(std::move(file)), sink_(file_) {}
    explicit TraceFile(std::ostream& standardOutput)
        : sink_(standardOutput, kd::StreamSink::Flush::EachEvent) {}
    std::ofstream file_;
    kd::StreamSink sink_;
};

}  // namespace ntoy::cli
