// Pages locked for I/O, the memory side of MDLs (Windows' MmProbeAndLockPages, MmUnlockPages,
// MmMapLockedPagesSpecifyCache and MmUnmapLockedPages):
// - probeAndLock makes each page of a range resident for the access (faulting it in, breaking a
//   copy on write, refusing what the protection forbids) and locks its frame: a locked frame
//   never leaves its working set, and if its page is freed meanwhile (VirtualFree, the
//   process's end) the frame waits, IoLocked, for its last unlock, so whoever holds the MDL
//   never reaches a frame that now holds another page;
// - LockedMappings maps locked frames a second time, at system addresses (the upper half of
//   the system-PTE region), supervisor and no-execute, for the driver to use in any process.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <vector>

#include "kernel/base/NtStatus.h"
#include "kernel/base/Types.h"
#include "kernel/mm/FreeRanges.h"
#include "kernel/mm/PageFault.h"

namespace ntoy::mm {

class AddressSpace;
class MemoryManager;

// The frames behind [start, start + bytes), each made resident for `access` and locked: user
// addresses in `space`, system addresses (space may then be null) in system space. Nothing
// stays locked on failure: STATUS_ACCESS_VIOLATION for an address not mapped or not allowed
// the access, STATUS_IN_PAGE_ERROR for a page the paging file cannot give back,
// STATUS_INSUFFICIENT_RESOURCES for a frame locked 65,535 times already.
std::expected<std::vector<Pfn>, NtStatus> probeAndLock(MemoryManager& mm, AddressSpace* space,
                                                       VirtualAddress start, std::uint64_t bytes,
                                                       AccessKind access);
// Ends probeAndLock's locks.
void unlock(MemoryManager& mm, std::span<const Pfn> frames);

class LockedMappings {
public:
    explicit LockedMappings(MemoryManager& mm);

    // Consecutive system pages mapping `frames` (locked ones), read-write; empty if the
    // region is full.
    std::optional<VirtualAddress> map(std::span<const Pfn> frames);
    // Ends a mapping map() made of `pages` pages.
    void unmap(VirtualAddress va, std::uint64_t pages);

private:
    MemoryManager& mm_;
    FreeRanges free_;
};

}  // namespace ntoy::mm
