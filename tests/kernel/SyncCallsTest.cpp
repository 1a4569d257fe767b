// The object and wait system calls, driven as the trap layer drives them: handles through the
// caller's table, outputs in user cells, a blocked wait's status in the thread's resumeRax.
#include <gtest/gtest.h>

#include "kernel/ke/Event.h"
#include "kernel/ke/Mutant.h"
#include "kernel/ob/Access.h"
#include "ntoy/process_layout.h"
#include "tests/kernel/SystemCallFixture.h"
#include "tests/kernel/fakes/Printers.h"

namespace ntoy::test {
namespace {

namespace access = ob::access;
constexpr std::uint64_t kPseudoThread = ~1ull;

class SyncCallsTest : public SystemCallFixture {
protected:
    // Cell 0 receives handles; cells 4.. hold arguments read by the calls.
    std::uint64_t createEvent(std::uint32_t type, bool signaled,
                              ob::AccessMask access = access::kEventAllAccess) {
        EXPECT_EQ(harness_.call(ke::NtCreateEvent, {cell(0).value(), access, 0, type, signaled}),
                  NtStatus::Success);
        return get(0);
    }
    std::uint64_t createMutant(bool owned) {
        EXPECT_EQ(harness_.call(ke::NtCreateMutant,
                                {cell(0).value(), access::kMutantAllAccess, 0, owned}),
                  NtStatus::Success);
        return get(0);
    }
    std::uint64_t createSemaphore(std::int32_t initial, std::int32_t maximum) {
        EXPECT_EQ(
            harness_.call(ke::NtCreateSemaphore, {cell(0).value(), access::kSemaphoreAllAccess, 0,
                                                  static_cast<std::uint32_t>(initial),
                                                  static_cast<std::uint32_t>(maximum)}),
            NtStatus::Success);
        return get(0);
    }
    NtStatus waitOne(std::uint64_t handle, std::optional<std::int64_t> timeout = std::nullopt,
                     bool alertable = false) {
        std::uint64_t timeoutPtr = 0;
        if (timeout) {
            set(8, static_cast<std::uint64_t>(*timeout));
            timeoutPtr = cell(8).value();
        }
        return harness_.call(ke::NtWaitForSingleObject, {handle, alertable, timeoutPtr});
    }
    std::uint32_t cell32(unsigned i) { return static_cast<std::uint32_t>(get(i)); }
    std::size_t handleCount() { return process_->handles().count(); }
    ps::Thread& thread() { return harness_.thread(); }
};

TEST_F(SyncCallsTest, CreateEventHandsBackAHandleWithTheRightsAskedFor) {
    const std::size_t before = handleCount();
    const std::uint64_t h = createEvent(0, false, access::kGenericRead | access::kSynchronize);
    EXPECT_EQ(h, 0x10u) << "after the three console handles";
    EXPECT_EQ(handleCount(), before + 1);
    EXPECT_EQ(process_->handles().lookup(ob::Handle(h))->granted, 0x120001u);
    EXPECT_EQ(harness_.call(ke::NtSetEvent, {h, 0}), NtStatus::AccessDenied);
    EXPECT_EQ(harness_.call(ke::NtClose, {h}), NtStatus::Success);
    EXPECT_EQ(harness_.call(ke::NtClose, {h}), NtStatus::InvalidHandle);
    EXPECT_EQ(harness_.call(ke::NtClose, {~0ull}), NtStatus::InvalidHandle)
        << "pseudo-handles are not closable";
    EXPECT_EQ(handleCount(), before);
}

TEST_F(SyncCallsTest, CreateChecksItsArgumentsAndLeavesNothingBehind) {
    const std::size_t before = handleCount();
    EXPECT_EQ(harness_.call(ke::NtCreateEvent, {kReadOnlyPage, 0, 0, 0, 0}),
              NtStatus::AccessViolation);
    EXPECT_EQ(harness_.call(ke::NtCreateEvent, {cell(0).value(), 0, 0, 2, 0}),
              NtStatus::InvalidParameter);
    EXPECT_EQ(harness_.call(ke::NtCreateEvent, {cell(0).value(), 0, kReservedPage, 0, 0}),
              NtStatus::AccessViolation);
    // OBJECT_ATTRIBUTES in cells 10..15, a UNICODE_STRING in cells 16..17.
    const std::uint64_t oa = cell(10).value();
    set(10, 48);
    set(11, 0);
    set(12, 0);
    set(13, 0x2);  // OBJ_INHERIT
    set(14, 0);
    set(15, 0);
    EXPECT_EQ(harness_.call(ke::NtCreateEvent, {cell(0).value(), 0, oa, 0, 0}), NtStatus::Success);
    EXPECT_EQ(process_->handles().lookup(ob::Handle(get(0)))->attributes, ob::attribute::kInherit);
    set(10, 40);
    EXPECT_EQ(harness_.call(ke::NtCreateEvent, {cell(0).value(), 0, oa, 0, 0}),
              NtStatus::InvalidParameter);
    set(10, 48);
    set(16, 8);  // Length 8: a name
    set(17, cell(18).value());
    set(12, cell(16).value());
    EXPECT_EQ(harness_.call(ke::NtCreateEvent, {cell(0).value(), 0, oa, 0, 0}),
              NtStatus::ObjectNameInvalid);
    set(16, 0);  // an empty name is no name
    EXPECT_EQ(harness_.call(ke::NtCreateEvent, {cell(0).value(), 0, oa, 0, 0}), NtStatus::Success);
    EXPECT_EQ(handleCount(), before + 2);
    EXPECT_EQ(harness_.call(ke::NtCreateSemaphore, {cell(0).value(), 0, 0, 2, 1}),
              NtStatus::InvalidParameter);
    EXPECT_EQ(harness_.call(ke::NtCreateSemaphore, {cell(0).value(), 0, 0, 0, 0}),
              NtStatus::InvalidParameter);
    EXPECT_EQ(harness_.call(ke::NtCreateMutant, {kGuardPage, 0, 0, 1}), NtStatus::AccessViolation);
    EXPECT_TRUE(thread().ownedMutants.empty());
    EXPECT_EQ(handleCount(), before + 2);
}

TEST_F(SyncCallsTest, EventsSetResetPulseAndQuery) {
    const std::uint64_t h = createEvent(0, false);
    EXPECT_EQ(harness_.call(ke::NtSetEvent, {h, cell(1).value()}), NtStatus::Success);
    EXPECT_EQ(cell32(1), 0u);
    EXPECT_EQ(harness_.call(ke::NtSetEvent, {h, cell(1).value()}), NtStatus::Success);
    EXPECT_EQ(cell32(1), 1u);
    EXPECT_EQ(harness_.call(ke::NtQueryEvent, {h, 0, cell(2).value(), 8, cell(3).value()}),
              NtStatus::Success);
    EXPECT_EQ(get(2), 0x1'0000'0000u) << "NotificationEvent, signalled";
    EXPECT_EQ(cell32(3), 8u);
    EXPECT_EQ(harness_.call(ke::NtResetEvent, {h, cell(1).value()}), NtStatus::Success);
    EXPECT_EQ(cell32(1), 1u);
    EXPECT_EQ(harness_.call(ke::NtPulseEvent, {h, 0}), NtStatus::Success);
    EXPECT_EQ(harness_.call(ke::NtQueryEvent, {h, 1, cell(2).value(), 8, 0}),
              NtStatus::InvalidInfoClass);
    EXPECT_EQ(harness_.call(ke::NtQueryEvent, {h, 0, cell(2).value(), 4, 0}),
              NtStatus::InfoLengthMismatch);
    EXPECT_EQ(harness_.call(ke::NtQueryEvent, {h, 0, kReadOnlyPage, 8, 0}),
              NtStatus::AccessViolation);
    EXPECT_EQ(harness_.call(ke::NtSetEvent, {h, kReadOnlyPage}), NtStatus::AccessViolation);
    EXPECT_EQ(harness_.call(ke::NtQueryEvent, {h, 0, cell(2).value(), 8, 0}), NtStatus::Success);
    EXPECT_EQ(get(2), 0u) << "the failed set changed nothing";
    EXPECT_EQ(harness_.call(ke::NtSetEvent, {NTOY_HANDLE_STDOUT, 0}), NtStatus::ObjectTypeMismatch);
    EXPECT_EQ(harness_.call(ke::NtSetEvent, {0x400, 0}), NtStatus::InvalidHandle);
}

TEST_F(SyncCallsTest, AWaitThatCannotBeSatisfiedBlocksAndASetReadiesIt) {
    const std::uint64_t h = createEvent(1, false);
    EXPECT_EQ(waitOne(h, 0), NtStatus::Timeout);
    EXPECT_EQ(waitOne(h), NtStatus::Pending);
    EXPECT_EQ(thread().state, ps::Thread::State::Waiting);
    // Another thread of the process sets it.
    const auto waiter = harness_.threadRef();
    harness_.callFrom(std::make_shared<ps::Thread>(100, nullptr));
    EXPECT_EQ(harness_.call(ke::NtSetEvent, {h, 0}), NtStatus::Success);
    EXPECT_EQ(waiter->resumeRax, raw(NtStatus::Success));
    EXPECT_EQ(harness_.readyQueue().readied, std::vector<ps::Thread*>{waiter.get()});
}

TEST_F(SyncCallsTest, WaitTimeoutsAreRelativeOrAbsolute) {
    const std::uint64_t h = createEvent(0, false);
    EXPECT_EQ(waitOne(h, -50), NtStatus::Pending);
    EXPECT_EQ(harness_.waits().nextDeadline(), harness_.interruptTime + 50);
    harness_.waits().expire(harness_.interruptTime + 50);
    EXPECT_EQ(thread().resumeRax, raw(NtStatus::Timeout));
    thread().state = ps::Thread::State::Running;
    EXPECT_EQ(waitOne(h, static_cast<std::int64_t>(harness_.systemTime + 70)), NtStatus::Pending);
    EXPECT_EQ(harness_.waits().nextDeadline(), harness_.interruptTime + 70);
    harness_.waits().expire(harness_.interruptTime + 70);
    thread().state = ps::Thread::State::Running;
    EXPECT_EQ(waitOne(h, static_cast<std::int64_t>(harness_.systemTime - 70)), NtStatus::Timeout);
    EXPECT_EQ(harness_.call(ke::NtWaitForSingleObject, {h, 0, kReservedPage}),
              NtStatus::AccessViolation);
}

TEST_F(SyncCallsTest, WaitsNeedSynchronizeAndAWaitableObject) {
    const std::uint64_t h = createEvent(0, true, access::kEventModifyState);
    EXPECT_EQ(waitOne(h, 0), NtStatus::AccessDenied);
    EXPECT_EQ(waitOne(NTOY_HANDLE_STDOUT, 0), NtStatus::ObjectTypeMismatch);
    EXPECT_EQ(waitOne(0x400, 0), NtStatus::InvalidHandle);
    EXPECT_EQ(waitOne(kPseudoThread, 0), NtStatus::Timeout) << "its own thread has not ended";
}

TEST_F(SyncCallsTest, WaitForMultipleObjectsChecksInWindowsOrder) {
    const std::uint64_t a = createEvent(1, false), b = createEvent(0, true);
    set(20, a);
    set(21, b);
    set(22, a);
    const std::uint64_t handles = cell(20).value();
    EXPECT_EQ(harness_.call(ke::NtWaitForMultipleObjects, {0, handles, 1, 0, 0}),
              NtStatus::InvalidParameter1);
    EXPECT_EQ(harness_.call(ke::NtWaitForMultipleObjects, {65, handles, 1, 0, 0}),
              NtStatus::InvalidParameter1);
    EXPECT_EQ(harness_.call(ke::NtWaitForMultipleObjects, {2, handles, 2, 0, 0}),
              NtStatus::InvalidParameter3);
    EXPECT_EQ(harness_.call(ke::NtWaitForMultipleObjects, {2, kReservedPage, 1, 0, 0}),
              NtStatus::AccessViolation);
    EXPECT_EQ(harness_.call(ke::NtWaitForMultipleObjects, {2, handles, 1, 0, 0}),
              ke::waitStatus(1));
    EXPECT_EQ(harness_.call(ke::NtWaitForMultipleObjects, {3, handles, 0, 0, 0}),
              NtStatus::InvalidParameterMix);
    set(8, 0);
    EXPECT_EQ(harness_.call(ke::NtWaitForMultipleObjects, {2, handles, 0, 0, cell(8).value()}),
              NtStatus::Timeout);
    EXPECT_EQ(harness_.call(ke::NtSetEvent, {a, 0}), NtStatus::Success);
    EXPECT_EQ(harness_.call(ke::NtWaitForMultipleObjects, {2, handles, 0, 0, 0}),
              NtStatus::Success);
    set(21, 0x400);
    EXPECT_EQ(harness_.call(ke::NtWaitForMultipleObjects, {2, handles, 1, 0, 0}),
              NtStatus::InvalidHandle);
}

TEST_F(SyncCallsTest, MutantsReleaseAndQuery) {
    const std::uint64_t m = createMutant(true);
    EXPECT_EQ(waitOne(m, 0), NtStatus::Success);
    EXPECT_EQ(harness_.call(ke::NtQueryMutant, {m, 0, cell(2).value(), 8, 0}), NtStatus::Success);
    EXPECT_EQ(static_cast<std::int32_t>(cell32(2)), -1);
    EXPECT_EQ((get(2) >> 32) & 0xFF, 1u) << "owned by the caller";
    EXPECT_EQ(harness_.call(ke::NtReleaseMutant, {m, cell(1).value()}), NtStatus::Success);
    EXPECT_EQ(static_cast<std::int32_t>(cell32(1)), -1);
    EXPECT_EQ(harness_.call(ke::NtReleaseMutant, {m, 0}), NtStatus::Success);
    EXPECT_EQ(harness_.call(ke::NtReleaseMutant, {m, 0}), NtStatus::MutantNotOwned);
    EXPECT_EQ(harness_.call(ke::NtReleaseMutant, {m, kReadOnlyPage}), NtStatus::AccessViolation);
}

TEST_F(SyncCallsTest, SemaphoresReleaseAndQuery) {
    const std::uint64_t s = createSemaphore(1, 3);
    EXPECT_EQ(harness_.call(ke::NtReleaseSemaphore, {s, 2, cell(1).value()}), NtStatus::Success);
    EXPECT_EQ(cell32(1), 1u);
    EXPECT_EQ(harness_.call(ke::NtReleaseSemaphore, {s, 1, 0}), NtStatus::SemaphoreLimitExceeded);
    EXPECT_EQ(harness_.call(ke::NtReleaseSemaphore, {s, 0, 0}), NtStatus::InvalidParameter);
    EXPECT_EQ(harness_.call(ke::NtQuerySemaphore, {s, 0, cell(2).value(), 8, cell(3).value()}),
              NtStatus::Success);
    EXPECT_EQ(get(2), 0x3'0000'0003u);
    EXPECT_EQ(waitOne(s, 0), NtStatus::Success);
    EXPECT_EQ(harness_.call(ke::NtQuerySemaphore, {s, 0, cell(2).value(), 8, 0}),
              NtStatus::Success);
    EXPECT_EQ(cell32(2), 2u);
}

TEST_F(SyncCallsTest, SignalAndWaitSignalsThenWaits) {
    const std::uint64_t e = createEvent(1, false), s = createSemaphore(0, 1);
    const std::uint64_t m = createMutant(true);
    set(8, 0);
    const std::uint64_t poll = cell(8).value();
    EXPECT_EQ(harness_.call(ke::NtSignalAndWaitForSingleObject, {s, s, 0, poll}), NtStatus::Success)
        << "signalled its own wait object: a release then a take";
    EXPECT_EQ(harness_.call(ke::NtSignalAndWaitForSingleObject, {e, e, 0, poll}),
              NtStatus::Success);
    EXPECT_EQ(harness_.call(ke::NtSignalAndWaitForSingleObject, {m, e, 0, poll}),
              NtStatus::Timeout);
    EXPECT_TRUE(thread().ownedMutants.empty()) << "the mutant was released";
    EXPECT_EQ(harness_.call(ke::NtSignalAndWaitForSingleObject, {m, e, 0, poll}),
              NtStatus::MutantNotOwned);
    EXPECT_EQ(harness_.call(ke::NtSignalAndWaitForSingleObject, {NTOY_HANDLE_STDOUT, e, 0, poll}),
              NtStatus::ObjectTypeMismatch);
}

TEST_F(SyncCallsTest, DelayAndYield) {
    set(8, static_cast<std::uint64_t>(std::int64_t{-100}));
    EXPECT_EQ(harness_.call(ke::NtDelayExecution, {0, cell(8).value()}), NtStatus::Pending);
    EXPECT_EQ(harness_.waits().expire(harness_.interruptTime + 100), 1u);
    EXPECT_EQ(thread().resumeRax, raw(NtStatus::Success));
    thread().state = ps::Thread::State::Running;
    set(8, 0);
    EXPECT_EQ(harness_.call(ke::NtDelayExecution, {0, cell(8).value()}), NtStatus::NoYieldPerformed)
        << "Sleep(0) with nobody else ready";
    EXPECT_EQ(harness_.call(ke::NtDelayExecution, {1, cell(8).value()}), NtStatus::Success)
        << "SleepEx(0, TRUE) polls";
    harness_.readyQueue().othersReady = true;
    EXPECT_EQ(harness_.call(ke::NtYieldExecution, {}), NtStatus::Success);
    EXPECT_EQ(harness_.call(ke::NtDelayExecution, {0, 0}), NtStatus::AccessViolation);
}

TEST_F(SyncCallsTest, DuplicateObjectCopiesOrNarrowsRightsButNeverWidens) {
    const std::uint64_t e = createEvent(0, false, access::kEventQueryState | access::kSynchronize);
    const std::uint64_t self = ob::kCurrentProcess.value();
    EXPECT_EQ(harness_.call(ke::NtDuplicateObject, {self, e, self, cell(1).value(), 0, 0, 2}),
              NtStatus::Success);
    const std::uint64_t copy = get(1);
    EXPECT_NE(copy, e);
    EXPECT_EQ(process_->handles().lookup(ob::Handle(copy))->granted,
              access::kEventQueryState | access::kSynchronize);
    EXPECT_EQ(harness_.call(ke::NtDuplicateObject,
                            {self, e, self, cell(1).value(), access::kEventModifyState, 0, 0}),
              NtStatus::AccessDenied);
    EXPECT_EQ(harness_.call(ke::NtDuplicateObject,
                            {self, e, self, cell(1).value(), access::kSynchronize, 2, 0}),
              NtStatus::Success);
    EXPECT_EQ(process_->handles().lookup(ob::Handle(get(1)))->granted, access::kSynchronize);
    EXPECT_EQ(process_->handles().lookup(ob::Handle(get(1)))->attributes, ob::attribute::kInherit);
    // The pseudo-handle of the thread becomes a real handle with all access.
    EXPECT_EQ(
        harness_.call(ke::NtDuplicateObject, {self, kPseudoThread, self, cell(1).value(), 0, 0, 2}),
        NtStatus::Success);
    EXPECT_EQ(process_->handles().lookup(ob::Handle(get(1)))->object.get(), &thread());
    // DUPLICATE_CLOSE_SOURCE closes the source, even when the duplicate fails.
    const std::size_t before = handleCount();
    EXPECT_EQ(harness_.call(ke::NtDuplicateObject, {self, copy, self, kReadOnlyPage, 0, 0, 3}),
              NtStatus::AccessViolation)
        << "an unwritable TargetHandle fails first, closing nothing";
    EXPECT_EQ(handleCount(), before);
    EXPECT_EQ(harness_.call(ke::NtDuplicateObject,
                            {self, copy, self, cell(1).value(), access::kEventModifyState, 0, 1}),
              NtStatus::AccessDenied);
    EXPECT_EQ(handleCount(), before - 1);
    EXPECT_EQ(harness_.call(ke::NtDuplicateObject, {self, e, 0, 0, 0, 0, 1}), NtStatus::Success)
        << "no target process: only the close";
    EXPECT_EQ(handleCount(), before - 2);
    EXPECT_EQ(harness_.call(ke::NtDuplicateObject, {self, 0x400, self, cell(1).value(), 0, 0, 2}),
              NtStatus::InvalidHandle);
    EXPECT_EQ(harness_.call(ke::NtDuplicateObject,
                            {NTOY_HANDLE_STDOUT, e, self, cell(1).value(), 0, 0, 2}),
              NtStatus::ObjectTypeMismatch);
}

}  // namespace
}  // namespace ntoy::test
