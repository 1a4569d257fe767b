#include "kernel/ldr/PeImports.h"

#include <fmt/format.h>

#include "kernel/ldr/AsciiText.h"
#include "kernel/ldr/BoundedRead.h"
#include "kernel/ldr/RvaString.h"

namespace ntoy::ldr {

namespace {

// One entry of an import lookup table: an ordinal, or the RVA of a hint/name pair.
std::expected<ImportedSymbol, LoadError> parseLookupEntry(std::span<const std::byte> image,
                                                          std::uint64_t entry,
                                                          std::uint64_t entryRva,
                                                          std::string_view dll) {
    ImportedSymbol symbol;
    if (entry & pe::kImportOrdinalFlag64) {
        if ((entry & ~pe::kImportOrdinalFlag64) > 0xFFFF) {
            return loadFailure(fmt::format(
                "imports from {}: lookup entry {:#x} at RVA {:#x} has reserved ordinal bits set",
                dll, entry, entryRva));
        }
        symbol.byOrdinal = true;
        symbol.ordinal = static_cast<std::uint16_t>(entry);
        return symbol;
    }
    if (entry > 0x7FFFFFFF) {
        return loadFailure(fmt::format(
            "imports from {}: lookup entry {:#x} at RVA {:#x} has reserved name-RVA bits set", dll,
            entry, entryRva));
    }
    auto hint = readAt<std::uint16_t>(image, entry);
    if (!hint) {
        return loadFailure(
            fmt::format("imports from {}: hint/name RVA {:#x} lies outside the image", dll, entry));
    }
    auto name = nameAtRva(image, entry + 2, kMaxImportNameLength,
                          fmt::format("imports from {}: symbol name", dll));
    if (!name) {
        return std::unexpected(name.error());
    }
    symbol.hint = *hint;
    symbol.name = *name;
    return symbol;
}

}  // namespace

std::expected<std::vector<ImportedModule>, LoadError> parseImports(
    std::span<const std::byte> image, pe::ImageDataDirectory directory) {
    std::vector<ImportedModule> modules;
    if (directory.VirtualAddress == 0) {
        return modules;
    }
    std::size_t totalSymbols = 0;
    // The directory's Size is often inexact; the array really ends at an all-zero descriptor.
    for (std::uint64_t index = 0;; ++index) {
        const std::uint64_t descriptorRva =
            directory.VirtualAddress + index * sizeof(pe::ImageImportDescriptor);
        auto descriptor = readAt<pe::ImageImportDescriptor>(image, descriptorRva);
        if (!descriptor) {
            return loadFailure(fmt::format(
                "import descriptor #{} at RVA {:#x} lies outside the image (no null terminator)",
                index, descriptorRva));
        }
        if (descriptor->Name == 0 && descriptor->FirstThunk == 0) {
            break;
        }
        if (modules.size() == kMaxImportedModules) {
            return loadFailure(
                fmt::format("import directory lists more than {} DLLs", kMaxImportedModules));
        }
        if (descriptor->Name == 0) {
            return loadFailure(fmt::format("import descriptor #{} has no DLL name", index));
        }
        auto dllName = nameAtRva(image, descriptor->Name, kMaxImportNameLength,
                                 fmt::format("import descriptor #{}: DLL name", index));
        if (!dllName) {
            return std::unexpected(dllName.error());
        }
        ImportedModule module{.dllName = std::string(*dllName), .symbols = {}};
        const std::string dll = printableAscii(module.dllName);
        if (descriptor->FirstThunk == 0) {
            return loadFailure(fmt::format("imports from {}: no import address table", dll));
        }
        // Without a separate lookup table the IAT itself names the imports (unbound images).
        const std::uint64_t lookupRva = descriptor->OriginalFirstThunk != 0
                                            ? descriptor->OriginalFirstThunk
                                            : descriptor->FirstThunk;
        for (std::uint64_t slot = 0;; ++slot) {
            const std::uint64_t entryRva = lookupRva + slot * sizeof(std::uint64_t);
            auto entry = readAt<std::uint64_t>(image, entryRva);
            if (!entry) {
                return loadFailure(fmt::format(
                    "imports from {}: lookup table at RVA {:#x} runs past the end of the image",
                    dll, lookupRva));
            }
            if (*entry == 0) {
                break;
            }
            const std::uint64_t iatRva = descriptor->FirstThunk + slot * sizeof(std::uint64_t);
            if (!sliceAt(image, iatRva, sizeof(std::uint64_t))) {
                return loadFailure(fmt::format(
                    "imports from {}: IAT slot at RVA {:#x} lies outside the image", dll, iatRva));
            }
            if (++totalSymbols > kMaxImportedSymbols) {
                return loadFailure(
                    fmt::format("image imports more than {} symbols", kMaxImportedSymbols));
            }
            auto symbol = parseLookupEntry(image, *entry, entryRva, dll);
            if (!symbol) {
                return std::unexpected(symbol.error());
            }
            symbol->iatRva = static_cast<std::uint32_t>(iatRva);
            module.symbols.push_back(std::move(*symbol));
        }
        modules.push_back(std::move(module));
    }
    return modules;
}

}  // namespace ntoy::ldr
