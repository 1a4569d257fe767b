// What NtQueryVirtualMemory (MemoryBasicInformation) reports for an address: the run of pages
// around it that share one allocation, state and protection. The system call and the
// debugger's !address both use it, so that they always agree.
#pragma once

#include <cstdint>

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

// The region containing `address`, which must be a user address.
MemoryBasicInformation queryRegion(const AddressSpace& space, VirtualAddress address);

}  // namespace ntoy::mm
