// The paging file and the pager around it: slots, clustered I/O, the modified-page writer,
// Standby repurposing, hard faults with read-ahead, in-page errors, and commit beyond RAM.
#include "kernel/mm/PagingFile.h"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>

#include "kernel/mm/UserMemory.h"
#include "tests/kernel/AddressSpaceFixture.h"
#include "tests/kernel/fakes/Printers.h"

namespace ntoy::test {
namespace {

using mm::AccessKind;
using mm::FaultKind;
using mm::PageFaultResponse;
using mm::PageState;
using mm::PagingFile;

TEST(PagingFileSlots, SlotZeroIsNeverHandedOutAndRunsAreNeighbours) {
    auto file = makePagingFile(8);
    ASSERT_TRUE(file);
    EXPECT_EQ(file->usablePages(), 7u);
    const auto a = file->allocate(3);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->first, 1u);
    EXPECT_EQ(a->count, 3u);
    const auto b = file->allocate(16);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->first, 4u);
    EXPECT_EQ(b->count, 4u) << "only four are left";
    EXPECT_EQ(file->used(), 7u);
    EXPECT_FALSE(file->allocate(1)) << "full";
    file->release(2);
    const auto c = file->allocate(2);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->first, 2u);
    EXPECT_EQ(c->count, 1u) << "the one free slot, alone";
    EXPECT_EQ(file->peak(), 7u);
}

TEST(PagingFileSlots, AClusterGoesOutAndComesBackWhole) {
    auto file = makePagingFile(64);
    ASSERT_TRUE(file);
    std::vector<std::array<std::byte, kPageSize>> pages(5), back(5);
    std::vector<const std::byte*> out;
    std::vector<std::byte*> in;
    for (std::size_t i = 0; i < pages.size(); ++i) {
        pages[i].fill(std::byte(0x30 + i));
        out.push_back(pages[i].data());
        in.push_back(back[i].data());
    }
    const auto run = file->allocate(5);
    ASSERT_TRUE(run && run->count == 5);
    ASSERT_TRUE(file->write(run->first, out));
    ASSERT_TRUE(file->read(run->first, in));
    EXPECT_EQ(back, pages);
    EXPECT_EQ(file->writes(), 1u) << "one pwritev";
    EXPECT_EQ(file->reads(), 1u) << "one preadv";
    EXPECT_EQ(file->pagesWritten(), 5u);
    file->failReadsFrom(run->first + 4);
    EXPECT_FALSE(file->read(run->first, in)) << "the last page cannot be read";
    EXPECT_TRUE(file->read(run->first, std::span(in).first(4)));
    EXPECT_EQ(file->failedReads(), 1u);
}

TEST(PagingFileHost, ANamedFileIsNeverOverwrittenAndGoesAtTheEnd) {
    const auto path =
        std::filesystem::temp_directory_path() / ("ntoy-paging-test-" + std::to_string(::getpid()));
    {
        auto file = PagingFile::create(4, {}, path);
        ASSERT_TRUE(file) << file.error();
        EXPECT_TRUE(std::filesystem::exists(path));
        auto again = PagingFile::create(4, {}, path);
        ASSERT_FALSE(again);
        EXPECT_NE(again.error().find("never writes over"), std::string::npos) << again.error();
    }
    EXPECT_FALSE(std::filesystem::exists(path)) << "deleted when the paging file ends";
    EXPECT_FALSE(PagingFile::create(1, std::filesystem::temp_directory_path()));
    EXPECT_FALSE(PagingFile::create(4, "/nonexistent-directory-for-ntoy"));
}

