#include "kernel/ldr/ImageLoader.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>

#include "kernel/io/FileRoot.h"
#include "kernel/ldr/AsciiText.h"
#include "kernel/ldr/DllName.h"
#include "kernel/ldr/ImageFile.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy::ldr {
namespace {

constexpr int kMaxImportDepth = 32;
constexpr std::uint32_t kImageAllocationProtect = 0x80;  // PAGE_EXECUTE_WRITECOPY, as Windows shows

// As Windows' KnownDLLs: always the system's copy, never one in the application's folder.
bool isKnownDll(std::string_view name) {
    return asciiEqualsIgnoreCase(name, "ntdll.dll") ||
           asciiEqualsIgnoreCase(name, "kernel32.dll") || asciiEqualsIgnoreCase(name, "msvcrt.dll");
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
// `name` is a file name (isDllFileName), so the lookup stays inside `dir`.
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

void addBinding(ps::LoadedImage& module, VirtualAddress target) {
    if (target != module.base &&
        std::ranges::find(module.bindings, target) == module.bindings.end())
        module.bindings.push_back(target);
}

}  // namespace

const ps::LoadedImage* ImageLoader::find(std::string_view dllName) const {
    for (const ps::LoadedImage& m : process_.images())
        if (asciiEqualsIgnoreCase(m.name, dllName))
            return &m;
    return nullptr;
}

std::expected<const ps::LoadedImage*, LoadError> ImageLoader::loadExecutable(
    const std::filesystem::path& path, const std::filesystem::path& systemDir) {
    ps::ImageSearchPath search{path.parent_path(), systemDir};
    std::error_code ec;
    const auto folder = std::filesystem::absolute(path, ec).parent_path();
    if (process_.fileRoot && !ec)
        if (auto dos = process_.fileRoot->dosPathOf(folder))
            search.applicationGuestDirectory = dos->back() == '\\' ? *dos : *dos + '\\';
    process_.imageSearchPath() = search;
    auto exe = map(path, search.applicationGuestDirectory);
    if (!exe)
        return std::unexpected(exe.error());
    if ((*exe)->image->isDll())
        return loadFailure("is a DLL, not an executable");
    if (!(*exe)->image->hasEntryPoint())
        return loadFailure("has no entry point");
    // ntdll next, before the executable's own imports, so the images are mapped (and listed)
    // in Windows' order: the executable, ntdll, then the rest.
    if (auto ntdll = loadDependency("ntdll.dll", (*exe)->name, 1); !ntdll)
        return std::unexpected(ntdll.error());
    if (auto bound = bind(**exe, 0); !bound)
        return std::unexpected(bound.error());
    return *exe;
}

std::expected<const ps::LoadedImage*, LoadError> ImageLoader::loadDll(std::string_view name) {
    if (!isDllFileName(name))
        return loadFailure(fmt::format("\"{}\" is not a DLL file name", printableAscii(name)),
                           NtStatus::DllNotFound);
    if (const ps::LoadedImage* m = find(name))
        return m;
    const auto& images = process_.images();
    const std::uint32_t lastSerial = images.empty() ? 0 : images.back().serial;
    auto dll = loadDependency(name, "LoadLibrary", 1);
    if (!dll) {
        for (auto it = process_.images().begin(); it != process_.images().end();)
            if (it->serial > lastSerial)
                unmapImage(it++);
            else
                ++it;
    }
    return dll;
}

bool ImageLoader::unmap(VirtualAddress va) {
    auto& images = process_.images();
    auto it = std::ranges::find_if(images, [&](const ps::LoadedImage& m) {
        return va >= m.base && va < m.base + alignUp(m.size, kPageSize);
    });
    if (it == images.end())
        return false;
    unmapImage(it);
    return true;
}

void ImageLoader::unmapImage(std::list<ps::LoadedImage>::iterator image) {
    mm::AddressSpace& space = process_.space();
    // The image's own VAD: only this path releases image views (NtFreeVirtualMemory
    // refuses them), so it is still whole.
    if (const mm::Vad* vad = space.findVad(image->base); vad && vad->type == mm::VadType::Image) {
        const mm::Vad whole = *vad;
        space.release(whole, whole.start(), whole.end());
    }
    process_.images().erase(image);
}

std::expected<const ps::LoadedImage*, LoadError> ImageLoader::loadDependency(
    std::string_view name, std::string_view importer, int depth) {
    if (!isDllFileName(name))
        return loadFailure(fmt::format("imports \"{}\", which is not a DLL file name (a name "
                                       "only: no path, no \"..\")",
                                       printableAscii(name)),
                           NtStatus::DllNotFound);
    if (const ps::LoadedImage* m = find(name))
        return m;
    const ps::ImageSearchPath& search = process_.imageSearchPath();
    std::vector<std::filesystem::path> dirs;
    std::vector<std::string_view> guestDirs;
    if (!isKnownDll(name)) {
        dirs.push_back(search.applicationDirectory.empty() ? "." : search.applicationDirectory);
        guestDirs.push_back(search.applicationGuestDirectory);
    }
    dirs.push_back(search.systemDirectory);
    guestDirs.push_back(search.systemGuestDirectory);
    for (std::size_t d = 0; d < dirs.size(); ++d) {
        const auto found = findIgnoringCase(dirs[d], name);
        if (!found)
            continue;
        auto wrap = [&](const LoadError& e) {
            return std::unexpected(
                LoadError{fmt::format("{}: {}", found->string(), e.message), e.status});
        };
        if (depth > kMaxImportDepth)
            return wrap(LoadError{"imports nest too deeply"});
        auto m = map(*found, guestDirs[d]);
        if (!m)
            return wrap(m.error());
        if (auto bound = bind(**m, depth); !bound)
            return wrap(bound.error());
        return *m;
    }
    std::string looked;
    for (const auto& dir : dirs)
        looked += fmt::format("{}{}", looked.empty() ? "" : ", ", dir.string());
    return loadFailure(fmt::format("cannot find {} (imported by {}; looked in {})",
                                   printableAscii(name), importer, looked),
                       NtStatus::DllNotFound);
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
        return loadFailure(
            fmt::format("its preferred base {:#x} is taken and its relocations were stripped",
                        preferred.value()),
            NtStatus::ConflictingAddresses);
    auto base =
        process_.space().vads().findFree(size, VirtualAddress(mm::kLowestUserAddress),
                                         VirtualAddress(mm::kHighestUserAddress + 1), false);
    if (!base)
        return loadFailure("no room in the address space", NtStatus::NoMemory);
    return *base;
}

std::expected<void, LoadError> ImageLoader::commitAndCopy(const ps::LoadedImage& module,
                                                          std::span<const std::byte> bytes) {
    mm::AddressSpace& space = process_.space();
    const PeImage& image = *module.image;
    const std::uint64_t size = alignUp(image.sizeOfImage(), kPageSize);
    auto commit = [&](std::uint64_t rva, std::uint64_t length, mm::MmProtection prot) -> bool {
        const VirtualAddress start = module.base + alignDown(rva, kPageSize);
        const VirtualAddress end = module.base + std::min(alignUp(rva + length, kPageSize), size);
        return start >= end || space.commit(start, end, prot) == NtStatus::Success;
    };
    const LoadError commitLimit{"not enough memory to map it (commit limit)",
                                NtStatus::CommitmentLimit};
    // Everything readable first, then each section's own protection over it.
    if (!commit(0, size, *mm::MmProtection::fromWin32(mm::page::kReadOnly)))
        return std::unexpected(commitLimit);
    for (const Section& s : image.sections()) {
        if (!commit(s.virtualAddress, alignUp(s.virtualExtent(), image.sectionAlignment()),
                    imageProtection(s.protection())))
            return std::unexpected(commitLimit);
    }
    const auto& memory = space.tables().memory();
    for (std::uint64_t off = 0; off < size; off += kPageSize) {
        auto frame = space.materialize(module.base + off, mm::PageUse::UserImage);
        if (!frame)
            return loadFailure("not enough memory to map it", NtStatus::NoMemory);
        const std::uint64_t n =
            std::min<std::uint64_t>(kPageSize, bytes.size() - std::min(bytes.size(), off));
        if (n)
            std::memcpy(memory.at(frame->address()), bytes.data() + off, n);
    }
    return {};
}

std::expected<ps::LoadedImage*, LoadError> ImageLoader::map(const std::filesystem::path& path,
                                                            std::string_view guestDirectory) {
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

    process_.space().reserve(*base, alignUp(image->sizeOfImage(), kPageSize) / kPageSize,
                             kImageAllocationProtect, mm::VadType::Image);
    return &process_.images().emplace_back(ps::LoadedImage{
        .name = path.filename().string(),
        .path = path.string(),
        .guestPath = std::string(guestDirectory) + path.filename().string(),
        .base = *base,
        .size = image->sizeOfImage(),
        .image = image,
        .serial = process_.takeImageSerial(),
        .bindings = {},
    });
}

std::expected<void, LoadError> ImageLoader::bind(ps::LoadedImage& module, int depth) {
    const PeImage& image = *module.image;
    std::vector<std::byte> bytes(image.mappedImage().begin(), image.mappedImage().end());
    if (module.base.value() != image.imageBase()) {
        if (auto ok = image.applyRelocations(bytes, module.base.value()); !ok)
            return std::unexpected(ok.error());
    }
    // Every import that nothing exports is named, not only the first: a program built for
    // Windows usually lacks several, and one run should list them all.
    std::vector<std::string> missing;
    NtStatus missingStatus = NtStatus::Success;
    for (const ImportedModule& imported : image.imports()) {
        auto dll = loadDependency(imported.dllName, module.name, depth + 1);
        if (!dll)
            return std::unexpected(dll.error());
        addBinding(module, (*dll)->base);
        for (const ImportedSymbol& symbol : imported.symbols) {
            auto target = resolveExport(**dll, symbol.name, symbol.ordinal, symbol.byOrdinal);
            if (!target) {
                const std::string what =
                    symbol.byOrdinal ? fmt::format("#{}", symbol.ordinal) : symbol.name;
                const std::string& why = target.error().message;
                missing.push_back(
                    fmt::format("{}!{}{}{}", imported.dllName, what, why.empty() ? "" : ": ", why));
                if (missingStatus == NtStatus::Success)
                    missingStatus =
                        symbol.byOrdinal ? NtStatus::OrdinalNotFound : NtStatus::EntrypointNotFound;
                continue;
            }
            addBinding(module, target->module->base);
            const std::uint64_t value = target->address.value();
            std::memcpy(bytes.data() + symbol.iatRva, &value, 8);
        }
    }
    if (missing.size() == 1)
        return loadFailure(fmt::format("missing import {}", missing.front()), missingStatus);
    if (!missing.empty())
        return loadFailure(fmt::format("missing imports: {}", fmt::join(missing, ", ")),
                           missingStatus);
    return commitAndCopy(module, bytes);
}

std::expected<ImageLoader::Export, LoadError> ImageLoader::resolveExport(
    const ps::LoadedImage& module, std::string_view name, std::uint16_t ordinal, bool byOrdinal,
    int depth) {
    if (depth > kMaxImportDepth)
        return loadFailure("forwarded to itself in a loop");
    const auto target =
        byOrdinal ? module.image->exportByOrdinal(ordinal) : module.image->exportByName(name);
    if (!target)  // the one failure without a message: the caller names the symbol
        return loadFailure("", byOrdinal ? NtStatus::OrdinalNotFound : NtStatus::ProcedureNotFound);
    if (const auto* rva = std::get_if<ExportRva>(&*target))
        return Export{module.base + rva->rva, &module};
    const auto& forwarder = std::get<ExportForwarder>(*target);
    auto forwarded = [&]() -> std::expected<Export, LoadError> {
        auto dll = loadDependency(std::string(forwarder.module()) + ".dll", module.name, depth + 1);
        if (!dll)
            return std::unexpected(dll.error());
        if (auto ord = forwarder.symbolOrdinal())
            return resolveExport(**dll, {}, *ord, true, depth + 1);
        return resolveExport(**dll, forwarder.symbol(), 0, false, depth + 1);
    }();
    // Named once, at the hop that failed: a chain (or a loop) of forwarders stays one line.
    if (!forwarded && !forwarded.error().message.starts_with("forwarded to "))
        return loadFailure(fmt::format("forwarded to {}{}{}", printableAscii(forwarder.target),
                                       forwarded.error().message.empty() ? ", not exported" : ": ",
                                       forwarded.error().message),
                           forwarded.error().status);
    return forwarded;
}

}  // namespace ntoy::ldr
