// Windows PAGE_* protection values, and the one an image section gets from its
// IMAGE_SCN_MEM_* characteristics.
#pragma once

#include <cstdint>

namespace ntoy::ldr {

inline constexpr std::uint32_t kPageNoAccess = 0x01;
inline constexpr std::uint32_t kPageReadOnly = 0x02;
inline constexpr std::uint32_t kPageReadWrite = 0x04;
inline constexpr std::uint32_t kPageExecute = 0x10;
inline constexpr std::uint32_t kPageExecuteRead = 0x20;
inline constexpr std::uint32_t kPageExecuteReadWrite = 0x40;

// The image headers are mapped read-only whatever the sections say.
inline constexpr std::uint32_t kHeaderPageProtection = kPageReadOnly;

// Write implies read: x86 page tables cannot express a write-only page.
std::uint32_t sectionPageProtection(std::uint32_t sectionCharacteristics);

}  // namespace ntoy::ldr
