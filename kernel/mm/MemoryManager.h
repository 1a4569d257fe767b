// The system-wide half of memory management: the PFN database, commit, the master page
// tables of system space, and fault statistics.
#pragma once

#include <cstdint>
#include <vector>

#include "kernel/hal/Mmu.h"
#include "kernel/mm/CommitCharge.h"
#include "kernel/mm/PageTables.h"
#include "kernel/mm/PfnDatabase.h"

namespace ntoy::mm {

class AddressSpace;

struct FaultCounters {
    std::uint64_t demandZero = 0;
    std::uint64_t soft = 0;  // transition faults
    std::uint64_t accessViolation = 0;
    std::uint64_t guard = 0;
    std::uint64_t stackGrowth = 0;
    std::uint64_t copyOnWrite = 0;
    std::uint64_t other = 0;
};

class MemoryManager {
public:
    // All of RAM goes to the PFN database, and the commit limit is all of RAM (there is no
    // pagefile): the kernel's own pages are charged against it like every other promise.
    MemoryManager(hal::PhysicalMemory ram, hal::Mmu& systemMmu);

    PfnDatabase& pfns() { return pfns_; }
    const PfnDatabase& pfns() const { return pfns_; }
    CommitCharge& commit() { return commit_; }
    const CommitCharge& commit() const { return commit_; }
    PageTables& systemTables() { return systemTables_; }
    const PageTables& systemTables() const { return systemTables_; }
    hal::Mmu& systemMmu() { return systemMmu_; }
    FaultCounters& faults() { return faults_; }
    const FaultCounters& faults() const { return faults_; }

    // Maps a fresh zeroed frame at a system address (supervisor only), charged to commit.
    std::optional<Pfn> mapSystemPage(VirtualAddress va, MmProtection prot);
    // Gives back a page mapSystemPage mapped: its frame and its charge.
    void unmapSystemPage(VirtualAddress va);

    // The address spaces whose working sets can be trimmed.
    void addSpace(AddressSpace& space) { spaces_.push_back(&space); }
    void removeSpace(AddressSpace& space) { std::erase(spaces_, &space); }
    // Before a page becomes valid: keeps hal::Mmu::validPageHeadroom() off zero by trimming
    // the largest working sets first.
    void keepValidPageHeadroom();
    std::uint64_t trimmedPages() const { return trimmedPages_; }

private:
    PfnDatabase pfns_;
    CommitCharge commit_;
    PageTables systemTables_;
    hal::Mmu& systemMmu_;
    FaultCounters faults_;
    std::vector<AddressSpace*> spaces_;
    std::uint64_t trimmedPages_ = 0;
};

}  // namespace ntoy::mm
