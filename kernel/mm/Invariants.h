// The memory manager's bookkeeping checked against the page tables themselves: what the
// checked kernel runs after every system call and process exit, what `!verify` shows, and
// what the kernel unit tests assert. Each check returns a description of the first thing
// found wrong, or nothing; the caller decides what a broken invariant means (a bug check in
// the kernel, a failure in a test).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kernel/mm/AddressSpace.h"
#include "kernel/mm/MemoryManager.h"

namespace ntoy::mm {

// What a walk of one address space's user half found.
struct UserHalfCensus {
    std::uint64_t committedPages = 0;
    std::uint64_t frames = 0;  // user frames named by valid or transition PTEs
    std::uint64_t tables = 0;  // page-table frames below the root (resident or in transition)
    std::uint64_t pagedOutTables = 0;  // leaf tables in the paging file alone (no frame)
    std::uint64_t validPages = 0;
    // The slots pagefile PTEs name: pages that live in the paging file alone.
    std::vector<std::uint32_t> pagefileSlots;
};

// Walks the user half of `space` and checks, page by page: table usedEntries and
// framedEntries match their entries; a paged-out leaf table (its PDE transition, its frame
// on Modified or Standby and owned by the PDE; or its PDE a pagefile entry naming a slot in
// use) holds no entry with a frame, and is read where it is; every committed PTE lies in a VAD;
// every frame a PTE names is of user use, owned by that PTE (pteAddress), named only once, Active
// and in the working set at its slot if the PTE is valid, on a transition list if not; every valid
// PTE is Pte::valid(frame, its protection, user), Accessed and Dirty aside, and its MMU shows that
// frame there (hal::Mmu::shownFrame); and the census of committed pages equals the address
// space's committedPages(), of valid pages its working set's size. The exception is a system
// page (Vad::systemPage): a valid read-only, no-execute PTE naming an Active kernel frame,
// shown by the MMU, counted in none of those (its frame is the system's).
std::optional<std::string> checkAddressSpace(const MemoryManager& mm, const AddressSpace& space,
                                             UserHalfCensus* census = nullptr);

// Everything: the PFN database's own verify(), then checkMappingsAndCharge().
std::optional<std::string> checkMemoryInvariants(const MemoryManager& mm,
                                                 std::span<const AddressSpace* const> spaces);

// Everything built on a PFN database that verifies: each address space, the system tables,
// and the system commit charge, which must equal page-table pages (in the paging file too) +
// kernel pages + every process's committed pages (each promised page is charged exactly once).
// `spaces` must be every address space there is: frames and charge nobody accounts for are
// reported.
std::optional<std::string> checkMappingsAndCharge(const MemoryManager& mm,
                                                  std::span<const AddressSpace* const> spaces);

// System-wide memory with no process: what a process's exit must give back exactly. A frame
// found bad while the process ran (--inject-frame-errors) comes back to the Bad list, not to
// the available ones: `available` counts both.
struct MemoryBaseline {
    std::uint64_t available = 0, charge = 0, pageTables = 0, kernel = 0, active = 0;

    static MemoryBaseline of(const MemoryManager& mm);
    bool operator==(const MemoryBaseline&) const = default;
    std::string describe() const;
};

// Nothing if `mm` is back at `before`; else what a process kept after its exit. With
// `othersMayGive` (drivers ran alongside: they may have given back since what they held
// before), only growth is a leak.
std::optional<std::string> checkNothingLeaked(const MemoryManager& mm, const MemoryBaseline& before,
                                              bool othersMayGive = false);

}  // namespace ntoy::mm
