// The machine's address map, shared by the kernel and the emulator.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/base/Types.h"

namespace ntoy::mm {

// User space: [0, kUserSpaceEnd). Its lowest 64 KB and its top 64 KB are never allocatable.
inline constexpr std::uint64_t kUserSpaceEnd = 0xFF'0000'0000;
inline constexpr std::uint64_t kLowestUserAddress = 0x10000;
inline constexpr std::uint64_t kHighestUserAddress = 0xFE'FFFE'FFFF;

// System space: the upper canonical half. User mode can never touch it (U/S = 0 everywhere).
inline constexpr std::uint64_t kSystemSpaceStart = 0xFFFF'8000'0000'0000;

// The regions of system space that code may touch, where x64 Windows 7 puts them (its layout
// is fixed, so addresses read in a dump mean the same here). Each is visible to the CPU at
// CPL0 in every address space; every other system address faults. Sizes are ntoy's: each
// region is a host reservation per machine, so they are generous but bounded.
enum class SystemRegion : std::uint8_t {
    KernelImage,   // the kernel image and its stubs: GDT, TSS, entry stub, kernel stacks
    DriverImages,  // loaded drivers' images
    SystemPtes,    // the system VA allocator's mappings that are not pool
    PagedPool,
    NonPagedPool,  // NonPagedPoolNx below kNonPagedPoolExecuteBase, executable pool above
};
inline constexpr std::size_t kSystemRegionCount = 5;

struct SystemRegionRange {
    SystemRegion region;
    const char* name;  // as !address names it
    std::uint64_t base, size;
    constexpr std::uint64_t end() const { return base + size; }
    constexpr bool contains(std::uint64_t va) const { return va >= base && va - base < size; }
};

inline constexpr SystemRegionRange kSystemRegions[kSystemRegionCount] = {
    {SystemRegion::KernelImage, "KernelImage", 0xFFFF'F800'0000'0000, 64ull << 20},
    {SystemRegion::DriverImages, "DriverImages", 0xFFFF'F880'0000'0000, 256ull << 20},
    {SystemRegion::SystemPtes, "SystemPtes", 0xFFFF'F880'1000'0000, 256ull << 20},
    {SystemRegion::PagedPool, "PagedPool", 0xFFFF'F8A0'0000'0000, 1ull << 30},
    {SystemRegion::NonPagedPool, "NonPagedPool", 0xFFFF'FA80'0000'0000, 1ull << 30},
};
constexpr const SystemRegionRange& systemRegion(SystemRegion r) {
    return kSystemRegions[static_cast<std::size_t>(r)];
}
// The region holding `va`, if any.
constexpr const SystemRegionRange* systemRegionOf(std::uint64_t va) {
    for (const SystemRegionRange& r : kSystemRegions)
        if (r.contains(va))
            return &r;
    return nullptr;
}
// The last quarter of nonpaged pool is executable (NonPagedPool, NonPagedPoolExecute); the
// rest is no-execute (NonPagedPoolNx), as Windows 8 split them.
inline constexpr std::uint64_t kNonPagedPoolExecuteBase =
    systemRegion(SystemRegion::NonPagedPool).base +
    systemRegion(SystemRegion::NonPagedPool).size / 4 * 3;

// The system-PTE region's upper half maps pages that MDLs lock (MmMapLockedPagesSpecifyCache);
// Driver Verifier's special pool takes the lower half.
inline constexpr std::uint64_t kLockedMappingsBase =
    systemRegion(SystemRegion::SystemPtes).base + systemRegion(SystemRegion::SystemPtes).size / 2;
inline constexpr std::uint64_t kLockedMappingsEnd = systemRegion(SystemRegion::SystemPtes).end();

// The kernel window: the kernel image region, the system pages the CPU itself touches.
inline constexpr std::uint64_t kKernelWindowBase = systemRegion(SystemRegion::KernelImage).base;
inline constexpr std::uint64_t kKernelWindowSize = systemRegion(SystemRegion::KernelImage).size;

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