// A process on a machine of 128 frames with a paging file of 1024 pages.
class PagerTest : public AddressSpaceFixture {
protected:
    PagerTest() : AddressSpaceFixture(kFrames, makePagingFile(1024)) {}
    static constexpr std::uint64_t kFrames = 128;
    static constexpr std::uint64_t kPages = 600;
    void SetUp() override {
        reserve(page(0), kPages);
        ASSERT_EQ(commit(page(0), kPages, mm::page::kReadWrite), NtStatus::Success);
    }
    PagingFile& file() { return *mm().pagingFile(); }
    // Writes `tag`-dependent words into every page, touching each as the CPU would.
    void writeAll(std::uint64_t tag) {
        for (std::uint64_t i = 0; i < kPages; ++i) {
            ASSERT_EQ(touch(page(i), AccessKind::Write).response, PageFaultResponse::Resolved);
            ASSERT_TRUE(guest().poke(page(i), i * 1000 + tag)) << i;
            ASSERT_TRUE(guest().poke(page(i) + 0xFF8, ~(i * 1000 + tag))) << i;
        }
    }
    // The first of the pages that lives in the paging file alone (a pagefile PTE).
    std::uint64_t firstPagedOut() {
        std::uint64_t i = 0;
        while (i < kPages && !pte(page(i)).isPagefile())
            ++i;
        EXPECT_LT(i, kPages) << "some page went to the paging file";
        return i;
    }
    // Reads every page back through faults: the number that hold the wrong words.
    std::uint64_t wrongPages(std::uint64_t tag) {
        std::uint64_t wrong = 0;
        for (std::uint64_t i = 0; i < kPages; ++i) {
            if (!pte(page(i)).isValid() &&
                touch(page(i), AccessKind::Read).response != PageFaultResponse::Resolved)
                return ~0ull;
            const auto a = guest().peek<std::uint64_t>(page(i));
            const auto b = guest().peek<std::uint64_t>(page(i) + 0xFF8);
            wrong += a != i * 1000 + tag || b != ~(i * 1000 + tag);
        }
        return wrong;
    }
};

TEST_F(PagerTest, CommitReachesBeyondRamToRamPlusThePagingFile) {
    // RAM and the file's usable slots, less the pager's margin (2 × 16 frames at this size).
    EXPECT_EQ(mm().commit().limit(), kFrames + 1023 - 32);
    const VirtualAddress far = page(kPages);
    reserve(far, 2000);
    const std::uint64_t before = mm().commit().charge();
    EXPECT_EQ(commit(far, 2000, mm::page::kReadWrite), NtStatus::CommitmentLimit);
    EXPECT_EQ(mm().commit().charge(), before) << "nothing half-done";
}

