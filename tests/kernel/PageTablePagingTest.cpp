// Pageable page tables: a leaf table whose pages have all gone to the paging file is paged
// out like a page (transition PDE, Modified, Standby, then a pagefile PDE), and comes back
// on the next access through it (the nested fault) or the next kernel walk, with every
// entry intact. A table that cannot be read back is STATUS_IN_PAGE_ERROR for a user access
// and KERNEL_DATA_INPAGE_ERROR for the kernel.
#include <gtest/gtest.h>

#include <filesystem>

#include "kernel/ke/BugCheck.h"
#include "kernel/mm/PagingFile.h"
#include "tests/kernel/AddressSpaceFixture.h"
#include "tests/kernel/fakes/Printers.h"

namespace ntoy::test {
namespace {

using mm::AccessKind;
using mm::PageFaultOutcome;
using mm::PageFaultResponse;
using mm::PagingFile;
using mm::Pte;

// A sparse process on 128 frames: kTables regions 2 MiB apart, each one leaf table holding
// kPagesPerTable committed pages. Writing them all needs more frames than the machine has.
class PageTablePagingTest : public AddressSpaceFixture {
protected:
    PageTablePagingTest() : AddressSpaceFixture(128, makePagingFile(2048)) {}
    static constexpr std::uint64_t kTables = 24, kPagesPerTable = 8;
    static constexpr std::uint64_t kSpan = 512;  // pages one leaf table maps

