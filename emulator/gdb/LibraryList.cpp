#include "emulator/gdb/LibraryList.h"

#include <fmt/format.h>

#include <filesystem>

#include "kernel/ldr/ImageFile.h"
#include "kernel/ldr/PeImage.h"

namespace ntoy::gdb {
namespace {

std::string xmlEscape(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

bool sameFile(const std::string& a, std::string_view b) {
    std::error_code ec;
    return std::filesystem::equivalent(a, b, ec);
}

}  // namespace

std::vector<Library> librariesOf(const ps::Process& process, std::string_view executablePath) {
    std::vector<Library> libraries;
    for (const ps::LoadedImage& image : process.images()) {
        if (sameFile(image.path, executablePath))
            continue;
        const auto file = ldr::readImageFile(image.path);
        const auto parsed = file ? ldr::PeImage::parse(*file) : std::unexpected(file.error());
        if (!parsed || parsed->sections().empty())
            continue;
        libraries.push_back({std::filesystem::absolute(image.path).string(),
                             image.base.value() + parsed->sections().front().virtualAddress});
    }
    return libraries;
}

std::string libraryListXml(std::span<const Library> libraries) {
    std::string xml = "<library-list>";
    for (const Library& l : libraries)
        xml += fmt::format("<library name=\"{}\"><segment address=\"{:#x}\"/></library>",
                           xmlEscape(l.path), l.segmentAddress);
    return xml + "</library-list>";
}

}  // namespace ntoy::gdb