TEST_F(PagerTest, FourTimesRamKeepsEveryWordThroughHardAndSoftFaults) {
    writeAll(1);
    EXPECT_GT(file().pagesWritten(), 0u) << "the modified-page writer ran";
    EXPECT_GT(mm().pfns().repurposed(), 0u) << "Standby frames were handed out";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
    EXPECT_EQ(wrongPages(1), 0u);
    EXPECT_GT(mm().faults().hard, 0u);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
    // Rewritten: the copies in the file went stale and must not come back.
    writeAll(2);
    EXPECT_EQ(wrongPages(2), 0u);
    EXPECT_EQ(wrongPages(2), 0u);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
    // Everything goes back: frames, slots and charge.
    space().decommit(page(0), page(kPages));
    EXPECT_EQ(file().used(), 0u);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(PagerTest, AHardFaultReadsAheadIntoStandby) {
    writeAll(3);
    // Find a page that lives in the file alone, followed by its neighbours in the next slots.
    std::optional<std::uint64_t> start;
    for (std::uint64_t i = 0; i + 4 < kPages && !start; ++i) {
        const mm::Pte p = pte(page(i));
        if (!p.isPagefile())
            continue;
        bool run = true;
        for (std::uint64_t k = 1; k < 4; ++k)
            run = run && pte(page(i + k)).isPagefile() &&
                  pte(page(i + k)).pagefileSlot() == p.pagefileSlot() + k;
        if (run && (page(i).value() >> 21) == (page(i + 3).value() >> 21))
            start = i;
    }
    ASSERT_TRUE(start) << "the writer wrote neighbours into neighbouring slots";
    const auto o = touch(page(*start), AccessKind::Read);
    ASSERT_EQ(o.kind, FaultKind::Hard);
    EXPECT_GE(o.readAhead, 3u);
    const mm::Pte next = pte(page(*start + 1));
    ASSERT_TRUE(next.isTransition()) << "read ahead: its frame waits on Standby";
    EXPECT_EQ(mm().pfns().entry(next.pfn()).state, PageState::Standby);
    EXPECT_EQ(touch(page(*start + 1), AccessKind::Read).kind, FaultKind::Transition);
    EXPECT_EQ(guest().peek<std::uint64_t>(page(*start + 1)), (*start + 1) * 1000 + 3);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(PagerTest, ACleanPageLeavesForStandbyAndADirtyOneForModified) {
    writeAll(4);
    // A page read back from the file holds its copy while it is unchanged...
    const std::uint64_t i = firstPagedOut();
    ASSERT_EQ(touch(page(i), AccessKind::Read).kind, FaultKind::Hard);
    const Pfn frame = pte(page(i)).pfn();
    EXPECT_NE(mm().pfns().entry(frame).pagefileSlot, 0u);
    space().unlockPages(page(i), page(i + 1));  // takes it out of the working set
    EXPECT_EQ(mm().pfns().entry(frame).state, PageState::Standby) << "clean: no write needed";
    // ...and loses it once written.
    ASSERT_EQ(touch(page(i), AccessKind::Write).kind, FaultKind::Transition);
    ASSERT_TRUE(guest().poke(page(i), std::uint64_t{77}));
    space().unlockPages(page(i), page(i + 1));
    EXPECT_EQ(mm().pfns().entry(frame).state, PageState::Modified) << "dirty: it must be written";
    EXPECT_EQ(mm().pfns().entry(frame).pagefileSlot, 0u);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(PagerTest, AFailedReadIsAnInPageErrorAndLosesNothing) {
    writeAll(5);
    const std::uint64_t i = firstPagedOut();
    const mm::Pte before = pte(page(i));
    file().failReadsFrom(1);
    const auto o = touch(page(i), AccessKind::Read);
    EXPECT_EQ(o.response, PageFaultResponse::InPageError);
    EXPECT_EQ(pte(page(i)), before) << "still in the file";
    EXPECT_EQ(mm().faults().inPageError, 1u);
    EXPECT_EQ(space().frameForKernelAccess(page(i), AccessKind::Read).error(),
              NtStatus::InPageError);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
    file().failReadsFrom(PagingFile::kNoSlot);
    EXPECT_EQ(wrongPages(5), 0u) << "once the file reads again, every page is intact";
}

TEST_F(PagerTest, ProtectingAPageInTheFileKeepsItThere) {
    writeAll(6);
    const std::uint64_t i = firstPagedOut();
    const std::uint32_t slot = pte(page(i)).pagefileSlot();
    space().protect(page(i), page(i + 1), protection(mm::page::kReadOnly));
    ASSERT_TRUE(pte(page(i)).isPagefile());
    EXPECT_EQ(pte(page(i)).pagefileSlot(), slot);
    EXPECT_EQ(pte(page(i)).protection(), protection(mm::page::kReadOnly));
    EXPECT_EQ(touch(page(i), AccessKind::Read).kind, FaultKind::Hard);
    EXPECT_EQ(guest().peek<std::uint64_t>(page(i)), i * 1000 + 6);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

}  // namespace
}  // namespace ntoy::test

namespace ntoy::test {
namespace {

TEST_F(PagerTest, MemResetDiscardsContentsWithoutWritingThem) {
    for (std::uint64_t i = 0; i < 4; ++i) {
        ASSERT_EQ(touch(page(i), AccessKind::Write).response, PageFaultResponse::Resolved);
        ASSERT_TRUE(guest().poke(page(i), std::uint64_t{100 + i}));
    }
    // Page 0 out of the working set (Modified), pages 1-3 in it.
    space().unlockPages(page(0), page(1));
    ASSERT_TRUE(pte(page(0)).isTransition());
    const std::uint64_t written = file().pagesWritten();
    const std::uint64_t free = mm().pfns().available();
    space().reset(page(0), page(4));
    EXPECT_TRUE(pte(page(0)).isDemandZero()) << "out of the working set: discarded at once";
    EXPECT_EQ(mm().pfns().available(), free + 1) << "its frame is free";
    EXPECT_TRUE(pte(page(1)).isValid()) << "in it: kept while it stays";
    EXPECT_EQ(guest().peek<std::uint64_t>(page(1)), 101u);
    // Page 2 is written again after the reset: its contents matter once more.
    ASSERT_TRUE(guest().poke(page(2), std::uint64_t{202}));
    EXPECT_EQ(space().emptyWorkingSet(), 3u);
    EXPECT_TRUE(pte(page(1)).isDemandZero()) << "reset, unwritten, left: discarded";
    EXPECT_TRUE(pte(page(2)).isTransition()) << "written after the reset: kept";
    EXPECT_TRUE(pte(page(3)).isDemandZero());
    EXPECT_EQ(file().pagesWritten(), written) << "nothing was written to the paging file";
    EXPECT_EQ(touch(page(1), AccessKind::Read).kind, FaultKind::DemandZero);
    EXPECT_EQ(guest().peek<std::uint64_t>(page(1)), 0u) << "reads as zeros";
    EXPECT_EQ(touch(page(2), AccessKind::Read).kind, FaultKind::Transition);
    EXPECT_EQ(guest().peek<std::uint64_t>(page(2)), 202u);
    EXPECT_EQ(space().committedPages(), kPages) << "all still committed";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(PagerTest, MemResetOfAPageInTheFileFreesItsSlot) {
    writeAll(7);
    const std::uint64_t i = firstPagedOut();
    const std::uint64_t used = file().used();
    const mm::MmProtection prot = pte(page(i)).protection();
    space().reset(page(i), page(i + 1));
    EXPECT_TRUE(pte(page(i)).isDemandZero());
    EXPECT_EQ(pte(page(i)).protection(), prot);
    EXPECT_EQ(file().used(), used - 1);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

}  // namespace
}  // namespace ntoy::test

namespace ntoy::test {
namespace {

TEST_F(PagerTest, AFullPagingFileRefusesNewCommitsAndLosesNoPage) {
    // Commit all that is left, but for room for the page tables, in a region of its own.
    space().decommit(page(0), page(kPages));
    const VirtualAddress region = page(1024);
    reserve(region, 2048);
    const std::uint64_t left = mm().commit().limit() - mm().commit().charge();
    ASSERT_GT(left, 16u);
    const std::uint64_t pages = left - 8;
    ASSERT_EQ(commit(region, pages, mm::page::kReadWrite), NtStatus::Success);
    EXPECT_EQ(commit(region + pages * kPageSize, 16, mm::page::kReadWrite),
              NtStatus::CommitmentLimit);
    // Every page written: RAM and the paging file are all in use.
    for (std::uint64_t i = 0; i < pages; ++i) {
        const VirtualAddress va = region + i * kPageSize;
        ASSERT_EQ(touch(va, AccessKind::Write).response, PageFaultResponse::Resolved) << i;
        ASSERT_TRUE(guest().poke(va, i ^ 0xABCDEF)) << i;
    }
    EXPECT_GT(file().peak(), file().usablePages() * 3 / 4);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
    for (int pass = 0; pass < 2; ++pass) {
        for (std::uint64_t i = 0; i < pages; ++i) {
            const VirtualAddress va = region + i * kPageSize;
            if (!pte(va).isValid()) {
                ASSERT_EQ(touch(va, AccessKind::Read).response, PageFaultResponse::Resolved) << i;
            }
            ASSERT_EQ(guest().peek<std::uint64_t>(va), i ^ 0xABCDEF) << i;
        }
    }
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(PagerTest, ABadFrameLeavesServiceAndTheCommitLimit) {
    const std::uint64_t limit = mm().commit().limit();
    const Pfn zeroed = mm().pfns().memory().endPfn() + (-1ull);  // the last frame: still Zeroed
    ASSERT_EQ(mm().pfns().entry(zeroed).state, PageState::Zeroed);
    EXPECT_TRUE(mm().retireFrame(zeroed));
    EXPECT_EQ(mm().pfns().entry(zeroed).state, PageState::Bad);
    EXPECT_EQ(mm().commit().limit(), limit - 1);
    EXPECT_TRUE(mm().retireFrame(zeroed)) << "once is enough";
    EXPECT_EQ(mm().commit().limit(), limit - 1);
    EXPECT_FALSE(mm().retireFrame(Pfn(1))) << "not RAM";
    writeAll(8);
    EXPECT_EQ(mm().pfns().entry(zeroed).state, PageState::Bad) << "never handed out";
    EXPECT_EQ(wrongPages(8), 0u);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(PagerTest, EveryFrameFoundBadStillLeavesTheMachineFramesToRunOn) {
    mm().injectFrameErrors(1);
    writeAll(10);
    EXPECT_EQ(wrongPages(10), 0u) << "no NO_PAGES_AVAILABLE, every page intact";
    EXPECT_EQ(mm().framesFoundBad(), kFrames / 8) << "at most an eighth of RAM";
    EXPECT_EQ(brokenInvariant(), std::nullopt) << "Standby frames found bad are not obtainable";
}

TEST_F(PagerTest, FramesFoundBadInUseKeepTheirPagesThenLeaveService) {
    const auto before = mm::MemoryBaseline::of(mm());
    const std::uint64_t limit = mm().commit().limit();
    mm().injectFrameErrors(50);
    writeAll(9);
    EXPECT_GT(mm().framesFoundBad(), 0u);
    EXPECT_EQ(mm().commit().limit(), limit - mm().framesFoundBad());
    EXPECT_EQ(wrongPages(9), 0u) << "a page keeps the frame it has, intact";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
    mm().injectFrameErrors(0);
    space().decommit(page(0), page(kPages));
    EXPECT_EQ(mm().pfns().count(PageState::Bad), mm().framesFoundBad())
        << "each went to the Bad list when its page let it go";
    ASSERT_EQ(commit(page(0), kPages, mm::page::kReadWrite), NtStatus::Success);
    EXPECT_EQ(mm::checkNothingLeaked(mm(), before), std::nullopt)
        << "back as it was, the bad frames counted as such, not leaked";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

}  // namespace
}  // namespace ntoy::test

namespace ntoy::test {
namespace {

// Working-set limits need a machine larger than the 512 frames the system keeps.
class HardMaximumTest : public AddressSpaceFixture {
protected:
    HardMaximumTest() : AddressSpaceFixture(1024) {}
    void SetUp() override {
        reserve(page(0), 100);
        ASSERT_EQ(commit(page(0), 100, mm::page::kReadWrite), NtStatus::Success);
    }
};

TEST_F(HardMaximumTest, KeepsTheWorkingSetUnderIt) {
    constexpr std::uint64_t kMaximum = 40;
    ASSERT_EQ(space().setWorkingSetLimits(20, kMaximum, mm::AddressSpace::kHardMaximumEnable),
              NtStatus::Success);
    for (std::uint64_t i = 0; i < 100; ++i) {
        ASSERT_EQ(touch(page(i), AccessKind::Write).response, PageFaultResponse::Resolved);
        ASSERT_TRUE(guest().poke(page(i), i + 11));
        ASSERT_LE(space().workingSet().size(), kMaximum) << i;
    }
    for (std::uint64_t i = 0; i < 100; ++i) {
        if (!pte(page(i)).isValid()) {
            ASSERT_EQ(touch(page(i), AccessKind::Read).response, PageFaultResponse::Resolved);
        }
        ASSERT_EQ(guest().peek<std::uint64_t>(page(i)), i + 11) << i;
        ASSERT_LE(space().workingSet().size(), kMaximum) << i;
    }
    // Advisory again: the set grows past it.
    ASSERT_EQ(space().setWorkingSetLimits(20, kMaximum, 0), NtStatus::Success);
    for (std::uint64_t i = 0; i < 100; ++i) {
        if (!pte(page(i)).isValid()) {
            touch(page(i), AccessKind::Read);
        }
    }
    EXPECT_GT(space().workingSet().size(), kMaximum);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

}  // namespace
}  // namespace ntoy::test

namespace ntoy::test {
namespace {

// Regressions for what a review of the pager found: each of these failed before its fix.

TEST_F(PagerTest, APageWrittenAfterMemResetIsNeverDiscardedLater) {
    ASSERT_EQ(touch(page(0), AccessKind::Write).response, PageFaultResponse::Resolved);
    space().reset(page(0), page(1));
    ASSERT_TRUE(guest().poke(page(0), std::uint64_t{4242}));  // the CPU sets Dirty
    space().unlockPages(page(0), page(1));                    // leaves: kept (Modified)
    ASSERT_TRUE(pte(page(0)).isTransition());
    ASSERT_EQ(touch(page(0), AccessKind::Read).kind, FaultKind::Transition);
    space().unlockPages(page(0), page(1));  // leaves again, not Dirty this time
    ASSERT_TRUE(pte(page(0)).isTransition()) << "the write after the reset still counts";
    ASSERT_EQ(touch(page(0), AccessKind::Read).kind, FaultKind::Transition);
    EXPECT_EQ(guest().peek<std::uint64_t>(page(0)), 4242u);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(PagerTest, AKernelCopyAcrossPagedOutPagesMovesEveryByte) {
    writeAll(9);
    // 300 pages, more than RAM's 128 frames: resolving the later pages trims the earlier.
    constexpr std::uint64_t kSpan = 300;
    std::vector<std::uint64_t> words(kSpan * kPageSize / 8);
    mm::UserMemory user(space());
    ASSERT_EQ(user.read(page(0), std::as_writable_bytes(std::span(words))), NtStatus::Success);
    for (std::uint64_t i = 0; i < kSpan; ++i) {
        ASSERT_EQ(words[i * 512], i * 1000 + 9) << i;
        ASSERT_EQ(words[i * 512 + 511], ~(i * 1000 + 9)) << i;
    }
    for (std::uint64_t i = 0; i < kSpan; ++i)
        words[i * 512] = i + 5;
    ASSERT_EQ(user.write(page(0), std::as_bytes(std::span(words))), NtStatus::Success);
    for (std::uint64_t i = 0; i < kSpan; ++i) {
        if (!pte(page(i)).isValid()) {
            ASSERT_EQ(touch(page(i), AccessKind::Read).response, PageFaultResponse::Resolved);
        }
        ASSERT_EQ(guest().peek<std::uint64_t>(page(i)), i + 5) << i;
    }
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(PagerTest, TheStackGrowsWhenTheTebIsInThePagingFile) {
    // A stack: pages 600-607 reserved, the top four committed, a guard page below them.
    const VirtualAddress bottom = page(kPages + 8), top = bottom + 8 * kPageSize;
    reserve(bottom, 8);
    ASSERT_EQ(commit(top - 4 * kPageSize, 4, mm::page::kReadWrite), NtStatus::Success);
    ASSERT_EQ(commit(top - 5 * kPageSize, 1, mm::page::kReadWrite | mm::page::kGuard),
              NtStatus::Success);
    makeCurrentTeb(bottom, top - 4 * kPageSize, top);
    writeAll(10);  // pushes everything out, the TEB too
    const bool tebOut = pte(kTeb).isPagefile() || pte(kTeb + kPageSize).isPagefile();
    ASSERT_TRUE(tebOut) << "the TEB went to the paging file";
    const auto o = touch(top - 5 * kPageSize, AccessKind::Write);
    EXPECT_EQ(o.kind, FaultKind::StackGrowth);
    EXPECT_EQ(o.response, PageFaultResponse::Resolved);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(PagerTest, ALockedPageGivesUpItsCopyInThePagingFile) {
    writeAll(11);
    const std::uint64_t i = firstPagedOut();
    ASSERT_EQ(touch(page(i), AccessKind::Read).kind, FaultKind::Hard);
    ASSERT_NE(mm().pfns().entry(pte(page(i)).pfn()).pagefileSlot, 0u);
    ASSERT_EQ(space().lockPages(page(i), page(i + 1)), NtStatus::Success);
    EXPECT_EQ(mm().pfns().entry(pte(page(i)).pfn()).pagefileSlot, 0u)
        << "a locked page never leaves: its slot is free for another";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

}  // namespace
}  // namespace ntoy::test
