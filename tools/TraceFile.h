// `--trace FILE`: the JSON Lines file and the kernel observer that writes it.
#pragma once

#include <expected>
#include <fstream>
#include <memory>
#include <string>

#include "kernel/kd/TraceWriter.h"

namespace ntoy::cli {

class TraceFile {
public:
    // Creates (or truncates) `path`; a message if it cannot be written.
    static std::expected<std::unique_ptr<TraceFile>, std::string> open(const std::string& path);

    // The writer holds a reference to the stream: a TraceFile stays where it was made.
    TraceFile(const TraceFile&) = delete;
    TraceFile& operator=(const TraceFile&) = delete;

    kd::TraceWriter& writer() { return writer_; }

private:
    explicit TraceFile(std::ofstream out) : out_(std::move(out)) {}
    std::ofstream out_;
    kd::TraceWriter writer_{out_};
};

}  // namespace ntoy::cli
