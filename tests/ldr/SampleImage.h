// The image most loader tests start from: an EXE with code, read-only data, initialized and
// uninitialized data, imports by name and by ordinal, exports including forwarders, and
// DIR64 and HIGHLOW relocations. Malformed-image tests damage copies of its bytes.
#pragma once

#include <cstdint>
#include <vector>

#include "tests/ldr/PeBuilder.h"

namespace ntoy::ldr::test {

struct SampleImage {
    PeBuilder builder;
    std::uint32_t textRva = 0;
    std::uint32_t rdataRva = 0;
    std::uint32_t dataRva = 0;
    std::uint32_t bssRva = 0;
    std::uint32_t relocRva = 0;
    ImportLayout imports;
    ExportLayout exports;
    std::vector<std::byte> file;

    // Section contents as placed in the file.
    std::vector<std::byte> text;
    std::vector<std::byte> rdata;
    std::vector<std::byte> data;
};

inline constexpr std::uint32_t kTextSize = 0x40;
inline constexpr std::uint32_t kRdataRawSize = 0x300;      // more raw bytes than...
inline constexpr std::uint32_t kRdataVirtualSize = 0x100;  // ...the section spans in memory
inline constexpr std::uint32_t kDataVirtualSize = 0x300;   // a zero tail after 0x18 raw bytes
inline constexpr std::uint32_t kBssVirtualSize = 0x2000;

// Offsets in .data of the pointers the relocations fix.
inline constexpr std::uint32_t kDir64Slot0 = 0x0;
inline constexpr std::uint32_t kDir64Slot1 = 0x8;
inline constexpr std::uint32_t kHighLowSlot = 0x10;

SampleImage makeSampleImage();

}  // namespace ntoy::ldr::test
