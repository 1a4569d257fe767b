// `ntoy report TRACE.jsonl -o FILE.html`: the report (docs/report.md) of a run, built from the
// trace `ntoy run --trace` wrote. The same events through the same builder as `ntoy run
// --report`, so the two agree. Exit status 0, or 2 when the trace cannot be read or is not a
// trace, or the report cannot be written.
#pragma once

#include <CLI/CLI.hpp>

#include <expected>
#include <string>

namespace ntoy::cli {

struct ReportOptions {
    std::string trace;
    std::string output;
    std::string title;
};

CLI::App* addReportCommand(CLI::App& app, ReportOptions& options);
int runReportCommand(const ReportOptions& options);

// Whether `ntoy run --report PATH` (beside `--trace TRACE`, if any) can write its report, asked
// before the guest runs: a message if not. Changes nothing on disk (an existing file is kept
// as it is until the report replaces it).
std::expected<void, std::string> checkReportPath(const std::string& path, const std::string& trace);

}  // namespace ntoy::cli
