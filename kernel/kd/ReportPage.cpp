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
    // failing the report. Every <, > and & (only ever inside JSON strings) is written as its
    // \u escape, the same string to JSON, so that no text in the model can end the script
    // element holding it or open a comment ("<!--<script>") that would swallow the end.
    const std::string dumped = model.dump(-1, ' ', false, Json::error_handler_t::replace);
    std::string data;
    data.reserve(dumped.size() + dumped.size() / 16);
    for (const char c : dumped) {
        switch (c) {
            case '<':
                data += "\\u003c";
                break;
            case '>':
                data += "\\u003e";
                break;
            case '&':
                data += "\\u0026";
                break;
            default:
                data += c;
        }
    }
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
