// The machine's address map, shared by the kernel and the emulator.
#pragma once

#include <cstdint>

#include "kernel/base/Types.h"

namespace ntoy::mm {

// User space: [0, kUserSpaceEnd). Its lowest 64 KB and its top 64 KB are never allocatable.
inline constexpr std::uint64_t kUserSpaceEnd = 0xFF'0000'0000;
inline constexpr std::uint64_t kLowestUserAddress = 0x10000;
inline constexpr std::uint64_t kHighestUserAddress = 0xFE'FFFE'FFFF;

// System space: the upper canonical half. User mode can never touch it (U/S = 0 everywhere).
inline constexpr std::uint64_t kSystemSpaceStart = 0xFFFF'8000'0000'0000;
// The kernel window: the only system pages the CPU itself touches (GDT, TSS, entry stub,
// kernel stacks), backed by real frames.
inline constexpr std::uint64_t kKernelWindowBase = 0xFFFF'F800'0000'0000;
inline constexpr std::uint64_t kKernelWindowSize = 64ull << 20;

// Guest-physical RAM starts here, just above user space: the emulated CPU reaches page
// tables through physical addresses that must not collide with any user virtual address
// (Unicorn 2.0.1 uses the virtual address as the physical one), and PTEs hold at most 40
// address bits.
inline constexpr std::uint64_t kRamPhysicalBase = 0xFF'0000'0000;
inline constexpr std::uint64_t kMaxRamBytes = (1ull << 40) - kRamPhysicalBase;

constexpr bool isUserAddress(std::uint64_t va) {
    return va < kUserSpaceEnd;
}
constexpr bool isSystemAddress(std::uint64_t va) {
    return va >= kSystemSpaceStart;
}

}  // namespace ntoy::mm
