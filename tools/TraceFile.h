// `--trace FILE`: the JSON Lines file (or, for `-`, standard output) and the kernel observer
// that writes it.
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

    // The writer holds a reference to the stream: a TraceFile stays where it was made.
    TraceFile(const TraceFile&) = delete;
    TraceFile& operator=(const TraceFile&) = delete;

    kd::TraceWriter& writer() { return writer_; }

private:
    explicit TraceFile(std::ofstream file) : file_(std::move(file)), writer_(file_) {}
    explicit TraceFile(std::ostream& standardOutput)
        : writer_(standardOutput, kd::TraceWriter::Flush::EachEvent) {}
    std::ofstream file_;
    kd::TraceWriter writer_;
};

}  // namespace ntoy::cli
