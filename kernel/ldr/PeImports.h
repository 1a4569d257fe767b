// The import directory of a laid-out image: which DLLs it needs and which IAT slot each
// imported symbol goes into. Listing only; resolving is the loader's job.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <vector>

#include "kernel/ldr/LoadError.h"
#include "kernel/ldr/PeFormat.h"

namespace ntoy::ldr {

struct ImportedSymbol {
    std::uint32_t iatRva = 0;  // the 8-byte slot that receives the resolved address
    bool byOrdinal = false;
    std::uint16_t ordinal = 0;  // when byOrdinal
    std::string name;           // when !byOrdinal
    std::uint16_t hint = 0;     // when !byOrdinal: exporter's name-table index worth trying first
};

struct ImportedModule {
    std::string dllName;  // as written in the image, e.g. "KERNEL32.dll"
    std::vector<ImportedSymbol> symbols;
};

// Limits far above anything a real program needs; they bound the memory a hostile image can
// make the parser allocate.
inline constexpr std::size_t kMaxImportedModules = 1024;
inline constexpr std::size_t kMaxImportedSymbols = 65536;
inline constexpr std::size_t kMaxImportNameLength = 4096;

// `mappedImage` is the whole image as laid out in memory; every RVA is checked against it.
std::expected<std::vector<ImportedModule>, LoadError> parseImports(
    std::span<const std::byte> mappedImage, pe::ImageDataDirectory directory);

}  // namespace ntoy::ldr
