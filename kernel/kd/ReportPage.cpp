#include "kernel/kd/ReportPage.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "kernel/kd/ReportAssets.h"

namespace ntoy::kd {
namespace {

struct Piece {
    std::string_view placeholder, content;
    std::size_t at = std::string_view::npos;
};

}  // namespace

std::string reportHtml(const Json& model) {
    // Names from the guest's files need not be UTF-8: such bytes become U+FFFD rather than
    // failing the report. "</" is written "<\/" (the same JSON string) so that no text in the
    // model can close the script element holding it.
    std::string data = model.dump(-1, ' ', false, Json::error_handler_t::replace);
    for (std::size_t at = 0; (at = data.find("</", at)) != std::string::npos; at += 3)
        data.replace(at, 2, "<\\/");
    // Each placeholder is found in the template itself, so that nothing inserted is taken for
    // one.
    std::array<Piece, 4> pieces = {{{"/*NTOY:CSS*/", kReportCss},
                                    {"/*NTOY:CHARTJS*/", kChartJs},
                                    {"/*NTOY:DATA*/", data},
                                    {"/*NTOY:JS*/", kReportJs}}};
    for (Piece& p : pieces)
        p.at = kReportHtml.find(p.placeholder);
    std::ranges::sort(pieces, {}, &Piece::at);
    std::string html;
    html.reserve(kReportHtml.size() + kReportCss.size() + kChartJs.size() + data.size() +
                 kReportJs.size());
    std::size_t done = 0;
    for (const Piece& p : pieces) {
        if (p.at == std::string_view::npos)
            continue;
        html.append(kReportHtml.substr(done, p.at - done));
        html.append(p.content);
        done = p.at + p.placeholder.size();
    }
    html.append(kReportHtml.substr(done));
    return html;
}

std::expected<void, std::string> writeReport(const std::string& path, const Json& model) {
    std::ofstream out(path, std::ios::out | std::ios::trunc | std::ios::binary);
    if (!out)
        return std::unexpected(
            fmt::format("cannot write the report {}: {}", path, std::strerror(errno)));
    out << reportHtml(model);
    out.close();
    if (!out)
        return std::unexpected(fmt::format("writing the report {} failed", path));
    return {};
}

}  // namespace ntoy::kd
