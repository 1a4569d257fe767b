// One process on a small test system, with helpers to reserve, commit and touch its pages
// through the AddressSpace API, and to check the memory manager's invariants.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "kernel/hal/Cpu.h"
#include "kernel/mm/AddressSpace.h"
#include "kernel/mm/Invariants.h"
#include "kernel/mm/PagingFile.h"
#include "ntoy/process_layout.h"
#include "tests/kernel/fakes/GuestView.h"
#include "tests/kernel/fakes/TestSystem.h"

namespace ntoy::test {

inline mm::MmProtection protection(std::uint32_t win32) {
    return *mm::MmProtection::fromWin32(win32);
}

// A paging file of `pages` in the temporary directory, for a fixture's system.
inline std::unique_ptr<mm::PagingFile> makePagingFile(std::uint64_t pages) {
    auto file = mm::PagingFile::create(pages, std::filesystem::temp_directory_path());
    EXPECT_TRUE(file) << file.error();
    return file ? std::move(*file) : nullptr;
}

class AddressSpaceFixture : public ::testing::Test {
protected:
    explicit AddressSpaceFixture(std::uint64_t frames = 256,
                                 std::unique_ptr<mm::PagingFile> pagingFile = nullptr)
        : system_(frames, 4, std::move(pagingFile)) {}

    static constexpr std::uint64_t kBase = 0x5000'0000;

    mm::AddressSpace& space() { return process_->space(); }
    RecordingMmu& mmu() { return fakeCpu(*process_).mmu(); }
    mm::MemoryManager& mm() { return system_.mm(); }
    GuestView guest() { return GuestView(space()); }

    static VirtualAddress page(std::uint64_t n) { return VirtualAddress(kBase + n * kPageSize); }

    const mm::Vad& reserve(VirtualAddress start, std::uint64_t pages,
                           std::uint32_t allocationProtect = mm::page::kReadWrite) {
        return space().reserve(start, pages, allocationProtect, mm::VadType::Private);
    }
    NtStatus commit(VirtualAddress start, std::uint64_t pages, std::uint32_t win32) {
        return space().commit(start, start + pages * kPageSize, protection(win32));
    }
    mm::Pte pte(VirtualAddress va) const { return process_->space().tables().pteAt(va); }

    // A user-mode access, with the error code the CPU would give.
    mm::PageFaultOutcome touch(VirtualAddress va, mm::AccessKind access) {
        std::uint32_t code = hal::pf::kUser;
        if (pte(va).isValid())
            code |= hal::pf::kPresent;
        if (access == mm::AccessKind::Write)
            code |= hal::pf::kWrite;
        if (access == mm::AccessKind::Execute)
            code |= hal::pf::kFetch;
        return space().handleFault(va, code);
    }

    // A resident TEB (outside the pages tests use) describing the stack [bottom, top), with
    // StackLimit at `limit`, made the current thread's.
    static constexpr VirtualAddress kTeb{0x7FF0'0000};
    void makeCurrentTeb(VirtualAddress bottom, VirtualAddress limit, VirtualAddress top) {
        if (!space().findVad(kTeb)) {
            space().reserve(kTeb, 2, mm::page::kReadWrite, mm::VadType::Private);
            ASSERT_EQ(commit(kTeb, 2, mm::page::kReadWrite), NtStatus::Success);
        }
        ASSERT_TRUE(guest().poke(kTeb + NTOY_TEB_STACK_BASE, top.value()));
        ASSERT_TRUE(guest().poke(kTeb + NTOY_TEB_STACK_LIMIT, limit.value()));
        ASSERT_TRUE(guest().poke(kTeb + NTOY_TEB_DEALLOCATION_STACK, bottom.value()));
        space().setCurrentTeb(kTeb);
    }
    VirtualAddress tebStackLimit() {
        return VirtualAddress(*guest().peek<std::uint64_t>(kTeb + NTOY_TEB_STACK_LIMIT));
    }

    std::optional<std::string> brokenInvariant() {
        const mm::AddressSpace* spaces[] = {&space()};
        return mm::checkMemoryInvariants(mm(), spaces);
    }

    TestSystem system_;
    std::unique_ptr<ps::Process> process_ = system_.createProcess();
};

}  // namespace ntoy::test
