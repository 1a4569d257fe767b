// ntoy_write_test_images DIR: writes the hostile images the guest tests run under ntoy
// (tests/guest/CMakeLists.txt), each refused at load with one line and exit status 2:
//
//   DIR/app/import_absolute_path.exe    imports from "/etc/passwd"
//   DIR/app/deep/import_parent_path.exe imports from "../../outside/evil.dll", which names
//                                       DIR/outside/evil.dll, a valid DLL: a loader that took
//                                       the name as a path would load and run it
//   DIR/app/import_backslash_path.exe   imports from "..\\outside\\evil.dll"
#include <cstdio>
#include <exception>

#include "tests/ldr/TestImages.h"

namespace {

using namespace ntoy::ldr::test;

void writeAll(const std::filesystem::path& dir) {
    const std::vector<ImportSpec> evilImport = {
        {"../../outside/evil.dll", {ImportSymbolSpec::byName("Anything")}}};
    writeImage(dir / "outside" / "evil.dll", dllExporting("evil.dll", {"Anything"}).build());
    writeImage(dir / "app" / "deep" / "import_parent_path.exe", returnZeroExe(evilImport).build());
    writeImage(dir / "app" / "import_absolute_path.exe",
               returnZeroExe({{"/etc/passwd", {ImportSymbolSpec::byName("Anything")}}}).build());
    writeImage(
        dir / "app" / "import_backslash_path.exe",
        returnZeroExe({{"..\\outside\\evil.dll", {ImportSymbolSpec::byName("Anything")}}}).build());

}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    try {
        writeAll(argv[1]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
