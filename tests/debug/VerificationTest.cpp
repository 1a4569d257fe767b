// The kernel's own verification on the real machine: a process's exit is checked (the
// invariants, and every frame and page of commit back) when asked or in the checked kernel,
// and a failure stops the machine with MEMORY_MANAGEMENT; the checked kernel also checks after
// every system call. .ci/run runs these in both kinds of build.
#include <gtest/gtest.h>

#include "kernel/mm/SystemLayout.h"
#include "tests/debug/LiveKernel.h"

namespace ntoy::test {
namespace {

// Takes a frame from the kernel at the guest's first page fault and never gives it back: what
// a leak in the fault path would look like.
class StealAFrame final : public ke::KernelObserver {
public:
    explicit StealAFrame(Kernel& kernel) : kernel_(kernel) {}
    void pageFault(const ke::PageFaultEvent&) override {
        if (!stolen_)
            stolen_ = kernel_.memoryManager().pfns().allocateZeroed(mm::PageUse::UserPrivate);
    }

private:
    Kernel& kernel_;
    std::optional<Pfn> stolen_;
};

std::expected<Kernel::RunState, RunError> runToEnd(Kernel& kernel) {
    for (;;) {
        auto state = kernel.resume();
        if (!state || *state == Kernel::RunState::Exited)
            return state;
    }
}

TEST(Verification, AVerifiedExitOfAWellBehavedGuestPasses) {
    auto live = LiveKernel::load("touch_pages.exe", {"100"});
    ASSERT_TRUE(live);
    live->kernel().setVerifyExit(true);
    EXPECT_EQ(live->runToExit(), 0u);
    EXPECT_FALSE(live->kernel().bugCheck());
}

TEST(Verification, AStolenFrameIsABugCheck) {
    auto live = LiveKernel::load("touch_pages.exe", {"10"});
    ASSERT_TRUE(live);
    Kernel& kernel = live->kernel();
    kernel.setVerifyExit(true);
    StealAFrame thief(kernel);
    kernel.setObserver(&thief);
    const auto state = runToEnd(kernel);
    kernel.setObserver(nullptr);
    ASSERT_FALSE(state);
    EXPECT_EQ(state.error().kind, RunError::Kind::BugCheck);
    ASSERT_TRUE(kernel.bugCheck());
    const ke::BugCheck& check = *kernel.bugCheck();
    // Active user memory no page table names. The checked kernel sees it at the next system
    // call, after the fault; a verified exit at the end.
    EXPECT_EQ(check.code, 0x1Au);
    if constexpr (Kernel::kChecked) {
        EXPECT_EQ(check.parameters[0], Kernel::kBrokenAfterSystemCall);
    } else {
        EXPECT_EQ(check.parameters[0], Kernel::kBrokenAfterExit);
        EXPECT_EQ(check.parameters[1], 1000u) << "the (first) process's id";
    }
    EXPECT_NE(check.detail.find("user frames are in use"), std::string::npos) << check.detail;
    // A stopped machine loads nothing more.
    EXPECT_FALSE(kernel.load(imagePath("hello.exe"), {"hello.exe"}, NTOY_IMAGES_DIR));
}

TEST(Verification, ASystemPageKeptAfterTheExitIsALeak) {
    auto live = LiveKernel::load("touch_pages.exe", {"10"});
    ASSERT_TRUE(live);
    Kernel& kernel = live->kernel();
    kernel.setVerifyExit(true);
    // Mapped and charged as the kernel maps its own pages, so every invariant holds; but the
    // process's exit does not give it back.
    const auto rw = *mm::MmProtection::fromWin32(mm::page::kReadWrite);
    ASSERT_TRUE(
        kernel.memoryManager().mapSystemPage(VirtualAddress(mm::kKernelWindowBase + 0x100000), rw));
    ASSERT_EQ(kernel.verifyMemory(), std::nullopt);
    const auto state = runToEnd(kernel);
    ASSERT_FALSE(state);
    const ke::BugCheck& check = *kernel.bugCheck();
    EXPECT_EQ(check.code, 0x1Au);
    EXPECT_EQ(check.parameters[0], Kernel::kLeakedAtExit);
    EXPECT_EQ(check.parameters[1], 1000u) << "the (first) process's id";
    EXPECT_GE(check.parameters[2], 1u) << "frames kept";
    EXPECT_GE(check.parameters[3], 1u) << "pages of commit kept";
    EXPECT_NE(check.detail.find("leaked"), std::string::npos) << check.detail;
}

TEST(Verification, UnverifiedExitsAreNotChecked) {
    if constexpr (Kernel::kChecked)
        GTEST_SKIP() << "the checked kernel verifies every exit";
    auto live = LiveKernel::load("touch_pages.exe", {"10"});
    ASSERT_TRUE(live);
    StealAFrame thief(live->kernel());
    live->kernel().setObserver(&thief);
    EXPECT_EQ(live->runToExit(), 0u);
    live->kernel().setObserver(nullptr);
    EXPECT_FALSE(live->kernel().bugCheck());
}

}  // namespace
}  // namespace ntoy::test
