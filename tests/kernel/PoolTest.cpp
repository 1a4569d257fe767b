// The pools: the allocator's structures in guest memory, its bug checks, and paged pool
// really paging.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>

#include "kernel/ex/Pool.h"
#include "kernel/ex/PoolLayout.h"
#include "kernel/mm/Invariants.h"
#include "tests/kernel/AddressSpaceFixture.h"
#include "tests/kernel/CaughtBugCheck.h"
#include "tests/kernel/fakes/TestSystem.h"

namespace ntoy::test {
namespace {

using ex::PoolKind;
using ke::BugCheck;
using ke::BugCheckStop;

constexpr std::uint32_t tag(const char (&s)[5]) {
    return static_cast<std::uint32_t>(s[0]) | static_cast<std::uint32_t>(s[1]) << 8 |
           static_cast<std::uint32_t>(s[2]) << 16 | static_cast<std::uint32_t>(s[3]) << 24;
}

class PoolTest : public ::testing::Test {
protected:
    explicit PoolTest(std::uint64_t frames = 4096, std::unique_ptr<mm::PagingFile> file = nullptr)
        : system_(frames, 4, std::move(file)), pool_(system_.mm()) {}

    mm::MemoryManager& mm() { return system_.mm(); }
    std::byte* host(VirtualAddress va, bool write = false) {
        auto* p = mm().systemSpace().access(va, write);
        mm().systemSpace().unpinAll();
        return p;
    }
    ex::layout::PoolHeader header(VirtualAddress block) {
        ex::layout::PoolHeader h;
        std::memcpy(&h, host(block - 16), sizeof h);
        return h;
    }
    void fill(VirtualAddress va, std::uint64_t bytes, std::uint8_t value) {
        for (std::uint64_t done = 0; done < bytes;) {
            const std::uint64_t n = std::min(bytes - done, kPageSize - (va + done).pageOffset());
            std::memset(host(va + done, true), value, n);
            done += n;
        }
    }
    bool holds(VirtualAddress va, std::uint64_t bytes, std::uint8_t value) {
        for (std::uint64_t done = 0; done < bytes;) {
            const std::uint64_t n = std::min(bytes - done, kPageSize - (va + done).pageOffset());
            const std::byte* p = host(va + done);
            for (std::uint64_t i = 0; i < n; ++i)
                if (p[i] != std::byte{value})
                    return false;
            done += n;
        }
        return true;
    }
    void expectConsistent() {
        const auto bad = pool_.verify();
        EXPECT_FALSE(bad) << *bad;
        const std::array<const mm::AddressSpace*, 0> none{};
        const auto memory = mm::checkMemoryInvariants(mm(), none);
        EXPECT_FALSE(memory) << *memory;
    }
    ex::PoolTagUsage usageOf(std::uint32_t t) {
        for (const auto& u : pool_.tagUsage())
            if (u.tag == t)
                return u;
        return {t};
    }

