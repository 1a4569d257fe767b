#include "kernel/io/SystemImages.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "kernel/ldr/ImageFile.h"
#include "kernel/mm/MemoryManager.h"
#include "kernel/mm/Protection.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy::io {
namespace {

// Images start on 64 KB boundaries, as user images do.
constexpr std::uint64_t kImageAlignment = 0x10000;

bool sameName(std::string_view a, std::string_view b) {
    return std::ranges::equal(a, b, [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

// What the page at `rva` holds: the headers' protection, its section's, or nothing (a gap
// between sections, never mapped).
std::optional<std::uint32_t> pageProtection(const ldr::PeImage& image, std::uint32_t rva) {
    if (rva < alignUp(image.sizeOfHeaders(), kPageSize))
        return ldr::PeImage::headerProtection();
    for (const ldr::Section& s : image.sections())
        if (rva >= s.virtualAddress &&
            rva - s.virtualAddress < alignUp(s.virtualExtent(), kPageSize))
            return s.protection();
    return std::nullopt;
}

bool isInit(const ldr::Section& s) {
    return s.name == "INIT" || s.name.starts_with("INIT$");
}

}  // namespace

std::string SystemImage::locate(VirtualAddress va) const {
    return fmt::format("{}+{:#x}", name, va.value() - base.value());
}

SystemImages::SystemImages(mm::MemoryManager& mm) : mm_(mm), free_(kImageAlignment) {
    // Only the driver-images region is free to take.
    const auto& region = mm::systemRegion(mm::SystemRegion::DriverImages);
    free_.take(0, region.base);
    free_.take(region.base + region.size, ~0ull);
}

SystemImages::~SystemImages() {
    while (!images_.empty())
        unload(images_.front());
}

std::expected<SystemImage*, ldr::LoadError> SystemImages::load(const std::filesystem::path& path,
                                                               const SystemImage* kernel) {
    const std::string name = path.filename().string();
    auto file = ldr::readImageFile(path);
    if (!file)
        return std::unexpected(file.error());
    auto parsed = ldr::PeImage::parse(*file);
    if (!parsed)
        return ldr::loadFailure(fmt::format("{}: {}", name, parsed.error().message));
    auto image = std::make_shared<const ldr::PeImage>(std::move(*parsed));
    if (image->sectionAlignment() < kPageSize)
        return ldr::loadFailure(fmt::format(
            "{}: its sections are aligned to {:#x} bytes; ntoy maps drivers a page at a time and "
            "needs page-aligned sections (link with the default --section-alignment 0x1000)",
            name, image->sectionAlignment()));

    // Laid out, bound and relocated on the host, then copied in page by page.
    std::vector<std::byte> mapped(image->sizeOfImage());
    if (auto ok = image->layout(mapped); !ok)
        return ldr::loadFailure(fmt::format("{}: {}", name, ok.error().message));
    if (!kernel && !image->imports().empty())
        return ldr::loadFailure(
            fmt::format("{} imports from {}; the kernel image may import "
                        "nothing",
                        name, image->imports().front().dllName));
    std::vector<std::string> foreign;
    for (const ldr::ImportedModule& module : image->imports())
        if (!sameName(module.dllName, kernel->name))
            foreign.push_back(module.dllName);
    if (!foreign.empty())
        return ldr::loadFailure(fmt::format("{} imports from {}: a driver imports from {} alone",
                                            name, fmt::join(foreign, ", "), kernel->name),
                                NtStatus::ProcedureNotFound);
    std::vector<std::string> missing;
    for (const ldr::ImportedModule& module : image->imports()) {
        for (const ldr::ImportedSymbol& symbol : module.symbols) {
            const auto target = symbol.byOrdinal ? kernel->image->exportByOrdinal(symbol.ordinal)
                                                 : kernel->image->exportByName(symbol.name);
            const auto* rva = target ? std::get_if<ldr::ExportRva>(&*target) : nullptr;
            if (!rva) {
                missing.push_back(symbol.byOrdinal ? fmt::format("#{}", symbol.ordinal)
                                                   : symbol.name);
                continue;
            }
            const std::uint64_t address = kernel->base.value() + rva->rva;
            std::memcpy(mapped.data() + symbol.iatRva, &address, sizeof address);
        }
    }
    if (!missing.empty())
        return ldr::loadFailure(fmt::format("{} imports {} that {} does not export: {}", name,
                                            missing.size() == 1 ? "a function" : "functions",
                                            kernel->name, fmt::join(missing, ", ")),
                                NtStatus::ProcedureNotFound);

    const std::uint64_t size = alignUp(image->sizeOfImage(), kPageSize);
    const auto& region = mm::systemRegion(mm::SystemRegion::DriverImages);
    // Its preferred base when that is free (ntoskrnl.exe is linked where it goes), else the
    // lowest free place.
    std::optional<std::uint64_t> at;
    if (image->imageBase() % kImageAlignment == 0 && region.contains(image->imageBase()) &&
        free_.lowest(size, image->imageBase(), image->imageBase() + size) == image->imageBase())
        at = image->imageBase();
    else
        at = free_.lowest(size, region.base, region.base + region.size);
    if (!at)
        return ldr::loadFailure(fmt::format("{}: no room left in the driver-images region", name),
                                NtStatus::InsufficientResources);
    if (*at != image->imageBase()) {
        if (image->relocationsStripped())
            return ldr::loadFailure(
                fmt::format("{}: its relocations were stripped and its base {:#x} is not free",
                            name, image->imageBase()));
        if (auto ok = image->applyRelocations(mapped, *at); !ok)
            return ldr::loadFailure(fmt::format("{}: {}", name, ok.error().message));
    }

    SystemImage loaded{name, path.string(), VirtualAddress(*at), size, image, {}, {}};
    const auto unmapAll = [&] {
        for (VirtualAddress va : loaded.pages)
            mm_.unmapSystemPage(va);
    };
    for (std::uint64_t rva = 0; rva < size; rva += kPageSize) {
        const auto protect = pageProtection(*image, static_cast<std::uint32_t>(rva));
        if (!protect)
            continue;
        const auto prot = mm::MmProtection::fromWin32(*protect);
        const VirtualAddress va = loaded.base + rva;
        const auto frame = prot ? mm_.mapSystemPage(va, *prot) : std::nullopt;
        if (!frame) {
            unmapAll();
            return ldr::loadFailure(fmt::format("{}: not enough memory to map it", name),
                                    NtStatus::InsufficientResources);
        }
        std::memcpy(mm_.pfns().memory().frame(*frame).data(), mapped.data() + rva, kPageSize);
        loaded.pages.push_back(va);
    }
    for (const ldr::Section& s : image->sections())
        if (isInit(s))
            for (std::uint64_t off = 0; off < alignUp(s.virtualExtent(), kPageSize);
                 off += kPageSize)
                loaded.initPages.push_back(loaded.base + s.virtualAddress + off);
    free_.take(*at, *at + size);
    images_.push_back(std::move(loaded));
    return &images_.back();
}

void SystemImages::discardInit(SystemImage& image) {
    for (VirtualAddress va : image.initPages) {
        mm_.unmapSystemPage(va);
        std::erase(image.pages, va);
    }
    image.initPages.clear();
}

void SystemImages::unload(SystemImage& image) {
    unloaded_.push_back({image.name, image.base, image.size});
    for (VirtualAddress va : image.pages)
        mm_.unmapSystemPage(va);
    free_.give(image.base.value(), image.base.value() + image.size);
    images_.remove_if([&](const SystemImage& i) { return &i == &image; });
}

const SystemImages::UnloadedImage* SystemImages::unloadedAt(VirtualAddress va) const {
    if (containing(va))
        return nullptr;
    for (auto it = unloaded_.rbegin(); it != unloaded_.rend(); ++it)
        if (va.value() >= it->base.value() && va.value() - it->base.value() < it->size)
            return &*it;
    return nullptr;
}

const SystemImage* SystemImages::containing(VirtualAddress va) const {
    for (const SystemImage& i : images_)
        if (i.contains(va))
            return &i;
    return nullptr;
}

std::optional<VirtualAddress> SystemImages::exportAddress(const SystemImage& image,
                                                          std::string_view name) {
    const auto target = image.image->exportByName(name);
    const auto* rva = target ? std::get_if<ldr::ExportRva>(&*target) : nullptr;
    if (!rva)
        return std::nullopt;
    return image.base + rva->rva;
}

std::string SystemImages::locate(VirtualAddress va) const {
    if (const SystemImage* i = containing(va))
        return i->locate(va);
    return fmt::format("{:#x}", va.value());
}

}  // namespace ntoy::io
