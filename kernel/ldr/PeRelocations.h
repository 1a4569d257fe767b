// The base relocation directory of a laid-out image: the places that hold absolute addresses
// and must be adjusted when the image is not mapped at its preferred base.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string_view>
#include <vector>

#include "kernel/ldr/LoadError.h"
#include "kernel/ldr/PeFormat.h"

namespace ntoy::ldr {

struct BaseRelocation {
    std::uint32_t rva = 0;
    std::uint8_t type = 0;  // pe::kRelBasedDir64 or pe::kRelBasedHighLow; padding is dropped
};

// "DIR64", "HIGHLOW", ... or "unknown" for a type the format does not define.
std::string_view relocationTypeName(std::uint8_t type);

class RelocationTable {
public:
    // Validates every block and every target against `mappedImage`, so that apply() cannot
    // fail half-way through and leave a partly relocated image.
    static std::expected<RelocationTable, LoadError> parse(std::span<const std::byte> mappedImage,
                                                           pe::ImageDataDirectory directory);

    std::span<const BaseRelocation> entries() const { return entries_; }
    bool empty() const { return entries_.empty(); }

    // Adds `delta` (new base - old base, modulo 2^64) at every target. `image` must be at least
    // as large as the image parse() validated against.
    void apply(std::span<std::byte> image, std::uint64_t delta) const;

private:
    std::vector<BaseRelocation> entries_;
};

}  // namespace ntoy::ldr
