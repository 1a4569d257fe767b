#include "kernel/mm/Pte.h"

#include <gtest/gtest.h>

#include "tests/kernel/fakes/HostRam.h"
#include "tests/kernel/fakes/Printers.h"

namespace ntoy::mm {
namespace {

using test::kFirstRamPfn;

constexpr std::uint32_t kAccessibleBases[] = {
    page::kReadOnly,    page::kReadWrite,        page::kWriteCopy,       page::kExecute,
    page::kExecuteRead, page::kExecuteReadWrite, page::kExecuteWriteCopy};

MmProtection prot(std::uint32_t win32) {
    return *MmProtection::fromWin32(win32);
}

// A frame near the top of what RAM may occupy: every frame bit the format allows is used.
const Pfn kHighFrame = PhysicalAddress((1ull << 40) - kPageSize).pfn();

TEST(Pte, ValidEntryHasTheHardwareBitsOfItsProtection) {
    for (std::uint32_t base : kAccessibleBases) {
        for (std::uint32_t modifier : {0u, page::kNoCache}) {
            const MmProtection p = prot(base | modifier);
            const std::string name = win32ProtectionName(base | modifier);
            for (Pfn frame : {kFirstRamPfn, kFirstRamPfn + 0x1234, kHighFrame}) {
                const Pte pte = Pte::valid(frame, p, true);
                EXPECT_TRUE(pte.isValid()) << name;
                EXPECT_TRUE(pte.has(PteBit::User)) << name;
                EXPECT_EQ(pte.pfn(), frame) << name;
                EXPECT_EQ(pte.has(PteBit::Write), p.writable() && !p.copyOnWrite()) << name;
                EXPECT_EQ(pte.has(PteBit::CopyOnWrite), p.copyOnWrite()) << name;
                EXPECT_EQ(pte.has(PteBit::NoExecute), !p.executable()) << name;
                EXPECT_EQ(pte.has(PteBit::CacheDisable), modifier == page::kNoCache) << name;
                EXPECT_FALSE(pte.has(PteBit::Accessed) || pte.has(PteBit::Dirty) ||
                             pte.has(PteBit::LargePage) || pte.has(PteBit::Global))
                    << name;
                EXPECT_EQ(pte.validProtection(), p) << name;
                EXPECT_EQ(pte.protection(), p) << name;
                EXPECT_TRUE(pte.isCommitted() && pte.hasFrame()) << name;
                EXPECT_FALSE(pte.isTransition() || pte.isDemandZero()) << name;
            }
        }
    }
}

TEST(Pte, ValidEntryKeepsItsProtectionInBits52To56) {
    for (std::uint32_t base : kAccessibleBases) {
        const MmProtection p = prot(base);
        const Pte pte = Pte::valid(kFirstRamPfn, p, true);
        EXPECT_EQ((pte.raw() >> 52) & 0x1F, p.bits());
        // Nothing else in the bits the CPU ignores, and no reserved address bit set.
        EXPECT_EQ(pte.raw() & (0x7FFull << 52) & ~(0x1Full << 52), 0u);
        EXPECT_EQ(pte.raw() & 0x000F'FFFF'FFFF'F000, kFirstRamPfn.address().value());
    }
}

TEST(Pte, KernelEntryIsSupervisorOnly) {
    const Pte pte = Pte::valid(kFirstRamPfn, prot(page::kReadWrite), false);
    EXPECT_FALSE(pte.has(PteBit::User));
    EXPECT_TRUE(pte.has(PteBit::Write));
    EXPECT_TRUE(pte.has(PteBit::NoExecute));
}

TEST(Pte, CopyOnWriteEntryIsReadOnlyForTheCpu) {
    for (std::uint32_t base : {page::kWriteCopy, page::kExecuteWriteCopy}) {
        const Pte pte = Pte::valid(kFirstRamPfn, prot(base), true);
        EXPECT_FALSE(pte.has(PteBit::Write)) << "the first write must fault to be copied";
        EXPECT_TRUE(pte.has(PteBit::CopyOnWrite));
    }
}

TEST(Pte, TableEntryIsPermissive) {
    const Pte user = Pte::table(kFirstRamPfn + 7, true);
    EXPECT_TRUE(user.isValid() && user.has(PteBit::Write) && user.has(PteBit::User));
    EXPECT_FALSE(user.has(PteBit::NoExecute));
    EXPECT_EQ(user.pfn(), kFirstRamPfn + 7);
    const Pte system = Pte::table(kFirstRamPfn + 7, false);
    EXPECT_FALSE(system.has(PteBit::User));
}

TEST(Pte, DemandZeroHoldsOnlyItsProtection) {
    for (std::uint32_t base : kAccessibleBases) {
        for (std::uint32_t modifier : {0u, page::kGuard, page::kNoCache}) {
            const MmProtection p = prot(base | modifier);
            const Pte pte = Pte::demandZero(p);
            EXPECT_EQ(pte.raw(), std::uint64_t{p.bits()} << 5);
            EXPECT_FALSE(pte.isValid());
            EXPECT_TRUE(pte.isDemandZero());
            EXPECT_TRUE(pte.isCommitted());
            EXPECT_FALSE(pte.hasFrame());
            EXPECT_FALSE(pte.isTransition());
            EXPECT_EQ(pte.softProtection(), p);
            EXPECT_EQ(pte.protection(), p);
        }
    }
    const Pte noAccess = Pte::demandZero(prot(page::kNoAccess));
    EXPECT_TRUE(noAccess.isDemandZero());
    EXPECT_TRUE(noAccess.protection().isNoAccess());
}

TEST(Pte, ResidentInaccessibleKeepsItsFrameInTransitionFormat) {
    for (std::uint32_t p :
         {page::kNoAccess, page::kReadWrite | page::kGuard, page::kExecuteRead | page::kGuard}) {
        const Pte pte = Pte::transition(kFirstRamPfn + 3, prot(p));
        EXPECT_FALSE(pte.isValid());
        EXPECT_TRUE(pte.isTransition());
        EXPECT_TRUE(pte.hasFrame());
        EXPECT_EQ(pte.pfn(), kFirstRamPfn + 3);
        EXPECT_FALSE(pte.isDemandZero());
        EXPECT_TRUE(pte.isCommitted());
        EXPECT_EQ(pte.protection(), prot(p));
        EXPECT_TRUE(pte.raw() & Pte::kTransition);
        EXPECT_FALSE(pte.raw() & Pte::kPrototype);
    }
}

TEST(Pte, ZeroEntryIsUncommitted) {
    const Pte zero;
    EXPECT_TRUE(zero.isZero());
    EXPECT_FALSE(zero.isValid() || zero.isCommitted() || zero.hasFrame() || zero.isDemandZero() ||
                 zero.isTransition());
    EXPECT_EQ(zero.protection().bits(), 0);
}

TEST(Pte, WithoutClearsOneBit) {
    const Pte pte = Pte::valid(kFirstRamPfn, prot(page::kReadWrite), true);
    const Pte readOnly = pte.without(PteBit::Write);
    EXPECT_FALSE(readOnly.has(PteBit::Write));
    EXPECT_EQ(readOnly.raw() | static_cast<std::uint64_t>(PteBit::Write), pte.raw());
}

TEST(Pte, IndicesSplitTheAddressNineBitsAtATime) {
    const auto idx = PageTableIndices::of(VirtualAddress(0x0000'7FFF'FFFF'F000));
    EXPECT_EQ(idx.pml4, 255u);
    EXPECT_EQ(idx.pdpt, 511u);
    EXPECT_EQ(idx.pd, 511u);
    EXPECT_EQ(idx.pt, 511u);
    const auto sys = PageTableIndices::of(VirtualAddress(0xFFFF'F800'0020'3000));
    EXPECT_EQ(sys.pml4, 496u);
    EXPECT_EQ(sys.pdpt, 0u);
    EXPECT_EQ(sys.pd, 1u);
    EXPECT_EQ(sys.pt, 3u);
    const auto low = PageTableIndices::of(VirtualAddress(0x1234'5678'9000));
    EXPECT_EQ(low.pml4, (0x1234'5678'9000ull >> 39) & 511);
    EXPECT_EQ(low.pdpt, (0x1234'5678'9000ull >> 30) & 511);
    EXPECT_EQ(low.pd, (0x1234'5678'9000ull >> 21) & 511);
    EXPECT_EQ(low.pt, (0x1234'5678'9000ull >> 12) & 511);
}

}  // namespace
}  // namespace ntoy::mm
