// The page-fault stop block, from events built by hand: every part of it, for each kind of
// decision the handler makes.
#include <gtest/gtest.h>

#include "kernel/kd/PageFaultReport.h"

namespace ntoy::kd {
namespace {

using mm::MmProtection;
using mm::PageFaultOutcome;
using mm::PageFaultResponse;
using mm::Pte;

const MmProtection kReadWrite(MmProtection::ReadWrite);

// A walk down four present tables at 0xff00010000.. to a leaf entry `leaf`.
mm::PageTables::Walk walkTo(Pte leaf) {
    mm::PageTables::Walk w;
    for (unsigned level = 0; level < 3; ++level)
        w.levels[level] = mm::PageTables::Level{Pfn(0xff00010 + level), level,
                                                Pte::table(Pfn(0xff00011 + level), true)};
    w.levels[3] = mm::PageTables::Level{Pfn(0xff00013), 16, leaf};
    return w;
}

mm::Vad privateVad() {
    mm::Vad v;
    v.startVpn = 0x210;
    v.endVpn = 0x212;
    v.allocationProtect = mm::page::kReadWrite;
    return v;
}

PageFaultOutcome demandZero() {
    PageFaultOutcome o;
    o.response = PageFaultResponse::Resolved;
    o.kind = mm::FaultKind::DemandZero;
    o.access = mm::AccessKind::Write;
    o.address = VirtualAddress(0x210000);
    o.before = Pte::demandZero(kReadWrite);
    o.frame = Pfn(0xff00033);
    o.after = Pte::valid(o.frame, kReadWrite, true);
    o.fromZeroedList = true;
    return o;
}

TEST(ErrorCode, EveryBitNamed) {
    EXPECT_EQ(describeErrorCode(0x6),
              "P=0 not present, W/R=1 write, U/S=1 user, RSVD=0, I/D=0 data");
    EXPECT_EQ(describeErrorCode(0x1d),
              "P=1 protection violation, W/R=0 read, U/S=1 user, "
              "RSVD=1 reserved bit set, I/D=1 instruction fetch");
    EXPECT_EQ(describeErrorCode(0x0),
              "P=0 not present, W/R=0 read, U/S=0 supervisor, RSVD=0, I/D=0 data");
}

TEST(FaultBlock, DemandZeroShowsWalkAllocationDecisionAndPteAfter) {
    const PageFaultOutcome o = demandZero();
    const ke::PageFaultEvent e{7,   0x140001050,      0x210000,
                               0x6, walkTo(o.before), privateVad(),
                               o,   {1000, 1004},     "touch_demo.exe"};
    EXPECT_EQ(describePageFault(e, "mov byte ptr [rax], cl"),
              "page fault #7\n"
              "  process     1000 (touch_demo.exe), thread 1004\n"
              "  rip         0x140001050  mov byte ptr [rax], cl\n"
              "  cr2         0x210000\n"
              "  error code  0x6: P=0 not present, W/R=1 write, U/S=1 user, RSVD=0, I/D=0 data\n"
              "  walk        PXE  table 0xff00010000 index   0  0x000000ff00011007  pfn ff00011 "
              "-------UWEV\n"
              "              PPE  table 0xff00011000 index   1  0x000000ff00012007  pfn ff00012 "
              "-------UWEV\n"
              "              PDE  table 0xff00012000 index   2  0x000000ff00013007  pfn ff00013 "
              "-------UWEV\n"
              "              PTE  table 0xff00013000 index  16  0x0000000000000080  not valid: "
              "DemandZero, Protect: 4 - ReadWrite\n"
              "  allocation  VPN 210-212 (0x210000-0x212fff) Private READWRITE\n"
              "  decision    demand-zero: frame 0xff00033 from the zeroed list\n"
              "  pte after   0x804000ff00033007  pfn ff00033 -------UW-V\n");
}

TEST(FaultBlock, WithoutTheInstructionOnlyTheAddress) {
    const PageFaultOutcome o = demandZero();
    const ke::PageFaultEvent e{1, 0x140001050, 0x210000, 0x6, walkTo(o.before), privateVad(), o};
    EXPECT_NE(describePageFault(e).find("  rip         0x140001050\n"), std::string::npos);
}

TEST(FaultBlock, WithoutAProcessNoProcessLine) {
    const PageFaultOutcome o = demandZero();
    const ke::PageFaultEvent e{1, 0x140001050, 0x210000, 0x6, walkTo(o.before), privateVad(), o};
    EXPECT_EQ(describePageFault(e).find("process"), std::string::npos);
}

TEST(FaultBlock, WalkEndsAtTheFirstMissingTableAndNoAllocationIsSaid) {
    PageFaultOutcome o;
    o.response = PageFaultResponse::AccessViolation;
    o.kind = mm::FaultKind::NotCommitted;
    o.access = mm::AccessKind::Write;
    mm::PageTables::Walk w;
    w.levels[0] = mm::PageTables::Level{Pfn(0xff00010), 3, Pte()};
    const ke::PageFaultEvent e{2, 0x140001000, 0x7000000000, 0x6, w, std::nullopt, o};
    const std::string block = describePageFault(e);
    EXPECT_NE(block.find("  walk        PXE  table 0xff00010000 index   3  0x0000000000000000  "
                         "not valid: zero (no table below)\n  allocation  no allocation\n"),
              std::string::npos)
        << block;
    EXPECT_NE(block.find("  decision    access violation (write): not committed: raise "
                         "STATUS_ACCESS_VIOLATION\n"),
              std::string::npos)
        << block;
    EXPECT_NE(block.find("  pte after   0x0000000000000000  not valid: zero (not committed)\n"),
              std::string::npos)
        << block;
}

TEST(FaultDecision, GuardPageRaisesTheGuardException) {
    PageFaultOutcome o;
    o.response = PageFaultResponse::GuardPage;
    o.kind = mm::FaultKind::Guard;
    EXPECT_EQ(faultDecision(o), "guard page: raise STATUS_GUARD_PAGE_VIOLATION");
    EXPECT_EQ(mm::faultKindName(o.kind), "guard page");
}

TEST(FaultDecision, AFaultOnAValidPageIsSpuriousNotDemandZero) {
    // As the handler reports a fault whose PTE already allowed the access.
    PageFaultOutcome o = demandZero();
    o.kind = mm::FaultKind::Spurious;
    o.before = o.after;
    o.frame = Pfn();
    EXPECT_EQ(mm::faultKindName(o.kind), "spurious");
    EXPECT_EQ(faultDecision(o), "spurious: the PTE was already valid (a stale translation); retry");
    EXPECT_NE(demandZero().kind, mm::FaultKind::Spurious);
}

TEST(FaultBlock, ThreadStackAllocationIsNamed) {
    mm::Vad stack = privateVad();
    stack.threadStack = true;
    const PageFaultOutcome o = demandZero();
    const ke::PageFaultEvent e{3, 0x1, 0x210000, 0x6, walkTo(o.before), stack, o};
    EXPECT_NE(describePageFault(e).find("Private READWRITE, thread stack\n"), std::string::npos);
}

}  // namespace
}  // namespace ntoy::kd
