// The COFF symbol table of an image file: unstripped mingw-w64 images keep one, with every
// function and variable, static ones included. The loader never needs it; debuggers do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <vector>

#include "kernel/ldr/LoadError.h"
#include "kernel/ldr/PeImage.h"

namespace ntoy::ldr {

struct CoffSymbol {
    std::string name;
    std::uint32_t rva = 0;
    bool function = false;  // its type says so (DT_FUNCTION)
    bool external = false;  // IMAGE_SYM_CLASS_EXTERNAL, rather than static
    bool operator==(const CoffSymbol&) const = default;
};

inline constexpr std::size_t kMaxCoffSymbols = 1u << 20;

// The symbols defined in a section of the image, at their RVAs, in table order: section and
// file names, undefined, absolute and debugging symbols are left out. `sections` are the
// image's (PeImage::sections()), which the symbols' section numbers index from 1. An image
// without a table has none; a table that runs out of the file is an error.
std::expected<std::vector<CoffSymbol>, LoadError> parseCoffSymbols(
    std::span<const std::byte> file, std::span<const Section> sections);

}  // namespace ntoy::ldr