    static VirtualAddress at(std::uint64_t table, std::uint64_t i) {
        return VirtualAddress(0x4000'0000 + table * kSpan * kPageSize + i * kPageSize);
    }
    void SetUp() override {
        for (std::uint64_t t = 0; t < kTables; ++t) {
            reserve(at(t, 0), kPagesPerTable);
            ASSERT_EQ(commit(at(t, 0), kPagesPerTable, mm::page::kReadWrite), NtStatus::Success);
        }
    }
    static std::uint64_t word(std::uint64_t t, std::uint64_t i, std::uint64_t tag) {
        return (t * kSpan + i) * 1000 + tag;
    }
    // A CPU access through the tables as they are: a paged-out table is not brought back
    // first, as the fixture's touch() would by reading the PTE.
    PageFaultOutcome access(VirtualAddress va, AccessKind kind) {
        const std::uint32_t code =
            hal::pf::kUser | (kind == AccessKind::Write ? hal::pf::kWrite : 0u);
        return space().handleFault(va, code);
    }
    void writeAll(std::uint64_t tag) {
        for (std::uint64_t t = 0; t < kTables; ++t)
            for (std::uint64_t i = 0; i < kPagesPerTable; ++i) {
                ASSERT_EQ(access(at(t, i), AccessKind::Write).response,
                          PageFaultResponse::Resolved);
                ASSERT_TRUE(guest().poke(at(t, i), word(t, i, tag)));
            }
    }
    // The PDE of table `t`, read without bringing anything back.
    Pte pde(std::uint64_t t) {
        const auto a = space().tables().findPde(at(t, 0));
        return a ? space().tables().read(*a) : Pte();
    }
    // The first table that is paged out, and (with `inFile`) whose PDE is a pagefile entry.
    std::optional<std::uint64_t> pagedOutTable(bool inFile) {
        for (std::uint64_t t = 0; t < kTables; ++t)
            if (mm::PageTables::pagedOut(pde(t)) && (!inFile || pde(t).isPagefile()))
                return t;
        return std::nullopt;
    }
    // Pushes the tables that are out into the paging file: other tables' pages are touched
    // until the Standby frames of the first paged-out table are handed out.
    std::optional<std::uint64_t> tableInTheFile() {
        for (int round = 0; round < 8; ++round) {
            if (auto t = pagedOutTable(true))
                return t;
            for (std::uint64_t t = 0; t < kTables; ++t)
                for (std::uint64_t i = 0; i < kPagesPerTable; ++i)
                    if (!mm::PageTables::pagedOut(pde(t)) &&
                        !space().tables().peekPte(at(t, i)).value_or(Pte()).isValid())
                        (void)access(at(t, i), AccessKind::Read);
        }
        return pagedOutTable(true);
    }
    std::uint64_t wrongWords(std::uint64_t tag) {
        std::uint64_t wrong = 0;
        for (std::uint64_t t = 0; t < kTables; ++t)
            for (std::uint64_t i = 0; i < kPagesPerTable; ++i) {
                if (access(at(t, i), AccessKind::Read).response != PageFaultResponse::Resolved)
                    return ~0ull;
                wrong += guest().peek<std::uint64_t>(at(t, i)) != word(t, i, tag);
            }
        return wrong;
    }
};

TEST_F(PageTablePagingTest, TablesWhosePagesAllLeftArePagedOutAndComeBackIntact) {
    writeAll(1);
    EXPECT_GT(mm().pagedOutTables(), 0u) << "the balance set manager paged tables out";
    ASSERT_TRUE(pagedOutTable(false));
    EXPECT_EQ(brokenInvariant(), std::nullopt) << "paged-out tables are read where they are";
    EXPECT_EQ(wrongWords(1), 0u);
    EXPECT_GT(mm().faults().pageTable, 0u) << "nested faults brought tables back";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
    writeAll(2);
    EXPECT_EQ(wrongWords(2), 0u);
    for (std::uint64_t t = 0; t < kTables; ++t)
        space().decommit(at(t, 0), at(t, kPagesPerTable));
    EXPECT_EQ(mm().pagingFile()->used(), 0u) << "every slot back, tables' too";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(PageTablePagingTest, TheNestedFaultReadsTheTableThenThePage) {
    writeAll(3);
    const auto t = tableInTheFile();
    ASSERT_TRUE(t) << "a table reached the paging file";
    const Pte before = pde(*t);
    const std::uint64_t nested = mm().faults().pageTable;
    const PageFaultOutcome o = access(at(*t, 5), AccessKind::Read);
    ASSERT_EQ(o.response, PageFaultResponse::Resolved);
    EXPECT_EQ(o.tableFault, PageFaultOutcome::TableFault::Hard);
    EXPECT_EQ(o.tableBefore, before);
    EXPECT_TRUE(pde(*t).isValid());
    EXPECT_EQ(pde(*t).pfn(), o.tableFrame);
    EXPECT_EQ(mm().faults().pageTable, nested + 1);
    EXPECT_NE(o.describe().find("page table: hard fault"), std::string::npos) << o.describe();
    EXPECT_EQ(guest().peek<std::uint64_t>(at(*t, 5)), word(*t, 5, 3));
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(PageTablePagingTest, AKernelWalkBringsATableBack) {
    writeAll(4);
    const auto t = pagedOutTable(false);
    ASSERT_TRUE(t);
    EXPECT_FALSE(space().tables().peekPte(at(*t, 2))) << "peeking brings nothing back";
    EXPECT_TRUE(mm::PageTables::pagedOut(pde(*t)));
    const Pte entry = space().tables().pteAt(at(*t, 2));  // a system call's walk
    EXPECT_TRUE(entry.isCommitted()) << "the page's real entry, not a missing table's zero";
    EXPECT_FALSE(entry.hasFrame());
    EXPECT_TRUE(pde(*t).isValid());
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(PageTablePagingTest, AnUnreadableTableIsAnInPageErrorForTheGuestAndABugCheckForTheKernel) {
    writeAll(5);
    const auto t = tableInTheFile();
    ASSERT_TRUE(t);
    const Pte before = pde(*t);
    mm().pagingFile()->failReadsFrom(1, true);
    const PageFaultOutcome o = access(at(*t, 1), AccessKind::Read);
    EXPECT_EQ(o.response, PageFaultResponse::InPageError);
    EXPECT_EQ(o.tableFault, PageFaultOutcome::TableFault::Hard);
    EXPECT_EQ(pde(*t), before) << "still in the file";
    EXPECT_NE(o.describe().find("page table: paging-file slot"), std::string::npos) << o.describe();
    try {
        (void)space().tables().pteAt(at(*t, 1));
        ADD_FAILURE() << "no bug check";
    } catch (const ke::BugCheckStop& stop) {
        EXPECT_EQ(stop.check.code,
                  static_cast<std::uint32_t>(ke::BugCheckCode::KernelDataInpageError));
        EXPECT_EQ(stop.check.parameters[0], before.raw());
    }
    mm().pagingFile()->failReadsFrom(PagingFile::kNoSlot);
    EXPECT_EQ(wrongWords(5), 0u) << "once the file reads again, nothing was lost";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(PageTablePagingTest, InjectedReadErrorsSpareTables) {
    writeAll(6);
    const auto t = tableInTheFile();
    ASSERT_TRUE(t);
    mm().pagingFile()->failReadsFrom(1);  // --inject-pagefile-read-errors
    const PageFaultOutcome o = access(at(*t, 0), AccessKind::Read);
    EXPECT_EQ(o.tableFault, PageFaultOutcome::TableFault::Hard) << "the table came back";
    EXPECT_EQ(o.response, PageFaultResponse::InPageError) << "the page did not";
    EXPECT_TRUE(pde(*t).isValid());
    mm().pagingFile()->failReadsFrom(PagingFile::kNoSlot);
    EXPECT_EQ(wrongWords(6), 0u);
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(PageTablePagingTest, AFaultNeverPagesOutItsOwnTable) {
    writeAll(7);
    // A fresh table, every entry demand-zero: eligible, unless a fault is about to use it.
    const VirtualAddress fresh(0x7000'0000);
    reserve(fresh, 4);
    ASSERT_EQ(commit(fresh, 4, mm::page::kReadWrite), NtStatus::Success);
    const auto freshPde = space().tables().findPde(fresh);
    ASSERT_TRUE(freshPde);
    space().trimPageTables(fresh);
    EXPECT_TRUE(space().tables().read(*freshPde).isValid()) << "kept for the fault";
    space().trimPageTables();
    EXPECT_TRUE(mm::PageTables::pagedOut(space().tables().read(*freshPde))) << "else it goes";
    EXPECT_EQ(brokenInvariant(), std::nullopt);
}

TEST_F(PageTablePagingTest, LookingNeverBringsATableBack) {
    writeAll(8);
    const auto t = tableInTheFile();
    ASSERT_TRUE(t);
    const Pte before = pde(*t);
    const std::uint64_t reads = mm().pagingFile()->reads();
    {
        mm::MemoryManager::LookOnly looking(mm());
        EXPECT_THROW((void)space().tables().pteAt(at(*t, 0)), mm::TableNotResident);
    }
    EXPECT_EQ(pde(*t), before) << "left where it was";
    EXPECT_EQ(mm().pagingFile()->reads(), reads);
    EXPECT_TRUE(space().tables().pteAt(at(*t, 0)).isCommitted()) << "a system call's walk";
}

TEST_F(PageTablePagingTest, LookingReadsATableInTransitionWhereItIs) {
    writeAll(10);
    // A table just paged out waits on Modified with its entries in its frame.
    std::optional<std::uint64_t> t;
    for (std::uint64_t i = 0; i < kTables && !t; ++i)
        if (pde(i).isValid() && mm().pfns().entry(pde(i).pfn()).framedEntries == 0)
            t = i;
    if (!t) {
        for (std::uint64_t i = 0; i < kTables && !t; ++i)
            if (pde(i).isTransition())
                t = i;
    }
    ASSERT_TRUE(t) << "a table with no frames under it";
    space().trimPageTables();
    ASSERT_TRUE(pde(*t).isTransition());
    const Pte before = pde(*t);
    const Pte real = [&] {
        mm::MemoryManager::LookOnly looking(mm());
        return space().tables().pteAt(at(*t, 3));
    }();
    EXPECT_EQ(pde(*t), before) << "still out";
    EXPECT_TRUE(real.isCommitted() && !real.hasFrame()) << "the entry, read in the frame";
}

TEST_F(PageTablePagingTest, ATeardownThatCannotReadATableReportsItAndStillFinishes) {
    writeAll(9);
    ASSERT_TRUE(tableInTheFile());
    mm().pagingFile()->failReadsFrom(1, true);
    EXPECT_THROW(process_->teardown(), ke::BugCheckStop);
    EXPECT_FALSE(process_->hasAddressSpace()) << "the rest of the teardown went on";
    process_.reset();  // a second teardown, from the destructor, has nothing left to do
}

}  // namespace
}  // namespace ntoy::test
