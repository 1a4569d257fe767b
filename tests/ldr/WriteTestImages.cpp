// ntoy_write_test_images DIR: writes the hostile images the guest tests run under ntoy
// (tests/guest/CMakeLists.txt), each refused at load with one line and exit status 2:
//
//   DIR/app/import_absolute_path.exe    imports from "/etc/passwd"
//   DIR/app/deep/import_parent_path.exe imports from "../../outside/evil.dll", which names
//                                       DIR/outside/evil.dll, a valid DLL: a loader that took
//                                       the name as a path would load and run it
//   DIR/app/import_backslash_path.exe   imports from "..\\outside\\evil.dll"
//   DIR/app/stack_*.exe                 out-of-range SizeOfStackReserve / SizeOfStackCommit
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

    struct Stack {
        const char* name;
        std::uint64_t reserve, commit;
    };
    for (const Stack& s : {Stack{"stack_reserve_all_ones", ~0ull, 0x1000},
                           Stack{"stack_reserve_1tib", 1ull << 40, 0x1000},
                           Stack{"stack_commit_all_ones", 0x100000, ~0ull},
                           Stack{"stack_commit_1gib", 0x100000, 1ull << 30}}) {
        PeBuilder b = returnZeroExe();
        b.stackReserve = s.reserve;
        b.stackCommit = s.commit;
        writeImage(dir / "app" / (std::string(s.name) + ".exe"), b.build());
    }
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
