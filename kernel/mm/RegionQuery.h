// What NtQueryVirtualMemory reports for an address: MemoryBasicInformation (the run of pages
// around it that share one allocation, state and protection), MemoryRegionInformation (the
// allocation that holds it) and MemoryWorkingSetExInformation (its page, as far as paging goes).
// The system call and the debugger both use these, so that they always agree.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "kernel/mm/AddressSpace.h"

namespace ntoy::mm {

// MEMORY_BASIC_INFORMATION's State and Type values.
namespace mem {
inline constexpr std::uint32_t kCommit = 0x1000, kReserve = 0x2000, kFree = 0x10000,
                               kPrivate = 0x20000, kImage = 0x1000000;
}  // namespace mem

// MEMORY_BASIC_INFORMATION, x64 layout.
struct MemoryBasicInformation {
    std::uint64_t baseAddress;
    std::uint64_t allocationBase;
    std::uint32_t allocationProtect;
    std::uint16_t partitionId;
    std::uint16_t reserved0;
    std::uint64_t regionSize;
    std::uint32_t state;
    std::uint32_t protect;
    std::uint32_t type;
    std::uint32_t reserved1;
};
static_assert(sizeof(MemoryBasicInformation) == 48);

// A page's state and Win32 protection as a region query reads its PTE: committed with its
// protection, or reserved (0).
std::pair<std::uint32_t, std::uint32_t> pageRegionState(Pte pte);

// The region containing `address`, which must be a user address. With `limit`, a region in an
// allocation ends there at the latest (a reader that must not page walks one leaf table at a
// time: a walk past it could meet a table in the paging file).
MemoryBasicInformation queryRegion(const AddressSpace& space, VirtualAddress address,
                                   VirtualAddress limit = VirtualAddress(~0ull));

// MEMORY_REGION_INFORMATION, x64. Windows sets no RegionType flag for private memory nor for
// the views Wine's test_query_region_information queries; neither does ntoy for an image.
struct MemoryRegionInformation {
    std::uint64_t allocationBase;
    std::uint32_t allocationProtect;
    std::uint32_t regionType;
    std::uint64_t regionSize;  // the whole allocation
    std::uint64_t commitSize;  // its committed pages, in bytes
    std::uint64_t partitionId;
    std::uint64_t nodePreference;
};
static_assert(sizeof(MemoryRegionInformation) == 48);

// The allocation holding `address`; empty where there is none.
std::optional<MemoryRegionInformation> queryAllocation(const AddressSpace& space,
                                                       VirtualAddress address);

// The committed pages of an allocation.
std::uint64_t committedPages(const PageTables& tables, const Vad& vad);

// MEMORY_WORKING_SET_EX_BLOCK for the page holding `address`: Valid (bit 0), ShareCount
// (1-3), Win32Protection (4-14), Shared (15) and Locked (22, VirtualLock); Node and LargePage
// are 0. A page
// that is not valid shows only Shared. Image pages are shared until copy-on-write makes them
// private, as their section's pages are on Windows; ShareCount is given for valid shared pages.
std::uint64_t workingSetExAttributes(const AddressSpace& space, VirtualAddress address);

}  // namespace ntoy::mm
