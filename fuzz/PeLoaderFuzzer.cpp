// Fuzz target: a hostile file given to the PE loader.
//
// The bytes are parsed on their own (PeImage::parse must accept them or say why, and an
// accepted image must survive what the loader does with one: layout, rebasing, every import
// and export looked up), then loaded as an executable by the kernel, through Kernel::load, on a
// machine without a CPU (tests/kernel/fakes/FakeMachine.h), importing the real guest DLLs from
// the images folder. Loading must succeed or fail with a message; either way the memory
// manager's invariants hold, and when the process goes (the next input's load replaces it)
// every frame and page of commit it took comes back. The kernel here is the checked kernel,
// which verifies that itself and bug-checks when it does not hold.
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <span>

#include "fuzz/FuzzSupport.h"
#include "kernel/Kernel.h"
#include "kernel/ldr/PeImage.h"
#include "tests/kernel/fakes/FakeMachine.h"

namespace ntoy::fuzz {
namespace {

namespace fs = std::filesystem;

// 32 MiB: room for the DLLs and a large image, small enough that commit runs out.
constexpr std::uint64_t kFrames = 8192;

struct LoaderWorld {
    test::FakeMachine machine{kFrames};
    std::unique_ptr<Kernel> kernel;
    fs::path folder;  // where each input is written, as the executable's own folder
    fs::path image;

    LoaderWorld() {
        auto booted = Kernel::boot(machine);
        if (!booted)
            fail(fmt::format("cannot boot: {}", booted.error()));
        kernel = std::move(*booted);
        std::string pattern = (fs::temp_directory_path() / "ntoy-fuzz-pe-XXXXXX").string();
        if (!::mkdtemp(pattern.data()))
            fail("cannot make a temporary folder");
        folder = pattern;
        image = folder / "fuzz.exe";
    }
    ~LoaderWorld() {
        std::error_code ec;
        fs::remove_all(folder, ec);
    }
};

LoaderWorld& world() {
    static LoaderWorld w;
    return w;
}

// What the loader does with an accepted image, and a little more: every export by name and
// by ordinal, and a move to two other bases.
void exercise(const ldr::PeImage& image) {
    std::vector<std::byte> mapped(image.mappedImage().begin(), image.mappedImage().end());
    if (mapped.size() != image.sizeOfImage())
        fail("the mapped image is not SizeOfImage bytes");
    for (const ldr::ImportedModule& module : image.imports())
        for (const ldr::ImportedSymbol& symbol : module.symbols)
            if (!image.bytesAtRva(symbol.iatRva, 8))
                fail("an import's IAT slot lies outside the image");
    for (const ldr::ExportedName& name : image.exports().names())
        if (!image.exportByName(name.name))
            fail("an exported name cannot be found by that name");
    for (std::uint32_t ordinal = 0; ordinal < 0x20; ++ordinal)
        (void)image.exportByOrdinal(static_cast<std::uint16_t>(ordinal));
    for (std::uint64_t base : {image.imageBase() + 0x10000000, std::uint64_t{0x10000}}) {
        std::vector<std::byte> moved = mapped;
        (void)image.applyRelocations(moved, base);
    }
}

}  // namespace
}  // namespace ntoy::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ntoy;
    fuzz::LoaderWorld& w = fuzz::world();
    const auto bytes = std::as_bytes(std::span(data, size));
    if (auto image = ldr::PeImage::parse(bytes)) {
        fuzz::exercise(*image);
    } else if (image.error().message.empty()) {
        fuzz::fail("a rejected image has no message");
    }

    {
        std::ofstream out(w.image, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
        if (!out)
            fuzz::fail(fmt::format("cannot write {}", w.image.string()));
    }
    const auto loaded = w.kernel->load(w.image, {w.image.string()}, fuzz::imagesDir());
    if (!loaded && loaded.error().kind != RunError::Kind::BadImage)
        fuzz::fail(fmt::format("the loader failed the machine: {}", loaded.error().message));
    if (!loaded && loaded.error().message.empty())
        fuzz::fail("a refused image has no message");
    fuzz::checkKernel(*w.kernel);
    return 0;
}
