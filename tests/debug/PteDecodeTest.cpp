// WinDbg's decoding of page-table entries: flag letters of valid entries and the software
// formats of invalid ones.
#include <gtest/gtest.h>

#include "kernel/kd/ProtectionNames.h"
#include "kernel/kd/PteDecode.h"

namespace ntoy::kd {
namespace {

using mm::MmProtection;
using mm::Pte;
using mm::PteBit;

constexpr Pfn kFrame(0xff00123);
const MmProtection kReadWrite(MmProtection::ReadWrite);
const MmProtection kExecuteRead(MmProtection::ExecuteRead);

TEST(PteFlags, ValidUserReadWriteIsNotExecutable) {
    EXPECT_EQ(pteFlags(Pte::valid(kFrame, kReadWrite, true)), "-------UW-V");
}

TEST(PteFlags, KernelExecuteReadIsReadOnlyAndExecutable) {
    EXPECT_EQ(pteFlags(Pte::valid(kFrame, kExecuteRead, false)), "-------KREV");
}

TEST(PteFlags, AccessedDirtyGlobalAndCacheBitsEachHaveTheirLetter) {
    const Pte pte(
        Pte::valid(kFrame, kReadWrite, true).raw() | static_cast<std::uint64_t>(PteBit::Accessed) |
        static_cast<std::uint64_t>(PteBit::Dirty) | static_cast<std::uint64_t>(PteBit::Global) |
        static_cast<std::uint64_t>(PteBit::CacheDisable) |
        static_cast<std::uint64_t>(PteBit::WriteThrough) |
        static_cast<std::uint64_t>(PteBit::LargePage));
    EXPECT_EQ(pteFlags(pte), "-GLDANTUW-V");
}

TEST(PteFlags, CopyOnWriteIsReadOnlyWithC) {
    EXPECT_EQ(pteFlags(Pte::valid(kFrame, MmProtection(MmProtection::WriteCopy), true)),
              "C------UR-V");
}

TEST(InvalidPte, KindsOfTheSoftwareFormats) {
    EXPECT_EQ(invalidPteKind(Pte()), InvalidPteKind::Zero);
    EXPECT_EQ(invalidPteKind(Pte::demandZero(kReadWrite)), InvalidPteKind::DemandZero);
    EXPECT_EQ(invalidPteKind(Pte::transition(kFrame, MmProtection(MmProtection::kNoAccess))),
              InvalidPteKind::Transition);
    EXPECT_EQ(invalidPteKind(Pte((2ull << 1) | (0x1234ull << 32) | (4ull << 5))),
              InvalidPteKind::PageFile);
    EXPECT_EQ(invalidPteKind(Pte(Pte::kPrototype | (4ull << 5))), InvalidPteKind::Unknown);
}

TEST(InvalidPte, DemandZeroShowsItsProtectionAsWinDbgDoes) {
    EXPECT_EQ(describeInvalidPte(Pte::demandZero(kReadWrite)),
              (std::vector<std::string>{"DemandZero", "Protect: 4 - ReadWrite"}));
}

TEST(InvalidPte, GuardPageSaysSo) {
    const MmProtection guard(MmProtection::ReadWrite | MmProtection::kGuard);
    EXPECT_EQ(
        describeInvalidPte(Pte::demandZero(guard)),
        (std::vector<std::string>{"DemandZero (guard page)", "Protect: 14 - ReadWrite Guard"}));
}

TEST(InvalidPte, ResidentInaccessiblePageIsTransitionWithItsFrame) {
    const auto lines =
        describeInvalidPte(Pte::transition(kFrame, MmProtection(MmProtection::kNoAccess)));
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], "Transition: ff00123 (resident, no access)");
    EXPECT_EQ(lines[1], "Protect: 18 - NoAccess");
}

TEST(InvalidPte, PageFileShowsFileAndOffset) {
    const auto lines = describeInvalidPte(Pte((2ull << 1) | (0x1234ull << 32) | (1ull << 5)));
    EXPECT_EQ(lines,
              (std::vector<std::string>{"PageFile:  2", "Offset: 1234", "Protect: 1 - Readonly"}));
}

TEST(DescribePte, OneLineForEveryFormat) {
    EXPECT_EQ(describePte(Pte::valid(kFrame, kReadWrite, true), true), "pfn ff00123 -------UW-V");
    EXPECT_EQ(describePte(Pte::demandZero(kReadWrite), true),
              "not valid: DemandZero, Protect: 4 - ReadWrite");
    EXPECT_EQ(describePte(Pte(), true), "not valid: zero (not committed)");
    EXPECT_EQ(describePte(Pte(), false), "not valid: zero (no table below)");
}

TEST(ProtectionNames, VadProtectionsAsWinDbgSpellsThem) {
    EXPECT_EQ(vadProtectionName(mm::page::kReadWrite), "READWRITE");
    EXPECT_EQ(vadProtectionName(mm::page::kExecuteWriteCopy), "EXECUTE_WRITECOPY");
    EXPECT_EQ(vadProtectionName(mm::page::kNoAccess), "NO_ACCESS");
    EXPECT_EQ(vadProtectionName(mm::page::kReadWrite | mm::page::kGuard), "READWRITE GUARD");
}

TEST(ProtectionNames, MmProtectionsWithModifiers) {
    EXPECT_EQ(mmProtectionName(MmProtection(MmProtection::ExecuteReadWrite)), "ExecuteReadWrite");
    EXPECT_EQ(mmProtectionName(MmProtection(MmProtection::ReadOnly | MmProtection::kNoCache)),
              "Readonly NoCache");
    EXPECT_EQ(mmProtectionName(MmProtection(MmProtection::kNoAccess)), "NoAccess");
}

}  // namespace
}  // namespace ntoy::kd
