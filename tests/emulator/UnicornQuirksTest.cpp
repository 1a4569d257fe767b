#include "emulator/UnicornQuirks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>

namespace ntoy::emu {
namespace {

TEST(UnicornQuirks, ProbeFindsExactlyOneOffsetForEachHiddenField) {
    const auto layout = probeContextLayout();
    ASSERT_TRUE(layout) << layout.error();
    EXPECT_GT(layout->contextSize, 0u);
    // Each field lies inside the saved context, and no two overlap.
    std::pair<std::size_t, std::size_t> fields[] = {
        {layout->exceptionInFlight, 4}, {layout->errorCode, 4}, {layout->efer, 8}};
    std::sort(std::begin(fields), std::end(fields));
    for (const auto& [offset, size] : fields)
        EXPECT_LE(offset + size, layout->contextSize) << offset;
    for (std::size_t i = 1; i < std::size(fields); ++i)
        EXPECT_LE(fields[i - 1].first + fields[i - 1].second, fields[i].first);
}

TEST(UnicornQuirks, ProbeIsRepeatable) {
    const auto a = probeContextLayout();
    const auto b = probeContextLayout();
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->contextSize, b->contextSize);
    EXPECT_EQ(a->exceptionInFlight, b->exceptionInFlight);
    EXPECT_EQ(a->errorCode, b->errorCode);
    EXPECT_EQ(a->efer, b->efer);
}

TEST(UnicornQuirks, SelfTestPasses) {
    const auto layout = probeContextLayout();
    ASSERT_TRUE(layout) << layout.error();
    const auto ok = selfTest(*layout);
    EXPECT_TRUE(ok) << ok.error();
}

TEST(UnicornQuirks, SelfTestCatchesAWrongLayout) {
    // With the two int32 fields swapped, every exception is left "in flight": the second
    // page fault becomes a double fault, which the self-test must notice.
    auto layout = probeContextLayout();
    ASSERT_TRUE(layout) << layout.error();
    std::swap(layout->exceptionInFlight, layout->errorCode);
    const auto ok = selfTest(*layout);
    ASSERT_FALSE(ok);
    EXPECT_NE(ok.error().find("unicorn self-test"), std::string::npos) << ok.error();
    EXPECT_EQ(ok.error().find('\n'), std::string::npos) << "one line for the user";
}

TEST(UnicornQuirks, CheckedLayoutIsTheProbedOne) {
    const auto& checked = checkedContextLayout();
    ASSERT_TRUE(checked) << checked.error();
    const auto probed = probeContextLayout();
    ASSERT_TRUE(probed);
    EXPECT_EQ(checked->exceptionInFlight, probed->exceptionInFlight);
    EXPECT_EQ(checked->errorCode, probed->errorCode);
    EXPECT_EQ(checked->efer, probed->efer);
    EXPECT_EQ(&checkedContextLayout(), &checked) << "probed once per host process";
}

TEST(UnicornQuirks, FindsTheSwitchForStopsOnlyBetweenBlocks) {
    // Debian's 2.0.1 has it: the probe found the flag and saw a stop asked inside a block
    // land at the next one with it set, and inside the block without it.
    const auto stops = probeBlockBoundaryStops();
    ASSERT_TRUE(stops) << "the timer's preemption would cost a block hook call per block";
    EXPECT_GT(stops->flagOffset, 0u);
    EXPECT_EQ(checkedBlockBoundaryStops()->flagOffset, stops->flagOffset);
}

// Every test executable links ntoy_emulator, which exports the replacements: the library's
// store path must bind to them, or every guest store builds and frees a GTree.
TEST(UnicornQuirks, StoreBookkeepingBindsToNtoy) {
    EXPECT_TRUE(storeBookkeepingElided());
}

// The TLB's place is found in the library's code, and the scratch-machine check passes: a
// store leaves a clean entry, and rewritten code runs as rewritten (cpu_hostile.exe checks
// the same through the whole machine).
TEST(UnicornQuirks, CleanStoresFindTheTlbAndPassTheirCheck) {
    const auto layout = probeTlbLayout();
    ASSERT_TRUE(layout) << "every guest store would take 2.0.1's slow path";
    EXPECT_EQ(layout->mmuModes, 3u);  // x86: kernel, user, SMAP-off kernel
    EXPECT_LT(layout->fastInEnv, 0);
    ASSERT_TRUE(checkedTlbLayout());
    EXPECT_EQ(checkedTlbLayout()->cpuInUc, layout->cpuInUc);
}

TEST(UnicornQuirks, ChosenCodeHooksFindTheRangeAndPassTheirCheck) {
    // The executable binds the translator's entry to ntoy's, and the scratch machine's run
    // called the hook on the one instruction chosen for it.
    const auto& range = checkedCodeHookRange();
    ASSERT_TRUE(range);
    EXPECT_NE(range->beginOffset, range->endOffset);
}

TEST(UnicornQuirks, TheChosenHookCanLeaveTheListWhileCodeRuns) {
    // The scratch machine's stop before a block left RIP there, with the hook still called.
    const auto& list = checkedCodeHookList();
    ASSERT_TRUE(list);
    EXPECT_EQ(list->offset % 8, 0u);
}

}  // namespace
}  // namespace ntoy::emu
