#include "kernel/mm/PageTables.h"

#include <gtest/gtest.h>

#include "kernel/mm/SystemLayout.h"
#include "tests/kernel/fakes/HostRam.h"
#include "tests/kernel/fakes/Printers.h"

namespace ntoy::mm {
namespace {

constexpr std::uint64_t k2M = 1ull << 21, k1G = 1ull << 30, k512G = 1ull << 39;
const VirtualAddress kUserVa(0x12'3456'0000);
const VirtualAddress kSystemVa(kKernelWindowBase + 0x5000);

class PageTablesTest : public ::testing::Test {
protected:
    static constexpr std::uint64_t kFrames = 64;
    test::HostRam ram_{kFrames};
    PfnDatabase pfns_{ram_.physicalMemory()};
    CommitCharge commit_{kFrames};
    PageTables tables_ = *PageTables::create(pfns_, commit_);

    std::uint32_t usedEntries(Pfn table) const { return pfns_.entry(table).usedEntries; }
    Pte someLeaf() const { return Pte::demandZero(*MmProtection::fromWin32(page::kReadWrite)); }
};

TEST_F(PageTablesTest, CreateTakesOneChargedTableFrame) {
    EXPECT_EQ(commit_.charge(), 1u);
    EXPECT_EQ(pfns_.count(PageUse::PageTable), 1u);
    EXPECT_EQ(pfns_.entry(tables_.root()).state, PageState::Active);
    EXPECT_EQ(usedEntries(tables_.root()), 0u);
}

TEST_F(PageTablesTest, CreateFailsCleanlyWithoutCommit) {
    CommitCharge none(0);
    EXPECT_FALSE(PageTables::create(pfns_, none));
    EXPECT_EQ(pfns_.count(PageUse::PageTable), 1u) << "only the fixture's root";
}

TEST_F(PageTablesTest, WalkOfAnEmptySpaceStopsAtTheRoot) {
    const auto walk = tables_.walk(kUserVa);
    ASSERT_TRUE(walk.levels[0]);
    EXPECT_EQ(walk.levels[0]->table, tables_.root());
    EXPECT_EQ(walk.levels[0]->index, PageTableIndices::of(kUserVa).pml4);
    EXPECT_TRUE(walk.levels[0]->entry.isZero());
    EXPECT_FALSE(walk.levels[1] || walk.levels[2] || walk.levels[3]);
    EXPECT_EQ(tables_.findPte(kUserVa), std::nullopt);
    EXPECT_TRUE(tables_.pteAt(kUserVa).isZero());
}

TEST_F(PageTablesTest, EnsurePteCreatesThreeChargedTables) {
    const auto at = tables_.ensurePte(kUserVa);
    ASSERT_TRUE(at);
    EXPECT_EQ(commit_.charge(), 4u);
    EXPECT_EQ(pfns_.count(PageUse::PageTable), 4u);
    EXPECT_EQ(tables_.findPte(kUserVa), at);

    const auto walk = tables_.walk(kUserVa);
    const auto idx = PageTableIndices::of(kUserVa);
    const unsigned indices[] = {idx.pml4, idx.pdpt, idx.pd, idx.pt};
    for (int level = 0; level < 4; ++level) {
        ASSERT_TRUE(walk.levels[level]) << level;
        EXPECT_EQ(walk.levels[level]->index, indices[level]);
    }
    EXPECT_EQ(walk.levels[3]->entryAddress(), *at);
    for (int level = 0; level < 3; ++level) {
        const Pte e = walk.levels[level]->entry;
        EXPECT_EQ(e, Pte::table(e.pfn(), true)) << "user tables are user-accessible";
        EXPECT_EQ(usedEntries(walk.levels[level]->table), 1u) << level;
        EXPECT_EQ(walk.levels[level + 1]->table, e.pfn());
        EXPECT_EQ(pfns_.entry(e.pfn()).pteAddress, walk.levels[level]->entryAddress())
            << "a table's PFN entry points at the entry that maps it";
    }
    EXPECT_EQ(usedEntries(walk.levels[3]->table), 0u);
}

TEST_F(PageTablesTest, SystemTablesAreSupervisorOnly) {
    ASSERT_TRUE(tables_.ensurePte(kSystemVa));
    const auto walk = tables_.walk(kSystemVa);
    for (int level = 0; level < 3; ++level)
        EXPECT_FALSE(walk.levels[level]->entry.has(PteBit::User)) << level;
}

TEST_F(PageTablesTest, EnsurePteReusesExistingTables) {
    ASSERT_TRUE(tables_.ensurePte(kUserVa));
    ASSERT_TRUE(tables_.ensurePte(kUserVa));
    ASSERT_TRUE(tables_.ensurePte(kUserVa + kPageSize));
    EXPECT_EQ(commit_.charge(), 4u) << "same leaf table";
    ASSERT_TRUE(tables_.ensurePte(kUserVa + k2M));
    EXPECT_EQ(commit_.charge(), 5u) << "a new leaf table";
    ASSERT_TRUE(tables_.ensurePte(kUserVa + k1G));
    EXPECT_EQ(commit_.charge(), 7u) << "a new directory and leaf table";
    ASSERT_TRUE(tables_.ensurePte(kUserVa + k512G));
    EXPECT_EQ(commit_.charge(), 10u) << "three new tables";
    EXPECT_EQ(usedEntries(tables_.root()), 2u);
}

TEST_F(PageTablesTest, WriteCountsEntriesInUse) {
    const PhysicalAddress at = *tables_.ensurePte(kUserVa);
    const Pfn leafTable = at.pfn();
    const Pte demandZero = someLeaf();
    tables_.write(at, demandZero);
    EXPECT_EQ(usedEntries(leafTable), 1u);
    tables_.write(at, Pte::demandZero(*MmProtection::fromWin32(page::kReadOnly)));
    EXPECT_EQ(usedEntries(leafTable), 1u) << "non-zero to non-zero";
    EXPECT_EQ(tables_.read(at), Pte::demandZero(*MmProtection::fromWin32(page::kReadOnly)));
    tables_.write(*tables_.ensurePte(kUserVa + kPageSize), demandZero);
    EXPECT_EQ(usedEntries(leafTable), 2u);
    tables_.write(at, Pte());
    EXPECT_EQ(usedEntries(leafTable), 1u);
    tables_.write(at, Pte());
    EXPECT_EQ(usedEntries(leafTable), 1u) << "zero to zero";
}

TEST_F(PageTablesTest, PruneFreesEmptyTablesUpToTheRoot) {
    const PhysicalAddress at = *tables_.ensurePte(kUserVa);
    tables_.write(at, someLeaf());
    tables_.pruneEmptyTables(kUserVa);
    EXPECT_EQ(commit_.charge(), 4u) << "the leaf table is in use";
    tables_.write(at, Pte());
    tables_.pruneEmptyTables(kUserVa);
    EXPECT_EQ(commit_.charge(), 1u);
    EXPECT_EQ(pfns_.count(PageUse::PageTable), 1u);
    EXPECT_EQ(pfns_.count(PageState::Free), 3u);
    EXPECT_EQ(usedEntries(tables_.root()), 0u);
    EXPECT_TRUE(tables_.walk(kUserVa).levels[0]->entry.isZero());
    EXPECT_EQ(pfns_.entry(tables_.root()).state, PageState::Active) << "the root stays";
    EXPECT_EQ(pfns_.verify(), std::nullopt);
}

TEST_F(PageTablesTest, PruneStopsAtATableStillInUse) {
    tables_.write(*tables_.ensurePte(kUserVa), someLeaf());
    const PhysicalAddress other = *tables_.ensurePte(kUserVa + k2M);  // same PD, new PT
    EXPECT_EQ(commit_.charge(), 5u);
    tables_.pruneEmptyTables(kUserVa + k2M);
    EXPECT_EQ(commit_.charge(), 4u) << "only the empty leaf table goes";
    EXPECT_EQ(tables_.findPte(kUserVa + k2M), std::nullopt);
    EXPECT_TRUE(tables_.findPte(kUserVa));
    (void)other;
}

TEST_F(PageTablesTest, FailedEnsurePteUndoesItsTables) {
    CommitCharge tight(3);  // the root and two more tables: one short
    PageTables tables = *PageTables::create(pfns_, tight);
    const std::uint64_t tablesBefore = pfns_.count(PageUse::PageTable);
    EXPECT_EQ(tables.ensurePte(kUserVa), std::nullopt);
    EXPECT_EQ(tight.charge(), 1u);
    EXPECT_EQ(pfns_.count(PageUse::PageTable), tablesBefore);
    EXPECT_EQ(pfns_.entry(tables.root()).usedEntries, 0u);
    EXPECT_TRUE(tables.walk(kUserVa).levels[0]->entry.isZero());
    EXPECT_EQ(pfns_.verify(), std::nullopt);
}

TEST_F(PageTablesTest, NextPossiblyMappedSkipsAbsentSpans) {
    EXPECT_EQ(tables_.nextPossiblyMapped(kUserVa),
              VirtualAddress(alignUp(kUserVa.value() + 1, k512G)));
    ASSERT_TRUE(tables_.ensurePte(kUserVa));
    EXPECT_EQ(tables_.nextPossiblyMapped(kUserVa + 0x123), kUserVa) << "its own page";
    EXPECT_EQ(tables_.nextPossiblyMapped(kUserVa + k2M),
              VirtualAddress(alignDown(kUserVa.value(), k2M) + 2 * k2M))
        << "no leaf table: skip to the next 2 MiB";
    EXPECT_EQ(tables_.nextPossiblyMapped(kUserVa + k1G),
              VirtualAddress(alignDown(kUserVa.value(), k1G) + 2 * k1G))
        << "no directory: skip to the next 1 GiB";
    EXPECT_EQ(tables_.nextPossiblyMapped(VirtualAddress(k512G + 0x5000)), VirtualAddress(2 * k512G))
        << "no directory pointer table: skip to the next 512 GiB";
}

TEST_F(PageTablesTest, ForEachLeafVisitsExistingTablesInOrderAndSkipsMissingOnes) {
    // Leaf tables for the 2 MiB at kUserVa and the 2 MiB one gigabyte further; none between.
    const PhysicalAddress first = *tables_.ensurePte(kUserVa + 0x3000);
    tables_.write(first, someLeaf());
    ASSERT_TRUE(tables_.ensurePte(kUserVa + k1G));
    const VirtualAddress leafStart(alignDown(kUserVa.value(), k2M));
    const VirtualAddress farStart(alignDown((kUserVa + k1G).value(), k2M));
    std::vector<VirtualAddress> seen;
    tables_.forEachLeaf(leafStart, farStart + 4 * kPageSize,
                        [&](VirtualAddress va, PhysicalAddress at, Pte pte) {
                            EXPECT_EQ(tables_.findPte(va), at) << std::hex << va.value();
                            EXPECT_EQ(pte, tables_.read(at));
                            seen.push_back(va);
                            return true;
                        });
    ASSERT_EQ(seen.size(), 512u + 4u) << "one whole leaf table, then four entries of the other";
    EXPECT_EQ(seen.front(), leafStart);
    EXPECT_EQ(seen[511], leafStart + k2M - kPageSize);
    EXPECT_EQ(seen[512], farStart);
    EXPECT_EQ(seen.back(), farStart + 3 * kPageSize);
}

TEST_F(PageTablesTest, ForEachLeafStopsWhenTheVisitorSaysSo) {
    ASSERT_TRUE(tables_.ensurePte(kUserVa));
    std::uint64_t visits = 0;
    tables_.forEachLeaf(kUserVa, kUserVa + 16 * kPageSize,
                        [&](VirtualAddress, PhysicalAddress, Pte) { return ++visits < 3; });
    EXPECT_EQ(visits, 3u);
    tables_.forEachLeaf(kUserVa + k2M, kUserVa + k1G, [&](VirtualAddress, PhysicalAddress, Pte) {
        ADD_FAILURE() << "no leaf table there";
        return true;
    });
}

TEST_F(PageTablesTest, ForEachPieceSplitsAtPagesAndStopsAtTheFirstUnusablePage) {
    const Pfn frames[] = {*pfns_.allocateZeroed(PageUse::UserPrivate),
                          *pfns_.allocateZeroed(PageUse::UserPrivate)};
    const auto rw = *MmProtection::fromWin32(page::kReadWrite);
    tables_.write(*tables_.ensurePte(kUserVa), Pte::valid(frames[0], rw, true));
    tables_.write(*tables_.ensurePte(kUserVa + kPageSize), Pte::valid(frames[1], rw, true));
    tables_.write(*tables_.ensurePte(kUserVa + 2 * kPageSize), someLeaf());  // no frame
    struct Piece {
        std::byte* host;
        std::uint64_t offset, length;
        bool operator==(const Piece&) const = default;
    };
    std::vector<Piece> pieces;
    const auto record = [&](std::byte* host, std::uint64_t off, std::uint64_t n, Pte) {
        pieces.push_back({host, off, n});
    };
    const auto hasFrame = [](Pte e) { return e.hasFrame(); };
    const VirtualAddress start = kUserVa + 0xF00;
    EXPECT_EQ(tables_.forEachPiece(start, 0x1100, hasFrame, record), 0x1100u);
    const auto& ram = pfns_.memory();
    EXPECT_EQ(pieces, (std::vector<Piece>{{ram.at(frames[0].address() + 0xF00), 0, 0x100},
                                          {ram.at(frames[1].address()), 0x100, 0x1000}}));
    pieces.clear();
    EXPECT_EQ(tables_.forEachPiece(start, 0x3000, hasFrame, record), 0x1100u)
        << "short at the demand-zero page";
    EXPECT_EQ(pieces.size(), 2u);

    const VirtualAddress lastPage(~0ull & ~kPageMask);
    tables_.write(*tables_.ensurePte(lastPage), Pte::valid(frames[0], rw, false));
    EXPECT_EQ(tables_.forEachPiece(lastPage + 0xF00, 0x200, hasFrame, record), 0x100u)
        << "stops where the range wraps";
}

TEST_F(PageTablesTest, DestroyReturnsEveryFrameAndCharge) {
    const std::uint64_t availableBefore = pfns_.available() + 1;  // and the fixture's root
    const std::uint64_t chargeBefore = commit_.charge() - 1;
    for (VirtualAddress va : {kUserVa, kUserVa + k2M, kUserVa + k1G, kUserVa + k512G,
                              VirtualAddress(0x10000), VirtualAddress(0xFE'FFFE'0000)})
        tables_.write(*tables_.ensurePte(va), someLeaf());
    EXPECT_GT(commit_.charge(), 10u);
    tables_.destroy();
    EXPECT_EQ(pfns_.available(), availableBefore);
    EXPECT_EQ(commit_.charge(), chargeBefore);
    EXPECT_EQ(pfns_.count(PageUse::PageTable), 0u);
    EXPECT_EQ(pfns_.verify(), std::nullopt);
}

TEST_F(PageTablesTest, SharesTheSystemHalfWithoutOwningIt) {
    // The fixture's tables play the master; a system page's tables live under entry 496.
    tables_.write(*tables_.ensurePte(kSystemVa), someLeaf());
    const std::uint64_t systemTables = pfns_.count(PageUse::PageTable);
    PageTables process = *PageTables::create(pfns_, commit_);
    process.shareSystemHalf(tables_);
    for (unsigned i = 256; i < 512; ++i)
        EXPECT_EQ(process.memory().read<std::uint64_t>(process.root().address() + i * 8ull),
                  tables_.memory().read<std::uint64_t>(tables_.root().address() + i * 8ull))
            << i;
    EXPECT_EQ(process.findPte(kSystemVa), tables_.findPte(kSystemVa)) << "the same leaf";
    EXPECT_EQ(pfns_.entry(process.root()).usedEntries, 1u);

    process.write(*process.ensurePte(kUserVa), someLeaf());
    const std::uint64_t charge = commit_.charge();
    process.destroy();
    EXPECT_EQ(commit_.charge(), charge - 4) << "its root and three user tables";
    EXPECT_EQ(pfns_.count(PageUse::PageTable), systemTables) << "the system half survives";
    EXPECT_EQ(tables_.pteAt(kSystemVa), someLeaf());
    EXPECT_EQ(pfns_.verify(), std::nullopt);
}

}  // namespace
}  // namespace ntoy::mm
