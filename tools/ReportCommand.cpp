#include "tools/ReportCommand.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "kernel/ExitStatus.h"
#include "kernel/kd/ReportBuilder.h"
#include "kernel/kd/ReportPage.h"

namespace ntoy::cli {

CLI::App* addReportCommand(CLI::App& app, ReportOptions& options) {
    auto* cmd = app.add_subcommand(
        "report",
        "Build an HTML report (address spaces, physical memory, a fault timeline, "
        "the pools) from a trace written by ntoy run --trace");
    cmd->add_option("trace", options.trace, "The JSON Lines trace")->required();
    cmd->add_option("-o,--output", options.output, "The HTML file to write")
        ->required()
        ->option_text("FILE.html");
    cmd->add_option("--title", options.title,
                    "The report's title (default: the first process's image name)");
    return cmd;
}

namespace {

// The same file, however each is spelled (relative, with ./ or .., through a symbolic link),
// whether or not it exists yet.
bool sameFile(const std::string& a, const std::string& b) {
    namespace fs = std::filesystem;
    std::error_code ignored;
    return fs::weakly_canonical(fs::absolute(a, ignored), ignored) ==
           fs::weakly_canonical(fs::absolute(b, ignored), ignored);
}

}  // namespace

std::expected<void, std::string> checkReportPath(const std::string& path,
                                                 const std::string& trace) {
    namespace fs = std::filesystem;
    if (path == "-")
        return std::unexpected("--report writes a file (- is standard output for --trace only)");
    if (!trace.empty() && trace != "-" && sameFile(path, trace))
        return std::unexpected(fmt::format("--report and --trace both name {}", path));
    std::error_code ignored;
    if (fs::is_directory(path, ignored))
        return std::unexpected(fmt::format("cannot write the report {}: Is a directory", path));
    // Nothing is created or changed: an existing file (or what a symbolic link names) must be
    // writable, else its folder.
    const bool exists = fs::exists(path, ignored);
    const fs::path folder = fs::absolute(path, ignored).parent_path();
    if (::access(exists ? path.c_str() : folder.c_str(), W_OK) != 0)
        return std::unexpected(
            fmt::format("cannot write the report {}: {}", path, std::strerror(errno)));
    return {};
}

int runReportCommand(const ReportOptions& options) {
    if (sameFile(options.trace, options.output)) {
        fmt::print(stderr, "ntoy: the report would replace its own trace {}\n", options.trace);
        return kExitUsage;
    }
    if (std::error_code ignored; std::filesystem::is_directory(options.trace, ignored)) {
        fmt::print(stderr, "ntoy: cannot read the trace {}: Is a directory\n", options.trace);
        return kExitUsage;
    }
    std::ifstream in(options.trace);
    if (!in) {
        fmt::print(stderr, "ntoy: cannot read the trace {}: {}\n", options.trace,
                   std::strerror(errno));
        return kExitUsage;
    }
    kd::ReportBuilder builder;
    auto read = kd::readTrace(in, builder);
    if (!read) {
        fmt::print(stderr, "ntoy: {}: {}\n", options.trace, read.error());
        return kExitUsage;
    }
    if (read->cutShort)
        fmt::print(stderr,
                   "ntoy: {}: its last line is cut short (a run that was stopped?): the report "
                   "is of the {} lines before it\n",
                   options.trace, read->lines);
    if (builder.events() == 0) {
        fmt::print(stderr, "ntoy: {}: the trace has no events\n", options.trace);
        return kExitUsage;
    }
    const std::string title = !options.title.empty()          ? options.title
                              : !builder.firstImage().empty() ? builder.firstImage()
                                                              : options.trace;
    const std::string source =
        fmt::format("ntoy report {}", std::filesystem::path(options.trace).filename().string());
    if (auto written = kd::writeReport(options.output, builder.model(title, source)); !written) {
        fmt::print(stderr, "ntoy: {}\n", written.error());
        return kExitUsage;
    }
    return 0;
}

}  // namespace ntoy::cli
