// A process on a test system whose in/out parameters live in a committed user page of
// "cells", with one helper per virtual-memory call that puts *Base and *Size into cells,
// calls the handler through the harness and leaves the outputs there.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "kernel/ke/SystemCall.h"
#include "kernel/mm/Invariants.h"
#include "kernel/mm/SystemLayout.h"
#include "tests/kernel/fakes/GuestView.h"
#include "tests/kernel/fakes/SystemCallHarness.h"
#include "tests/kernel/fakes/TestSystem.h"

namespace ntoy::test {

namespace mem {
inline constexpr std::uint32_t kCommit = 0x1000, kReserve = 0x2000, kDecommit = 0x4000,
                               kRelease = 0x8000, kFree = 0x10000, kPrivate = 0x20000,
                               kMapped = 0x40000, kReset = 0x80000, kTopDown = 0x100000;
}  // namespace mem

inline constexpr std::uint64_t kCurrentProcess = ob::kCurrentProcess.value();

// MEMORY_BASIC_INFORMATION, x64.
struct MemoryBasicInformation {
    std::uint64_t baseAddress, allocationBase;
    std::uint32_t allocationProtect;
    std::uint16_t partitionId, reserved0;
    std::uint64_t regionSize;
    std::uint32_t state, protect, type, reserved1;
};
static_assert(sizeof(MemoryBasicInformation) == 48);

class SystemCallFixture : public ::testing::Test {
protected:
    // Two committed read-write pages of cells, then a read-only page, a guard page and a
    // reserved page, for pointers that must fail.
    static constexpr std::uint64_t kCells = 0x7000'0000;
    static constexpr std::uint64_t kReadOnlyPage = kCells + 2 * kPageSize;
    static constexpr std::uint64_t kGuardPage = kCells + 3 * kPageSize;
    static constexpr std::uint64_t kReservedPage = kCells + 4 * kPageSize;
    static constexpr std::uint64_t kSystemPointer = mm::kKernelWindowBase;
    // Where query results go, in the cells' second page.
    static constexpr std::uint64_t kInfo = kCells + kPageSize;

    explicit SystemCallFixture(std::uint64_t frames = 512) : system_(frames) {
        auto& space = process_->space();
        const VirtualAddress cells(kCells);
        space.reserve(cells, 5, mm::page::kReadWrite, mm::VadType::Private);
        const auto rw = *mm::MmProtection::fromWin32(mm::page::kReadWrite);
        (void)space.commit(cells, cells + 2 * kPageSize, rw);
        (void)space.commit(VirtualAddress(kReadOnlyPage), VirtualAddress(kGuardPage),
                           *mm::MmProtection::fromWin32(mm::page::kReadOnly));
        (void)space.commit(VirtualAddress(kGuardPage), VirtualAddress(kReservedPage),
                           *mm::MmProtection::fromWin32(mm::page::kReadWrite | mm::page::kGuard));
        for (std::uint64_t off = 0; off < 2 * kPageSize; off += kPageSize)
            (void)space.materialize(cells + off);
    }

    mm::AddressSpace& space() { return process_->space(); }
    RecordingMmu& mmu() { return fakeCpu(*process_).mmu(); }
    mm::MemoryManager& mm() { return system_.mm(); }
    GuestView guest() { return GuestView(space()); }

    static VirtualAddress cell(unsigned i) { return VirtualAddress(kCells + 8ull * i); }
    void set(unsigned i, std::uint64_t v) { ASSERT_TRUE(guest().poke(cell(i), v)); }
    std::uint64_t get(unsigned i) { return guest().peek<std::uint64_t>(cell(i)).value(); }

    // Cells 0 and 1 hold *Base and *Size; cell 2 receives *OldProtect.
    std::uint64_t base() { return get(0); }
    std::uint64_t size() { return get(1); }

    NtStatus allocate(std::uint64_t base, std::uint64_t size, std::uint32_t type,
                      std::uint32_t protect, std::uint64_t zeroBits = 0,
                      std::uint64_t handle = kCurrentProcess) {
        set(0, base);
        set(1, size);
        return harness_.call(ke::NtAllocateVirtualMemory,
                             {handle, cell(0).value(), zeroBits, cell(1).value(), type, protect});
    }
    NtStatus free(std::uint64_t base, std::uint64_t size, std::uint32_t type,
                  std::uint64_t handle = kCurrentProcess) {
        set(0, base);
        set(1, size);
        return harness_.call(ke::NtFreeVirtualMemory,
                             {handle, cell(0).value(), cell(1).value(), type});
    }
    NtStatus protect(std::uint64_t base, std::uint64_t size, std::uint32_t newProtect,
                     std::uint64_t oldProtect = cell(2).value(),
                     std::uint64_t handle = kCurrentProcess) {
        set(0, base);
        set(1, size);
        set(2, 0xDEAD'BEEF'DEAD'BEEF);
        return harness_.call(ke::NtProtectVirtualMemory,
                             {handle, cell(0).value(), cell(1).value(), newProtect, oldProtect});
    }
    std::uint32_t oldProtect() { return static_cast<std::uint32_t>(get(2)); }

    // Reserves (and commits) at a chosen base; fails the test if the call does.
    void allocateAt(std::uint64_t base, std::uint64_t size, std::uint32_t type,
                    std::uint32_t protect) {
        ASSERT_EQ(allocate(base, size, type, protect), NtStatus::Success);
        ASSERT_EQ(this->base(), alignDown(base, kAllocationGranularity));
    }

    std::optional<std::string> brokenInvariant() {
        const mm::AddressSpace* spaces[] = {&space()};
        return mm::checkMemoryInvariants(mm(), spaces);
    }

    TestSystem system_;
    std::unique_ptr<ps::Process> process_ = system_.createProcess();
    SystemCallHarness harness_{*process_};
};

}  // namespace ntoy::test