    TestSystem system_;
    ex::Pool pool_;
};

TEST_F(PoolTest, EverySmallSizeGetsItsBlockSizeAndKeepsItsContents) {
    std::vector<std::pair<VirtualAddress, std::uint64_t>> blocks;
    for (std::uint64_t bytes = 1; bytes <= ex::layout::kMaxSmallBytes; bytes += 13) {
        const auto va = pool_.allocate(PoolKind::NonPagedNx, bytes, tag("Test"));
        ASSERT_TRUE(va);
        EXPECT_EQ(va->value() % 16, 0u);
        EXPECT_NE(va->pageOffset(), 0u);
        const auto h = header(*va);
        EXPECT_EQ(h.blockSize, (bytes + 31) / 16) << bytes;
        EXPECT_EQ(h.poolTag, tag("Test"));
        EXPECT_EQ(h.poolType, 1);  // NonPagedPool + 1
        EXPECT_TRUE(holds(*va, bytes, 0)) << "zeroed";
        fill(*va, bytes, static_cast<std::uint8_t>(bytes));
        blocks.emplace_back(*va, bytes);
    }
    expectConsistent();
    for (const auto& [va, bytes] : blocks) {
        EXPECT_TRUE(holds(va, bytes, static_cast<std::uint8_t>(bytes))) << bytes;
        pool_.free(va, tag("Test"));
    }
    expectConsistent();
    const auto u = usageOf(tag("Test"));
    EXPECT_EQ(u.nonPagedAllocs, blocks.size());
    EXPECT_EQ(u.nonPagedFrees, blocks.size());
    EXPECT_EQ(u.nonPagedBytes, 0u);
    EXPECT_EQ(pool_.usage(false).used, 0u);
}

TEST_F(PoolTest, FreedNeighboursCoalesceAndAnEmptyPageGoesBack) {
    const std::uint64_t before = mm().systemSpace().pages(mm::SystemRegion::PagedPool);
    const auto a = *pool_.allocate(PoolKind::Paged, 1000, tag("Coal"));
    const auto b = *pool_.allocate(PoolKind::Paged, 1000, tag("Coal"));
    const auto c = *pool_.allocate(PoolKind::Paged, 1000, tag("Coal"));
    EXPECT_EQ(a.pageBase(), b.pageBase());
    EXPECT_EQ(b - a, 1024u);  // split from the page's free remainder, in order
    EXPECT_EQ(header(b).previousSize, header(a).blockSize);
    EXPECT_EQ(mm().systemSpace().pages(mm::SystemRegion::PagedPool), before + 1);
    pool_.free(b, tag("Coal"));
    expectConsistent();
    EXPECT_EQ(header(b).poolType, 0);  // free, on the 64-unit list
    pool_.free(a, tag("Coal"));        // coalesces with b
    expectConsistent();
    EXPECT_EQ(header(a).blockSize, 128);
    // Best fit: a block of b's size comes from the page's 64-unit tail, one of 127 units from
    // the coalesced block, at its start, leaving a 1-unit fragment no list can hold.
    const auto d = *pool_.allocate(PoolKind::Paged, 1000, tag("Coal"));
    EXPECT_EQ(d, c + 1024);
    const auto e = *pool_.allocate(PoolKind::Paged, 2000, tag("Coal"));
    EXPECT_EQ(e, a);
    expectConsistent();
    pool_.free(d, tag("Coal"));
    pool_.free(e, tag("Coal"));  // takes the fragment back
    expectConsistent();
    EXPECT_EQ(header(a).blockSize, 128);
    pool_.free(c, tag("Coal"));  // both neighbours free: the whole page is, and goes back
    expectConsistent();
    EXPECT_EQ(mm().systemSpace().pages(mm::SystemRegion::PagedPool), before);
    EXPECT_EQ(pool_.usage(true).pages, 0u);
}

TEST_F(PoolTest, LookasideListsHandTheNewestBlockBack) {
    const auto a = *pool_.allocate(PoolKind::NonPagedNx, 64, tag("Look"));
    const auto b = *pool_.allocate(PoolKind::NonPagedNx, 64, tag("Look"));
    pool_.free(a, tag("Look"));
    pool_.free(b, tag("Look"));
    EXPECT_EQ(header(b).poolIndex, ex::layout::kLookasideIndex);
    EXPECT_EQ(header(b).poolType, 0);
    expectConsistent();
    EXPECT_EQ(*pool_.allocate(PoolKind::NonPagedNx, 64, tag("Look")), b);
    EXPECT_EQ(*pool_.allocate(PoolKind::NonPagedNx, 64, tag("Look")), a);
    EXPECT_TRUE(holds(a, 64, 0)) << "a block from a lookaside list is zeroed too";
    expectConsistent();
}

TEST_F(PoolTest, BigAllocationsAreWholePagesInTheBigPageTable) {
    const auto va = *pool_.allocate(PoolKind::Paged, 10000, tag("BigP"));
    EXPECT_EQ(va.pageOffset(), 0u);
    const auto big = pool_.bigPageAt(va);
    ASSERT_TRUE(big);
    EXPECT_EQ(big->tag, tag("BigP"));
    EXPECT_EQ(big->bytes, 3 * kPageSize);
    EXPECT_EQ(big->kind, PoolKind::Paged);
    EXPECT_EQ(usageOf(tag("BigP")).pagedBytes, 3 * kPageSize);
    // Enough to make the table grow twice.
    std::vector<VirtualAddress> many;
    for (int i = 0; i < 700; ++i)
        many.push_back(*pool_.allocate(PoolKind::NonPagedNx, 5000, tag("Many")));
    EXPECT_GE(pool_.bigPageEntries(), 1024u);
    expectConsistent();
    for (const VirtualAddress v : many)
        pool_.free(v, tag("Many"));
    pool_.free(va, tag("BigP"));
    EXPECT_FALSE(pool_.bigPageAt(va));
    expectConsistent();
    EXPECT_EQ(pool_.usage(false).bigPages + pool_.usage(true).bigPages, 0u);
}

TEST_F(PoolTest, ExecutableAndNoExecutePoolsAreApart) {
    const auto nx = *pool_.allocate(PoolKind::NonPagedNx, 100, tag("NxNx"));
    const auto x = *pool_.allocate(PoolKind::NonPagedExecute, 100, tag("Exec"));
    EXPECT_EQ(ex::Pool::kindOf(nx), PoolKind::NonPagedNx);
    EXPECT_EQ(ex::Pool::kindOf(x), PoolKind::NonPagedExecute);
    const auto pteOf = [&](VirtualAddress va) { return mm().systemTables().pteAt(va); };
    EXPECT_TRUE(pteOf(nx).has(mm::PteBit::NoExecute));
    EXPECT_FALSE(pteOf(x).has(mm::PteBit::NoExecute));
    EXPECT_FALSE(pteOf(x).has(mm::PteBit::User));
    EXPECT_EQ(ex::Pool::kindOfFlags(ex::pool_flag::kNonPaged), PoolKind::NonPagedNx);
    EXPECT_EQ(ex::Pool::kindOfFlags(ex::pool_flag::kPaged | ex::pool_flag::kUseQuota),
              PoolKind::Paged);
    EXPECT_FALSE(ex::Pool::kindOfFlags(ex::pool_flag::kPaged | ex::pool_flag::kNonPaged));
    EXPECT_FALSE(ex::Pool::kindOfFlags(0));
    EXPECT_EQ(ex::Pool::kindOfType(ex::pool_type::kNonPagedPoolNx), PoolKind::NonPagedNx);
    EXPECT_EQ(ex::Pool::kindOfType(ex::pool_type::kNonPagedPool), PoolKind::NonPagedExecute);
}

TEST_F(PoolTest, TheSystemVaAllocatorMapsPagesThatAreNotPool) {
    auto& system = mm().systemSpace();
    const auto& ptes = mm::systemRegion(mm::SystemRegion::SystemPtes);
    const std::uint64_t charge = mm().commit().charge();
    const auto va =
        system.allocate(mm::SystemRegion::SystemPtes, 3, false, protection(mm::page::kReadWrite));
    ASSERT_TRUE(va);
    EXPECT_TRUE(ptes.contains(va->value()));
    EXPECT_EQ(system.pages(mm::SystemRegion::SystemPtes), 3u);
    EXPECT_EQ(mm().commit().charge(), charge + 3);
    for (int i = 0; i < 3; ++i) {
        const mm::Pte pte = mm().systemTables().pteAt(*va + i * kPageSize);
        EXPECT_TRUE(pte.isValid());
        EXPECT_FALSE(pte.has(mm::PteBit::User));  // supervisor only: user mode faults
        EXPECT_EQ(system_.systemMmu().shownFrame(*va + i * kPageSize), pte.pfn())
            << "announced to the MMU, so the CPU reaches it at CPL0";
    }
    EXPECT_FALSE(ex::Pool::kindOf(*va)) << "not pool";
    expectConsistent();
    system.free(*va, 3);
    EXPECT_EQ(system.pages(mm::SystemRegion::SystemPtes), 0u);
    EXPECT_EQ(mm().commit().charge(), charge);
    EXPECT_FALSE(mm().systemTables().pteAt(*va).isValid());
    expectConsistent();
}

TEST_F(PoolTest, TheWindowsNamedApiAllocatesAndFrees) {
    using namespace ex::pool_flag;
    const auto zeroed = ex::ExAllocatePool2(pool_, kNonPaged, 100, tag("Api2"));
    EXPECT_EQ(ex::Pool::kindOf(zeroed), PoolKind::NonPagedNx);
    EXPECT_TRUE(holds(zeroed, 100, 0));
    EXPECT_EQ(ex::ExAllocatePool2(pool_, kPaged | kNonPaged, 100, tag("Api2")).value(), 0u)
        << "two pools named: NULL";
    auto quota = std::make_shared<ex::PoolQuota>();
    const auto charged = ex::ExAllocatePool2(pool_, kPaged | kUseQuota, 100, tag("Api2"), quota);
    EXPECT_EQ(quota->usage[1], 128u);
    const auto typed =
        ex::ExAllocatePoolWithTag(pool_, ex::pool_type::kPagedPool, 5000, tag("ApiT"));
    EXPECT_EQ(pool_.bigPageAt(typed)->tag, tag("ApiT"));
    ex::ExFreePoolWithTag(pool_, zeroed, tag("Api2"));
    ex::ExFreePool(pool_, charged);  // no tag: no tag check
    EXPECT_EQ(quota->usage[1], 0u);
    ex::ExFreePoolWithTag(pool_, typed, tag("ApiT"));
    expectConsistent();
}

TEST_F(PoolTest, QuotaIsChargedAndGivenBack) {
    auto quota = std::make_shared<ex::PoolQuota>();
    quota->limit[0] = 1024;
    quota->billedTo = 0xFFFF'FA80'0000'1230;
    const auto a = pool_.allocate(PoolKind::NonPagedNx, 496, tag("Quot"), quota);
    ASSERT_TRUE(a);
    EXPECT_EQ(quota->usage[0], 512u);
    EXPECT_EQ(header(*a).poolType & ex::layout::kQuotaBit, ex::layout::kQuotaBit);
    EXPECT_EQ(header(*a).processBilled, quota->billedTo);
    const auto b = pool_.allocate(PoolKind::NonPagedNx, 496, tag("Quot"), quota);
    ASSERT_TRUE(b);
    EXPECT_EQ(pool_.allocate(PoolKind::NonPagedNx, 496, tag("Quot"), quota).error(),
              NtStatus::QuotaExceeded);
    pool_.free(*a, tag("Quot"));
    EXPECT_EQ(quota->usage[0], 512u);
    EXPECT_EQ(quota->peak[0], 1024u);
    EXPECT_TRUE(pool_.allocate(PoolKind::NonPagedNx, 496, tag("Quot"), quota));
}

TEST_F(PoolTest, FreeingWithTheWrongTagIsBadPoolCaller) {
    const auto va = *pool_.allocate(PoolKind::Paged, 40, tag("Mine"));
    const BugCheck c = caught([&] { pool_.free(va, tag("Your")); });
    EXPECT_EQ(c.code, 0xC2u);
    EXPECT_EQ(c.parameters,
              (std::array<std::uint64_t, 4>{0x0A, va.value(), tag("Mine"), tag("Your")}));
    const auto big = *pool_.allocate(PoolKind::Paged, 8000, tag("Mine"));
    EXPECT_EQ(caught([&] { pool_.free(big, tag("Your")); }).parameters[0], 0x0Au);
}

TEST_F(PoolTest, ADoubleFreeIsBadPoolCaller) {
    const auto small = *pool_.allocate(PoolKind::NonPagedNx, 40, tag("Twic"));
    pool_.free(small, tag("Twic"));  // to a lookaside list
    const BugCheck c = caught([&] { pool_.free(small, tag("Twic")); });
    EXPECT_EQ(c.code, 0xC2u);
    EXPECT_EQ(c.parameters[0], 7u);
    EXPECT_EQ(c.parameters[3], small.value());
    const auto big = *pool_.allocate(PoolKind::NonPagedNx, 9000, tag("Twic"));
    pool_.free(big, tag("Twic"));
    const BugCheck b = caught([&] { pool_.free(big, tag("Twic")); });
    EXPECT_EQ(b.code, 0xC2u);
    EXPECT_EQ(b.parameters[0], 0x41u);  // no nonpaged allocation there any more
}

TEST_F(PoolTest, AddressesThatAreNoAllocationAreBadPoolCaller) {
    EXPECT_EQ(caught([&] { pool_.free(VirtualAddress(0x10000), std::nullopt); }).parameters,
              (std::array<std::uint64_t, 4>{0x40, 0x10000, mm::kSystemSpaceStart, 0}));
    EXPECT_EQ(caught([&] {
                  pool_.free(VirtualAddress(mm::kKernelWindowBase + 0x40), std::nullopt);
              }).parameters[0],
              0x42u);
    const auto va = *pool_.allocate(PoolKind::Paged, 100, tag("Addr"));
    EXPECT_EQ(caught([&] { pool_.free(va + 8, std::nullopt); }).parameters[0], 0x46u);
    const auto pp = mm::systemRegion(mm::SystemRegion::PagedPool);
    const BugCheck c =
        caught([&] { pool_.free(VirtualAddress(pp.base + 0x3000'0010), std::nullopt); });
    EXPECT_EQ(c.parameters[0], 0x50u);
    EXPECT_EQ(c.parameters[3], pp.size);
}

TEST_F(PoolTest, AnOverrunFoundAtFreeIsBadPoolHeader) {
    const auto a = *pool_.allocate(PoolKind::NonPagedNx, 1000, tag("Over"));
    const auto b = *pool_.allocate(PoolKind::NonPagedNx, 1000, tag("Over"));
    fill(a, 1000 + 24, 0x41);  // past a's end, over b's header
    const BugCheck c = caught([&] { pool_.free(a, tag("Over")); });
    EXPECT_EQ(c.code, 0x19u);
    EXPECT_EQ(c.parameters[0], 0x20u);
    EXPECT_EQ(c.parameters[1], a.value() - 16);
    EXPECT_EQ(c.parameters[2], b.value() - 16);
}

TEST_F(PoolTest, ACorruptFreeListIsBadPoolHeader) {
    const auto a = *pool_.allocate(PoolKind::Paged, 2000, tag("List"));
    const auto keep = *pool_.allocate(PoolKind::Paged, 100, tag("List"));
    pool_.free(a, tag("List"));                 // on the list of its size
    const std::uint64_t bogus = keep.value();   // a block, not the list's previous entry
    std::memcpy(host(a, true) + 8, &bogus, 8);  // its Blink
    const BugCheck c = caught([&] { (void)pool_.allocate(PoolKind::Paged, 2000, tag("List")); });
    EXPECT_EQ(c.code, 0x19u);
    EXPECT_EQ(c.parameters[0], 3u);
    (void)keep;
}

TEST_F(PoolTest, AZeroTagIsBadPoolCaller) {
    EXPECT_EQ(caught([&] { (void)pool_.allocate(PoolKind::Paged, 16, 0); }).parameters[0], 0x9Bu);
}

TEST_F(PoolTest, AMillionRandomOperationsKeepEveryBlockAndEveryCount) {
#ifdef NTOY_SANITIZED_BUILD
    constexpr int kOperations = 100'000;
#else
    constexpr int kOperations = 1'000'000;
#endif
    std::mt19937_64 random(13);
    struct Live {
        VirtualAddress va;
        std::uint64_t bytes;
        std::uint32_t tag;
        std::uint8_t fill;
    };
    std::vector<Live> live;
    const std::uint32_t tags[] = {tag("Aaaa"), tag("Bbbb"), tag("Cccc"), tag("Dddd")};
    std::map<std::uint32_t, std::int64_t> outstanding;
    const auto check = [&](const Live& l) {
        // The first and last bytes, and one between: every block, cheaply.
        const std::uint64_t at[] = {0, l.bytes / 2, l.bytes - 1};
        for (const std::uint64_t off : at)
            ASSERT_EQ(*host(l.va + off), std::byte{l.fill}) << l.va.value() << "+" << off;
    };
    for (int op = 0; op < kOperations; ++op) {
        if (live.size() < 2000 && (live.empty() || random() % 2 == 0)) {
            const auto r = random() % 100;
            const std::uint64_t bytes = r < 60   ? 1 + random() % 200
                                        : r < 97 ? 1 + random() % ex::layout::kMaxSmallBytes
                                                 : 4065 + random() % 20000;
            const auto kind = static_cast<PoolKind>(random() % 3);
            const std::uint32_t t = tags[random() % 4];
            const auto va = pool_.allocate(kind, bytes, t, {}, random() % 4 == 0);
            ASSERT_TRUE(va) << op;
            const auto f = static_cast<std::uint8_t>(random());
            const std::uint64_t at[] = {0, bytes / 2, bytes - 1};
            for (const std::uint64_t off : at)
                *host(*va + off, true) = std::byte{f};
            live.push_back({*va, bytes, t, f});
            ++outstanding[t];
        } else {
            const std::size_t i = random() % live.size();
            check(live[i]);
            pool_.free(live[i].va, live[i].tag);
            --outstanding[live[i].tag];
            live[i] = live.back();
            live.pop_back();
        }
        if (op % 100'000 == 99'999) {
            const auto bad = pool_.verify();
            ASSERT_FALSE(bad) << op << ": " << *bad;
            for (const std::uint32_t t : tags) {
                const auto u = usageOf(t);
                ASSERT_EQ(static_cast<std::int64_t>(u.nonPagedAllocs + u.pagedAllocs) -
                              (u.nonPagedFrees + u.pagedFrees),
                          outstanding[t]);
            }
        }
    }
    for (const Live& l : live) {
        check(l);
        pool_.free(l.va, l.tag);
    }
    expectConsistent();
    EXPECT_EQ(pool_.usage(false).used + pool_.usage(true).used, 0u);
}

// ---- paging ------------------------------------------------------------------------------

class PagedPoolTest : public PoolTest {
protected:
    PagedPoolTest() : PoolTest(1024, makePagingFile(4096)) {}
};

TEST_F(PagedPoolTest, ATrimmedPageComesBackSoftThenHardWithItsContents) {
    const auto va = *pool_.allocate(PoolKind::Paged, 3000, tag("Page"));
    fill(va, 3000, 0x5A);
    auto& system = mm().systemSpace();
    // Two passes: the first only clears the Accessed bit the write set.
    while (mm().systemTables().pteAt(va).isValid())
        ASSERT_NE(system.trim(system.workingSet().size()), 0u);
    EXPECT_TRUE(mm().systemTables().pteAt(va).isTransition());
    const std::uint64_t soft = mm().faults().soft;
    EXPECT_TRUE(holds(va, 3000, 0x5A));
    EXPECT_EQ(mm().faults().soft, soft + 1);
    expectConsistent();
    // Out again, written to the paging file, and its frame given to another page.
    while (mm().systemTables().pteAt(va).isValid())
        system.trim(system.workingSet().size());
    EXPECT_NE(mm().writeModifiedPages(1024), 0u);
    std::vector<Pfn> taken;
    while (!mm().systemTables().pteAt(va).isPagefile()) {
        const auto f = mm().pfns().allocateZeroed(mm::PageUse::Kernel);
        ASSERT_TRUE(f);
        taken.push_back(*f);
    }
    for (const Pfn f : taken)
        mm().pfns().release(f);
    const std::uint64_t hard = mm().faults().hard;
    // A kernel-mode fault (as ring-0 code takes) brings it back.
    const auto o = system.handleKernelFault(va, 0, 0xFFFF'F800'0000'1000);
    EXPECT_EQ(o.response, mm::PageFaultResponse::Resolved);
    EXPECT_EQ(o.kind, mm::FaultKind::Hard);
    EXPECT_EQ(mm().faults().hard, hard + 1);
    EXPECT_TRUE(holds(va, 3000, 0x5A));
    expectConsistent();
    pool_.free(va, tag("Page"));
    expectConsistent();
}

TEST_F(PagedPoolTest, NonPagedPoolNeverLeavesUnderPressure) {
    std::vector<VirtualAddress> nonpaged, paged;
    try {
        for (int i = 0; i < 64; ++i) {
            nonpaged.push_back(*pool_.allocate(PoolKind::NonPagedNx, 4000, tag("NonP")));
            fill(nonpaged.back(), 4000, 0x11);
        }
        // Four times RAM of paged pool, written: the balance set manager must page it.
        for (int i = 0; i < 4 * 1024; ++i) {
            const auto va = pool_.allocate(PoolKind::Paged, 4000, tag("Pgd "));
            ASSERT_TRUE(va) << i;
            fill(*va, 8, static_cast<std::uint8_t>(i));
            paged.push_back(*va);
        }
        EXPECT_GT(mm().systemTrimmedPages(), 0u);
        for (const VirtualAddress va : nonpaged)
            EXPECT_TRUE(mm().systemTables().pteAt(va).isValid());
        for (std::size_t i = 0; i < paged.size(); ++i)
            ASSERT_TRUE(holds(paged[i], 8, static_cast<std::uint8_t>(i))) << i;
        for (const VirtualAddress va : nonpaged)
            EXPECT_TRUE(holds(va, 4000, 0x11));
    } catch (const BugCheckStop& s) {
        FAIL() << ke::describe(s.check) << s.check.where;
    }
    expectConsistent();
    for (const VirtualAddress va : paged)
        pool_.free(va, tag("Pgd "));
    for (const VirtualAddress va : nonpaged)
        pool_.free(va, tag("NonP"));
    expectConsistent();
}

TEST_F(PoolTest, AKernelFaultOnNothingIsPageFaultInNonpagedArea) {
    const auto pp = mm::systemRegion(mm::SystemRegion::PagedPool);
    const VirtualAddress nowhere(pp.base + 0x1000'0000);
    const BugCheck c = caught(
        [&] { (void)mm().systemSpace().handleKernelFault(nowhere, 2, 0xFFFF'F800'0000'2000); });
    EXPECT_EQ(c.code, 0x50u);
    EXPECT_EQ(c.parameters[0], nowhere.value());
    EXPECT_EQ(c.parameters[1], 2u);  // a write
    EXPECT_EQ(c.parameters[2], 0xFFFF'F800'0000'2000u);
    // The host's own access to a freed nonpaged block's page: the same.
    const auto big = *pool_.allocate(PoolKind::NonPagedNx, 5000, tag("Gone"));
    pool_.free(big, tag("Gone"));
    EXPECT_EQ(caught([&] { (void)host(big); }).code, 0x50u);
}

TEST_F(PoolTest, AKernelProtectionFaultIsWindowsBugCheckForIt) {
    // A read-only kernel page (as the boot's stub page is) and no-execute pool.
    const VirtualAddress readOnly(mm::kKernelWindowBase + 0x10000);
    ASSERT_TRUE(mm().mapSystemPage(readOnly, protection(mm::page::kExecuteRead)));
    const auto nx = *pool_.allocate(PoolKind::NonPagedNx, 64, tag("Prot"));
    constexpr std::uint32_t kPresent = 1, kWrite = 2, kFetch = 16;
    const BugCheck write = caught(
        [&] { (void)mm().systemSpace().handleKernelFault(readOnly, kPresent | kWrite, 0x1234); });
    EXPECT_EQ(write.code, 0xBEu);  // ATTEMPTED_WRITE_TO_READONLY_MEMORY
    EXPECT_EQ(write.parameters[0], readOnly.value());
    EXPECT_EQ(write.parameters[2], 0x1234u);
    const BugCheck fetch = caught(
        [&] { (void)mm().systemSpace().handleKernelFault(nx, kPresent | kFetch, nx.value()); });
    EXPECT_EQ(fetch.code, 0xFCu);  // ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY
    EXPECT_EQ(fetch.parameters[0], nx.value());
    // A present page that allows the access now: the CPU looked before it changed.
    const auto o = mm().systemSpace().handleKernelFault(nx, kPresent | kWrite, 0);
    EXPECT_EQ(o.kind, mm::FaultKind::Spurious);
    EXPECT_EQ(o.response, mm::PageFaultResponse::Resolved);
    // The same one again, at the same instruction: no stale translation, a loop; it stops.
    EXPECT_EQ(
        caught([&] { (void)mm().systemSpace().handleKernelFault(nx, kPresent | kWrite, 0); }).code,
        0x50u);
    // The kernel image region is the boot's: the system VA allocator hands none of it out.
    EXPECT_FALSE(mm().systemSpace().allocate(mm::SystemRegion::KernelImage, 1, false,
                                             protection(mm::page::kReadWrite)));
}

}  // namespace
}  // namespace ntoy::test
