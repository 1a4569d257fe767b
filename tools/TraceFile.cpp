#include "tools/TraceFile.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <iostream>

namespace ntoy::cli {

std::expected<std::unique_ptr<TraceFile>, std::string> TraceFile::open(const std::string& path) {
    if (path == "-")
        return std::unique_ptr<TraceFile>(new TraceFile(std::cout));
    std::ofstream out(path, std::ios::out | std::ios::trunc);
    if (!out)
        return std::unexpected(
            fmt::format("cannot write the trace file {}: {}", path, std::strerror(errno)));
    return std::unique_ptr<TraceFile>(new TraceFile(std::move(out)));
}

}  // namespace ntoy::cli
