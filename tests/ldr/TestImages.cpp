#include "tests/ldr/TestImages.h"

#include <fstream>
#include <stdexcept>

namespace ntoy::ldr::test {

PeBuilder returnZeroExe(const std::vector<ImportSpec>& imports) {
    PeBuilder b;
    b.entryPoint = b.addSection(".text", kText, bytesOf("\x31\xC0\xC3"));  // xor eax, eax; ret
    if (!imports.empty())
        b.addImportSection(imports);
    return b;
}

PeBuilder dllExporting(const std::string& name, const std::vector<std::string>& exports,
                       const std::vector<ImportSpec>& imports, std::uint64_t imageBase) {
    PeBuilder b;
    b.characteristics |= pe::kFileDll;
    b.imageBase = imageBase;
    const std::uint32_t text =
        b.addSection(".text", kText, std::vector<std::byte>(exports.size() + 1, std::byte{0xC3}));
    std::vector<ExportSpec> specs;
    for (std::size_t i = 0; i < exports.size(); ++i)
        specs.push_back({.name = exports[i],
                         .ordinal = static_cast<std::uint16_t>(i + 1),
                         .rva = text + static_cast<std::uint32_t>(i),
                         .forwarder = {}});
    b.addExportSection(name, 1, specs);
    if (!imports.empty())
        b.addImportSection(imports);
    return b;
}

void writeImage(const std::filesystem::path& path, const std::vector<std::byte>& bytes) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out)
        throw std::runtime_error("cannot write " + path.string());
}

}  // namespace ntoy::ldr::test
