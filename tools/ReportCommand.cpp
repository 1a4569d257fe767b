#include "tools/ReportCommand.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

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

int runReportCommand(const ReportOptions& options) {
    std::ifstream in(options.trace);
    if (!in) {
        fmt::print(stderr, "ntoy: cannot read the trace {}: {}\n", options.trace,
                   std::strerror(errno));
        return kExitUsage;
    }
    kd::ReportBuilder builder;
    if (auto read = kd::readTrace(in, builder); !read) {
        fmt::print(stderr, "ntoy: {}: {}\n", options.trace, read.error());
        return kExitUsage;
    }
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
