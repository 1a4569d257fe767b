// The report as one self-contained HTML file: the page template with its style, Chart.js, the
// model (ReportBuilder) as JSON, and the script that draws it. No network, nothing else.
#pragma once

#include <expected>
#include <string>

#include "kernel/kd/MemorySnapshot.h"

namespace ntoy::kd {

std::string reportHtml(const Json& model);

// Writes reportHtml(model) to `path` (created or truncated); a message if it cannot.
std::expected<void, std::string> writeReport(const std::string& path, const Json& model);

}  // namespace ntoy::kd
