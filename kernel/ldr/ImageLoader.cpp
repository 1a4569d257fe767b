#include "kernel/ldr/ImageLoader.h"

#include <fmt/format.h>

#include <cstring>

#include "kernel/ldr/AsciiText.h"
#include "kernel/ldr/ImageFile.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy::ldr {
namespace {

constexpr int kMaxImportDepth = 32;
constexpr std::uint32_t kImageAllocationProtect = 0x80;  // PAGE_EXECUTE_WRITECOPY, as Windows shows

bool isKnownDll(std::string_view name) {
    return asciiEqualsIgnoreCase(name, "ntdll.dll") || asciiEqualsIgnoreCase(name, "kernel32.dll");
}

// Image section protections become copy-on-write where writable, as in a Windows image view.
mm::MmProtection imageProtection(std::uint32_t pageProtect) {
    if (pageProtect == mm::page::kReadWrite)
        pageProtect = mm::page::kWriteCopy;
    if (pageProtect == mm::page::kExecuteReadWrite)
        pageProtect = mm::page::kExecuteWriteCopy;
    return *mm::MmProtection::fromWin32(pageProtect);
}

// The file in `dir` whose name matches `name` ignoring ASCII case, as Windows finds DLLs.
std::optional<std::filesystem::path> findIgnoringCase(const std::filesystem::path& dir,
                                                      std::string_view name) {
    std::error_code ec;
    const auto exact = dir / std::string(name);
    if (std::filesystem::is_regular_file(exact, ec))
        return exact;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (asciiEqualsIgnoreCase(it->path().filename().string(), name) && it->is_regular_file(ec))
            return it->path();
    }
    return std::nullopt;
}

}  // namespace

ImageLoader::ImageLoader(ps::Process& process, std::filesystem::path systemDir)
    : process_(process), systemDir_(std::move(systemDir)) {}

const ImageLoader::Module* ImageLoader::find(std::string_view dllName) const {
    for (const auto& m : modules_)
        if (asciiEqualsIgnoreCase(m->name, dllName))
            return m.get();
    return nullptr;
}

std::expected<const ImageLoader::Module*, LoadError> ImageLoader::loadExecutable(
    const std::filesystem::path& path) {
    appDir_ = path.parent_path();
    auto exe = map(path, 0);
    if (!exe)
        return exe;
    if ((*exe)->image->isDll())
        return std::unexpected(LoadError{"is a DLL, not an executable"});
    if (!(*exe)->image->hasEntryPoint())
        return std::unexpected(LoadError{"has no entry point"});
    // ntdll is always there, as on Windows: the thread starts in it.
    if (!find("ntdll.dll")) {
        auto ntdll = loadDll("ntdll.dll", **exe, 1);
        if (!ntdll)
            return std::unexpected(ntdll.error());
    }
    return exe;
}

std::expected<const ImageLoader::Module*, LoadError> ImageLoader::loadDll(std::string_view name,
                                                                          const Module& importer,
                                                                          int depth) {
    if (const Module* m = find(name))
        return m;
    std::vector<std::filesystem::path> dirs;
    if (!isKnownDll(name))
        dirs.push_back(appDir_.empty() ? "." : appDir_);
    dirs.push_back(systemDir_);
    for (const auto& dir : dirs) {
        const auto found = findIgnoringCase(dir, name);
        if (!found)
            continue;
        const auto& candidate = *found;
        auto m = map(candidate, depth);
        if (!m)
            return std::unexpected(
                LoadError{fmt::format("{}: {}", candidate.string(), m.error().message)});
        return m;
    }
    return std::unexpected(LoadError{fmt::format("cannot find {} (imported by {}; looked in {})",
                                                 name, importer.name, systemDir_.string())});
}

std::expected<VirtualAddress, LoadError> ImageLoader::chooseBase(const PeImage& image) {
    const std::uint64_t size = alignUp(image.sizeOfImage(), kPageSize);
    const VirtualAddress preferred(image.imageBase());
    const bool preferredFits = preferred.value() % kAllocationGranularity == 0 &&
                               preferred.value() >= mm::kLowestUserAddress &&
                               preferred.value() <= mm::kHighestUserAddress + 1 - size &&
                               !process_.space().vads().overlaps(preferred, preferred + size);
    if (preferredFits)
        return preferred;
    // An image with no fixups moves freely unless the linker marked it as unable to.
    if (image.relocationsStripped())
        return std::unexpected(LoadError{
            fmt::format("its preferred base {:#x} is taken and its relocations were stripped",
                        preferred.value())});
    auto base =
        process_.space().vads().findFree(size, VirtualAddress(mm::kLowestUserAddress),
                                         VirtualAddress(mm::kHighestUserAddress + 1), false);
    if (!base)
        return std::unexpected(LoadError{"no room in the address space"});
    return *base;
}

