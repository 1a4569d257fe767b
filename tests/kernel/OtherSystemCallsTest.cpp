// The system calls outside virtual memory: process exit, console output, system information
// and the exception calls.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>

#include "ntoy/process_layout.h"
#include "tests/kernel/SystemCallFixture.h"
#include "tests/kernel/fakes/AllocationCap.h"
#include "tests/kernel/fakes/Printers.h"
#include "tests/kernel/fakes/SilencedConsole.h"

namespace ntoy::test {
namespace {

class OtherSystemCallsTest : public SystemCallFixture {
protected:
    FakeProcessor& cpu() { return fakeCpu(*process_); }
};

TEST_F(OtherSystemCallsTest, TerminateProcessOnlyRequestsAStop) {
    const std::uint64_t charge = mm().commit().charge();
    EXPECT_EQ(harness_.call(ke::NtTerminateProcess, {0, 3}), NtStatus::Success);
    EXPECT_EQ(cpu().stopRequests(), 0u) << "NULL: the other threads, of which there are none";
    EXPECT_EQ(harness_.call(ke::NtTerminateProcess, {8, 3}), NtStatus::ObjectTypeMismatch)
        << "the console's handle is no process";
    EXPECT_EQ(harness_.call(ke::NtTerminateProcess, {0x1000, 3}), NtStatus::InvalidHandle);
    EXPECT_EQ(harness_.call(ke::NtTerminateProcess, {kCurrentProcess, 0x1'0000'0007}),
              NtStatus::Success);
    EXPECT_EQ(cpu().stopRequests(), 1u);
    EXPECT_EQ(process_->exitStatus(), 7u) << "the status is 32 bits";
    EXPECT_EQ(harness_.call(ke::NtTerminateProcess, {kCurrentProcess, 9}), NtStatus::Success);
    EXPECT_EQ(process_->exitStatus(), 7u) << "the first status stays";
    EXPECT_EQ(mm().commit().charge(), charge) << "the kernel frees the process, not the call";
}

TEST_F(OtherSystemCallsTest, WriteFileChecksTheHandleFirst) {
    const std::uint64_t ioStatus = kCells + 0x200, buffer = kCells + 0x300;
    EXPECT_EQ(harness_.call(ke::NtWriteFile, {0x1234, 0, 0, 0, ioStatus, buffer, 4}),
              NtStatus::InvalidHandle);
    EXPECT_EQ(harness_.call(ke::NtWriteFile, {NTOY_HANDLE_STDIN, 0, 0, 0, ioStatus, buffer, 4}),
              NtStatus::AccessDenied);
    EXPECT_EQ(harness_.call(ke::NtWriteFile, {NTOY_HANDLE_STDOUT, 0, 0, 0, 0, buffer, 4}),
              NtStatus::AccessViolation);
    EXPECT_EQ(harness_.call(ke::NtWriteFile, {NTOY_HANDLE_STDOUT, 0, 0, 0, ioStatus, 0, 4}),
              NtStatus::AccessViolation);
}

TEST_F(OtherSystemCallsTest, WriteFileFillsTheIoStatusBlock) {
    const std::uint64_t ioStatus = kCells + 0x200, buffer = kCells + 0x300;
    ASSERT_TRUE(guest().poke(VirtualAddress(buffer), std::uint32_t{0x0A216968}));  // "hi!\n"
    NtStatus status;
    {
        SilencedConsole quiet;
        status = harness_.call(ke::NtWriteFile, {NTOY_HANDLE_STDERR, 0, 0, 0, ioStatus, buffer, 4});
    }
    EXPECT_EQ(status, NtStatus::Success);
    EXPECT_EQ(guest().peek<std::uint64_t>(VirtualAddress(ioStatus)), 0u);
    EXPECT_EQ(guest().peek<std::uint64_t>(VirtualAddress(ioStatus + 8)), 4u);
}

// Regression: NtWriteFile once allocated a host buffer of the guest's Length before looking
// at the guest's buffer: Length 0xFFFFFFFF made the host allocate and zero 4 GiB.
TEST_F(OtherSystemCallsTest, WriteFileDoesNotAllocateWhatTheGuestAsksFor) {
    const std::uint64_t ioStatus = kCells + 0x200;
    AllocationCap cap(64 << 20);
    NtStatus status = NtStatus::Success;
    bool threw = false;
    try {
        status = harness_.call(ke::NtWriteFile,
                               {NTOY_HANDLE_STDOUT, 0, 0, 0, ioStatus, kReservedPage, 0xFFFF'FFFF});
    } catch (const std::bad_alloc&) {
        threw = true;
    }
    EXPECT_FALSE(threw) << "NtWriteFile asked the host for " << cap.largestRefused()
                        << " bytes because the guest passed Length 0xFFFFFFFF";
    if (!threw) {
        EXPECT_EQ(status, NtStatus::AccessViolation);
    }
}

TEST_F(OtherSystemCallsTest, QuerySystemInformationDescribesTheMachine) {
    const std::uint64_t buffer = kCells + 0x400, returnLength = kCells + 0x500;
    ASSERT_EQ(harness_.call(ke::NtQuerySystemInformation, {0, buffer, 0x40, returnLength}),
              NtStatus::Success);
    const auto u32 = [&](std::uint64_t off) {
        return *guest().peek<std::uint32_t>(VirtualAddress(buffer + off));
    };
    const auto u64 = [&](std::uint64_t off) {
        return *guest().peek<std::uint64_t>(VirtualAddress(buffer + off));
    };
    EXPECT_EQ(u32(8), kPageSize);
    EXPECT_EQ(u32(12), mm().pfns().total());
    EXPECT_EQ(u32(16), kFirstRamPfn.value());
    EXPECT_EQ(u32(20), kFirstRamPfn.value() + mm().pfns().total() - 1);
    EXPECT_EQ(u32(24), kAllocationGranularity);
    EXPECT_EQ(u64(32), mm::kLowestUserAddress);
    EXPECT_EQ(u64(40), mm::kHighestUserAddress);
    EXPECT_EQ(u64(48), 1u);
    EXPECT_EQ(*guest().peek<std::uint8_t>(VirtualAddress(buffer + 56)), 1);
    EXPECT_EQ(guest().peek<std::uint32_t>(VirtualAddress(returnLength)), 0x40u);
}

TEST_F(OtherSystemCallsTest, QuerySystemInformationRejectsBadArguments) {
    const std::uint64_t buffer = kCells + 0x400;
    EXPECT_EQ(harness_.call(ke::NtQuerySystemInformation, {1, buffer, 0x40, 0}),
              NtStatus::InvalidInfoClass);
    EXPECT_EQ(harness_.call(ke::NtQuerySystemInformation, {0, buffer, 0x3F, 0}),
              NtStatus::InfoLengthMismatch);
    EXPECT_EQ(harness_.call(ke::NtQuerySystemInformation, {0, buffer, 0x1'0000'0040, 0}),
              NtStatus::Success)
        << "Length is a ULONG: the register's upper half is not part of it";
    EXPECT_EQ(harness_.call(ke::NtQuerySystemInformation, {0, kReadOnlyPage, 0x40, 0}),
              NtStatus::AccessViolation);
}

// Regression: NtQuerySystemInformation once wrote the buffer before finding ReturnLength
// unwritable, leaving a changed output behind a failed call. The spec probes every pointer
// first and writes outputs only after the work succeeds.
TEST_F(OtherSystemCallsTest, QuerySystemInformationWritesNothingWhenReturnLengthIsBad) {
    const std::uint64_t buffer = kCells + 0x400;
    ASSERT_TRUE(guest().poke(VirtualAddress(buffer + 8), std::uint32_t{0x5A5A5A5A}));
    EXPECT_EQ(harness_.call(ke::NtQuerySystemInformation, {0, buffer, 0x40, kReadOnlyPage}),
              NtStatus::AccessViolation);
    EXPECT_EQ(guest().peek<std::uint32_t>(VirtualAddress(buffer + 8)), 0x5A5A5A5Au)
        << "the buffer was written by a call that failed";
}

TEST_F(OtherSystemCallsTest, ContinueLoadsTheContext) {
    ke::Context context{};
    context.contextFlags = ke::kContextFull;
    context.rax = 1;
    context.rcx = 2;
    context.r15 = 15;
    context.rsp = 0x7000'1000;
    context.rip = 0x1400'0100;
    context.eFlags = 0xFFFF'FFFF;
    context.mxCsr = 0xFFFF'1F80;
    context.fltSave.xmm[3][0] = 0xAB;
    const std::uint64_t at = kCells + 0x400;  // 16-aligned, within the first page
    ASSERT_TRUE(guest().poke(VirtualAddress(at), context));
    ASSERT_EQ(harness_.call(ke::NtContinue, {at, 0}), NtStatus::Success);
    EXPECT_TRUE(harness_.lastReplacedContext());
    EXPECT_EQ(cpu().reg(hal::Reg::Rax), 1u);
    EXPECT_EQ(cpu().reg(hal::Reg::Rcx), 2u);
    EXPECT_EQ(cpu().reg(hal::Reg::R15), 15u);
    EXPECT_EQ(cpu().reg(hal::Reg::Rsp), 0x7000'1000u);
    EXPECT_EQ(cpu().reg(hal::Reg::Rip), 0x1400'0100u);
    EXPECT_EQ(cpu().reg(hal::Reg::Rflags), 0x0DD5u | 0x200u)
        << "user code sets only the arithmetic, trap and direction flags";
    EXPECT_EQ(cpu().reg(hal::Reg::MxCsr), 0x1F80u);
    EXPECT_EQ(cpu().xmm(3)[0], 0xAB);
}

TEST_F(OtherSystemCallsTest, ContinueFromAnUnreadableContextFails) {
    cpu().setReg(hal::Reg::Rip, 0x1234);
    for (std::uint64_t bad :
         {std::uint64_t{0}, kSystemPointer, kReservedPage - 0x100, kReservedPage})
        EXPECT_EQ(harness_.call(ke::NtContinue, {bad, 0}), NtStatus::AccessViolation) << bad;
    EXPECT_FALSE(harness_.lastReplacedContext());
    EXPECT_EQ(cpu().reg(hal::Reg::Rip), 0x1234u);
}

TEST_F(OtherSystemCallsTest, RaiseExceptionDispatchesOnTheUserStack) {
    process_->exceptionDispatcher = VirtualAddress(0x1400'2000);
    ke::Context context{};
    context.rsp = kCells + 2 * kPageSize - 0x10;
    context.rip = 0x1400'0200;
    ke::ExceptionRecord record{};
    record.exceptionCode = 0xE0000001;
    record.numberParameters = 1;
    record.exceptionInformation[0] = 42;
    const std::uint64_t recordAt = kCells + 0x20, contextAt = kCells + 0x100;
    ASSERT_TRUE(guest().poke(VirtualAddress(recordAt), record));
    ASSERT_TRUE(guest().poke(VirtualAddress(contextAt), context));
    ASSERT_EQ(harness_.call(ke::NtRaiseException, {recordAt, contextAt, 1}), NtStatus::Success);
    EXPECT_TRUE(harness_.lastReplacedContext());
    EXPECT_EQ(cpu().reg(hal::Reg::Rip), 0x1400'2000u);
    const std::uint64_t frame = cpu().reg(hal::Reg::Rsp);
    EXPECT_LT(frame, context.rsp);
    EXPECT_EQ(frame % 16, 0u);
    EXPECT_EQ(guest().peek<std::uint64_t>(VirtualAddress(frame + offsetof(ke::Context, rip))),
              0x1400'0200u);
    EXPECT_EQ(guest().peek<std::uint32_t>(VirtualAddress(frame + 0x4F0)), 0xE0000001u);
    EXPECT_EQ(cpu().stopRequests(), 0u);
}

TEST_F(OtherSystemCallsTest, RaiseExceptionWithoutAHandlerEndsTheProcess) {
    ke::Context context{};
    ke::ExceptionRecord record{};
    record.exceptionCode = 0xC0000094;
    const std::uint64_t recordAt = kCells + 0x20, contextAt = kCells + 0x100;
    ASSERT_TRUE(guest().poke(VirtualAddress(recordAt), record));
    ASSERT_TRUE(guest().poke(VirtualAddress(contextAt), context));
    NtStatus status;
    {
        SilencedConsole quiet;
        status = harness_.call(ke::NtRaiseException, {recordAt, contextAt, 0});
    }
    EXPECT_EQ(status, NtStatus::Success);
    EXPECT_EQ(cpu().stopRequests(), 1u);
    EXPECT_EQ(process_->exitStatus(), 0xC0000094u);
}

TEST_F(OtherSystemCallsTest, RaiseExceptionChecksItsArguments) {
    ke::ExceptionRecord record{};
    record.numberParameters = 16;
    const std::uint64_t recordAt = kCells + 0x20, contextAt = kCells + 0x100;
    ASSERT_TRUE(guest().poke(VirtualAddress(recordAt), record));
    ASSERT_TRUE(guest().poke(VirtualAddress(contextAt), ke::Context{}));
    EXPECT_EQ(harness_.call(ke::NtRaiseException, {recordAt, contextAt, 1}),
              NtStatus::InvalidParameter);
    EXPECT_EQ(harness_.call(ke::NtRaiseException, {0, contextAt, 1}), NtStatus::AccessViolation);
    EXPECT_EQ(harness_.call(ke::NtRaiseException, {recordAt, kSystemPointer, 1}),
              NtStatus::AccessViolation);
    EXPECT_EQ(cpu().stopRequests(), 0u);
}

TEST(SystemCallTable, NumbersEveryHandlerOnce) {
    std::size_t n = 0;
    for (; ke::findSystemCall(n); ++n) {
        const auto* entry = ke::findSystemCall(n);
        EXPECT_FALSE(entry->name.empty()) << n;
        EXPECT_NE(entry->handler, nullptr) << n;
        EXPECT_LE(entry->argumentCount, ke::kMaxSystemCallArgs) << n;
    }
    EXPECT_GE(n, 9u);
    EXPECT_EQ(ke::findSystemCall(n), nullptr);
    EXPECT_EQ(ke::findSystemCall(~0ull), nullptr);
    EXPECT_EQ(ke::findSystemCall(2)->handler, &ke::NtAllocateVirtualMemory);
    EXPECT_EQ(ke::findSystemCall(2)->argumentCount, 6);
}

}  // namespace
}  // namespace ntoy::test
