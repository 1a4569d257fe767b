// The report page's assets, built into ntoy (kernel/kd/EmbedReportAssets.cmake), so that a
// report is one self-contained file: the template with its four placeholders, the style, the
// script, and Chart.js.
#pragma once

#include <string_view>

namespace ntoy::kd {

extern const std::string_view kReportHtml;
extern const std::string_view kReportCss;
extern const std::string_view kReportJs;
extern const std::string_view kChartJs;

}  // namespace ntoy::kd
