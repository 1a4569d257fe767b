// The memory manager's bookkeeping checked against the page tables themselves. Each check
// returns a description of the first thing found wrong, or nothing.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kernel/mm/AddressSpace.h"
#include "tests/kernel/fakes/RecordingMmu.h"

namespace ntoy::test {

struct ProcessView {
    const mm::AddressSpace& space;
    const RecordingMmu& mmu;
};

// What a walk of one address space's user half found.
struct UserHalfCensus {
    std::uint64_t committedPages = 0;
    std::uint64_t frames = 0;  // user frames named by valid or transition PTEs
    std::uint64_t tables = 0;  // page-table pages below the root
    std::uint64_t validPages = 0;
};

// Walks the user half of `view.space` and checks, page by page: table usedEntries match
// their non-zero entries; every committed PTE lies in a VAD; every frame a PTE names is
// Active, of user use, owned by that PTE (pteAddress) and named only once; every valid PTE
// is exactly Pte::valid(frame, its protection, user) and is aliased in the MMU to its frame;
// and the census of committed pages equals the address space's committedPages().
std::optional<std::string> checkAddressSpace(const mm::MemoryManager& mm, ProcessView view,
                                             UserHalfCensus* census = nullptr);

// Everything: the PFN database's own verify(), each address space, the system tables, and
// the system commit charge, which must equal page-table pages + kernel pages + every
// process's committed pages (each promised page is charged exactly once).
std::optional<std::string> checkMemoryInvariants(const mm::MemoryManager& mm,
                                                 std::span<const ProcessView> processes);

// Aliases the MMU still holds whose page no longer owns that frame: a host mapping of a
// frame that may already belong to someone else.
std::vector<VirtualAddress> staleAliases(const mm::AddressSpace& space, const RecordingMmu& mmu);

}  // namespace ntoy::test