std::expected<void, LoadError> ImageLoader::commitAndCopy(const Module& module,
                                                          std::span<const std::byte> bytes) {
    mm::AddressSpace& space = process_.space();
    const PeImage& image = *module.image;
    const std::uint64_t size = alignUp(image.sizeOfImage(), kPageSize);
    auto commit = [&](std::uint64_t rva, std::uint64_t length, mm::MmProtection prot) -> bool {
        const VirtualAddress start = module.base + alignDown(rva, kPageSize);
        const VirtualAddress end = module.base + std::min(alignUp(rva + length, kPageSize), size);
        return start >= end || space.commit(start, end, prot) == NtStatus::Success;
    };
    // Everything readable first, then each section's own protection over it.
    if (!commit(0, size, *mm::MmProtection::fromWin32(mm::page::kReadOnly)))
        return std::unexpected(LoadError{"not enough memory to map it (commit limit)"});
    for (const Section& s : image.sections()) {
        if (!commit(s.virtualAddress, alignUp(s.virtualExtent(), image.sectionAlignment()),
                    imageProtection(s.protection())))
            return std::unexpected(LoadError{"not enough memory to map it (commit limit)"});
    }
    const auto& memory = space.tables().memory();
    for (std::uint64_t off = 0; off < size; off += kPageSize) {
        auto frame = space.materialize(module.base + off, mm::PageUse::UserImage);
        if (!frame)
            return std::unexpected(LoadError{"not enough memory to map it"});
        const std::uint64_t n =
            std::min<std::uint64_t>(kPageSize, bytes.size() - std::min(bytes.size(), off));
        if (n)
            std::memcpy(memory.at(frame->address()), bytes.data() + off, n);
    }
    return {};
}

std::expected<const ImageLoader::Module*, LoadError> ImageLoader::map(
    const std::filesystem::path& path, int depth) {
    if (depth > kMaxImportDepth)
        return std::unexpected(LoadError{"imports nest too deeply"});
    auto file = readImageFile(path);
    if (!file)
        return std::unexpected(file.error());
    auto parsed = PeImage::parse(*file);
    if (!parsed)
        return std::unexpected(parsed.error());
    auto image = std::make_shared<const PeImage>(std::move(*parsed));
    auto base = chooseBase(*image);
    if (!base)
        return std::unexpected(base.error());

    // Register before resolving imports, so that import cycles end here.
    auto owned = std::make_unique<Module>(Module{path.filename().string(), path, *base, image});
    const Module& module = *owned;
    modules_.push_back(std::move(owned));
    process_.space().reserve(*base, alignUp(image->sizeOfImage(), kPageSize) / kPageSize,
                             kImageAllocationProtect, mm::VadType::Image);
    process_.images().push_back({module.name, path.string(), *base, image->sizeOfImage()});

    std::vector<std::byte> bytes(image->mappedImage().begin(), image->mappedImage().end());
    if (base->value() != image->imageBase()) {
        if (auto ok = image->applyRelocations(bytes, base->value()); !ok)
            return std::unexpected(ok.error());
    }
    for (const ImportedModule& imported : image->imports()) {
        auto dll = loadDll(imported.dllName, module, depth + 1);
        if (!dll)
            return std::unexpected(dll.error());
        for (const ImportedSymbol& symbol : imported.symbols) {
            auto address = resolveExport(**dll, symbol.name, symbol.ordinal, symbol.byOrdinal);
            if (!address) {
                const std::string what =
                    symbol.byOrdinal ? fmt::format("#{}", symbol.ordinal) : symbol.name;
                return std::unexpected(
                    LoadError{fmt::format("missing import {}!{}", imported.dllName, what)});
            }
            const std::uint64_t value = address->value();
            std::memcpy(bytes.data() + symbol.iatRva, &value, 8);
        }
    }
    if (auto ok = commitAndCopy(module, bytes); !ok)
        return std::unexpected(ok.error());
    return &module;
}

std::expected<VirtualAddress, LoadError> ImageLoader::resolveExport(const Module& module,
                                                                    std::string_view name,
                                                                    std::uint16_t ordinal,
                                                                    bool byOrdinal, int depth) {
    if (depth > kMaxImportDepth)
        return std::unexpected(LoadError{"forwarders loop"});
    const auto target =
        byOrdinal ? module.image->exportByOrdinal(ordinal) : module.image->exportByName(name);
    if (!target)
        return std::unexpected(LoadError{"not exported"});
    if (const auto* rva = std::get_if<ExportRva>(&*target))
        return module.base + rva->rva;
    const auto& forwarder = std::get<ExportForwarder>(*target);
    auto dll = loadDll(std::string(forwarder.module()) + ".dll", module, depth + 1);
    if (!dll)
        return std::unexpected(dll.error());
    if (auto ord = forwarder.symbolOrdinal())
        return resolveExport(**dll, {}, *ord, true, depth + 1);
    return resolveExport(**dll, forwarder.symbol(), 0, false, depth + 1);
}

}  // namespace ntoy::ldr
