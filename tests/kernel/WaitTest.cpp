// Waits and the sync objects, as host logic: threads made directly (no process, no CPU), a
// ready queue that records whom the waits ready, and interrupt time passed in by hand.
#include <gtest/gtest.h>

#include <limits>
#include <memory>
#include <vector>

#include "kernel/ke/Event.h"
#include "kernel/ke/Mutant.h"
#include "kernel/ke/Semaphore.h"
#include "kernel/ke/Wait.h"
#include "kernel/ps/Thread.h"
#include "tests/kernel/fakes/Printers.h"
#include "tests/kernel/fakes/SystemCallHarness.h"

namespace ntoy::test {
namespace {

using ke::DispatcherObject;
using ke::Event;
using ke::EventType;
using ke::Mutant;
using ke::Semaphore;
using ke::WaitOutcome;
using ke::WaitType;
using ps::Thread;

class WaitTest : public ::testing::Test {
protected:
    std::shared_ptr<Thread> newThread() {
        auto t = std::make_shared<Thread>(nextId_, nullptr);
        nextId_ += 4;
        t->state = Thread::State::Running;
        return t;
    }
    static std::shared_ptr<Event> event(EventType type, bool signaled = false) {
        return std::make_shared<Event>(type, signaled);
    }

    using Objects = std::vector<std::shared_ptr<DispatcherObject>>;

    WaitOutcome waitAny(Thread& t, const Objects& objects,
                        std::optional<std::uint64_t> deadline = std::nullopt,
                        bool alertable = false) {
        return waits_.wait(t, objects, WaitType::Any, alertable, deadline, now_);
    }
    WaitOutcome waitAll(Thread& t, const Objects& objects,
                        std::optional<std::uint64_t> deadline = std::nullopt,
                        bool alertable = false) {
        return waits_.wait(t, objects, WaitType::All, alertable, deadline, now_);
    }
    WaitOutcome waitOne(Thread& t, const std::shared_ptr<DispatcherObject>& object,
                        std::optional<std::uint64_t> deadline = std::nullopt,
                        bool alertable = false) {
        return waitAny(t, {object}, deadline, alertable);
    }

    // What a readied thread's wait returned.
    static std::optional<NtStatus> resumed(const Thread& t) {
        if (!t.resumeRax)
            return std::nullopt;
        return static_cast<NtStatus>(*t.resumeRax);
    }
    static bool blocked(const Thread& t) {
        return t.wait.blocked && t.state == Thread::State::Waiting;
    }

    static WaitOutcome done(NtStatus s) { return WaitOutcome::done(s); }
    static WaitOutcome blockedOutcome() { return WaitOutcome::blocked(); }

    RecordingReadyQueue queue_;
    ke::WaitManager waits_{queue_};
    std::uint64_t now_ = 1000;
    std::uint32_t nextId_ = 4;
};

// --- Events

TEST_F(WaitTest, ANotificationEventReleasesEveryWaiterAndStaysSignalled) {
    auto e = event(EventType::Notification);
    auto a = newThread(), b = newThread(), c = newThread();
    for (auto* t : {a.get(), b.get(), c.get()})
        ASSERT_EQ(waitOne(*t, e), blockedOutcome());
    EXPECT_FALSE(e->set(waits_));
    EXPECT_EQ(queue_.readied, (std::vector<Thread*>{a.get(), b.get(), c.get()}));
    for (auto* t : {a.get(), b.get(), c.get()}) {
        EXPECT_EQ(resumed(*t), NtStatus::Success);
        EXPECT_EQ(t->state, Thread::State::Ready);
        EXPECT_FALSE(t->wait.blocked);
    }
    EXPECT_TRUE(e->isSignaled());
    EXPECT_TRUE(e->waiters().empty());
    EXPECT_EQ(waitOne(*newThread(), e), done(NtStatus::Success)) << "it stays signalled";
    EXPECT_TRUE(e->set(waits_)) << "the state before";
    EXPECT_TRUE(e->reset());
    EXPECT_FALSE(e->reset());
}

TEST_F(WaitTest, ASynchronizationEventReleasesOneWaiterPerSetOldestFirst) {
    auto e = event(EventType::Synchronization);
    auto a = newThread(), b = newThread();
    ASSERT_EQ(waitOne(*a, e), blockedOutcome());
    ASSERT_EQ(waitOne(*b, e), blockedOutcome());
    EXPECT_FALSE(e->set(waits_));
    EXPECT_EQ(queue_.readied, std::vector<Thread*>{a.get()});
    EXPECT_FALSE(e->isSignaled()) << "the released waiter reset it";
    EXPECT_TRUE(blocked(*b));
    EXPECT_FALSE(e->set(waits_));
    EXPECT_EQ(queue_.readied, (std::vector<Thread*>{a.get(), b.get()}));
    EXPECT_FALSE(e->isSignaled());

    EXPECT_FALSE(e->set(waits_));
    EXPECT_TRUE(e->isSignaled()) << "no waiter: it stays set";
    EXPECT_TRUE(e->set(waits_));
    auto c = newThread();
    EXPECT_EQ(waitOne(*c, e), done(NtStatus::Success));
    EXPECT_FALSE(e->isSignaled()) << "one wait took it";
    EXPECT_EQ(waitOne(*c, e, now_), done(NtStatus::Timeout));
}

TEST_F(WaitTest, PulseReleasesWhoeverWaitsNowAndLeavesTheEventReset) {
    auto n = event(EventType::Notification);
    auto s = event(EventType::Synchronization);
    auto a = newThread(), b = newThread(), c = newThread(), d = newThread();
    ASSERT_EQ(waitOne(*a, n), blockedOutcome());
    ASSERT_EQ(waitOne(*b, n), blockedOutcome());
    ASSERT_EQ(waitOne(*c, s), blockedOutcome());
    ASSERT_EQ(waitOne(*d, s), blockedOutcome());
    EXPECT_FALSE(n->pulse(waits_));
    EXPECT_FALSE(s->pulse(waits_));
    EXPECT_EQ(queue_.readied, (std::vector<Thread*>{a.get(), b.get(), c.get()}));
    EXPECT_FALSE(n->isSignaled());
    EXPECT_FALSE(s->isSignaled());
    EXPECT_TRUE(blocked(*d));
    EXPECT_FALSE(n->pulse(waits_)) << "no waiters: nothing happens";
    EXPECT_FALSE(n->isSignaled());
    n->set(waits_);
    EXPECT_TRUE(n->pulse(waits_)) << "the state before";
    EXPECT_FALSE(n->isSignaled());
}

// --- Wait any and wait all

TEST_F(WaitTest, WaitAnyTakesTheFirstSignalledObjectInIndexOrder) {
    auto e0 = event(EventType::Synchronization);
    auto e1 = event(EventType::Synchronization, true);
    auto e2 = event(EventType::Synchronization, true);
    auto t = newThread();
    EXPECT_EQ(waitAny(*t, {e0, e1, e2}), done(ke::waitStatus(1)));
    EXPECT_FALSE(e1->isSignaled());
    EXPECT_TRUE(e2->isSignaled()) << "only the one that satisfied the wait";
    EXPECT_EQ(waitAny(*t, {e0, e1, e2}), done(ke::waitStatus(2)));
    EXPECT_EQ(ntStatusName(ke::waitStatus(2)), "STATUS_WAIT_2");
}

TEST_F(WaitTest, ABlockedWaitAnyReturnsTheIndexOfTheObjectThatEndedIt) {
    Objects objects;
    for (int i = 0; i < 5; ++i)
        objects.push_back(event(EventType::Notification));
    auto t = newThread();
    ASSERT_EQ(waitAny(*t, objects), blockedOutcome());
    for (const auto& o : objects)
        EXPECT_EQ(o->waiters().size(), 1u);
    std::static_pointer_cast<Event>(objects[3])->set(waits_);
    EXPECT_EQ(resumed(*t), ke::waitStatus(3));
    for (const auto& o : objects)
        EXPECT_TRUE(o->waiters().empty()) << "every block left its object";
    EXPECT_EQ(queue_.readied.size(), 1u);
}

TEST_F(WaitTest, WaitAnyMayNameAnObjectTwice) {
    auto e = event(EventType::Synchronization);
    auto t = newThread();
    ASSERT_EQ(waitAny(*t, {e, e}), blockedOutcome());
    EXPECT_EQ(e->waiters().size(), 2u);
    e->set(waits_);
    EXPECT_EQ(resumed(*t), ke::waitStatus(0));
    EXPECT_TRUE(e->waiters().empty());
    EXPECT_EQ(queue_.readied.size(), 1u);
}

TEST_F(WaitTest, WaitAllIsSatisfiedOnlyWhenEveryObjectIsSignalledAtOnce) {
    auto a = event(EventType::Synchronization);
    auto b = event(EventType::Synchronization);
    auto all = newThread(), any = newThread();
    ASSERT_EQ(waitAll(*all, {a, b}), blockedOutcome());
    ASSERT_EQ(waitOne(*any, a), blockedOutcome());
    a->set(waits_);  // `all` cannot take it without b; `any` can
    EXPECT_EQ(queue_.readied, std::vector<Thread*>{any.get()});
    EXPECT_FALSE(a->isSignaled());
    b->set(waits_);  // a is gone again
    EXPECT_TRUE(blocked(*all));
    EXPECT_TRUE(b->isSignaled()) << "a wait all takes nothing until it takes everything";
    a->set(waits_);
    EXPECT_EQ(resumed(*all), NtStatus::Success);
    EXPECT_FALSE(a->isSignaled());
    EXPECT_FALSE(b->isSignaled()) << "both satisfied together";
}

TEST_F(WaitTest, WaitAllSatisfiesEveryObjectAtOnce) {
    auto s = std::make_shared<Semaphore>(2, 5);
    auto e = event(EventType::Synchronization, true);
    auto n = event(EventType::Notification, true);
    auto t = newThread();
    EXPECT_EQ(waitAll(*t, {s, e, n}), done(NtStatus::Success));
    EXPECT_EQ(s->count(), 1);
    EXPECT_FALSE(e->isSignaled());
    EXPECT_TRUE(n->isSignaled());
    EXPECT_EQ(waitAll(*t, {s, e, n}, now_), done(NtStatus::Timeout));
    EXPECT_EQ(s->count(), 1) << "an unsatisfied wait all takes nothing";
}

TEST_F(WaitTest, WaitAllRefusesTheSameObjectTwice) {
    auto e = event(EventType::Notification, true);
    auto other = event(EventType::Notification, true);
    std::shared_ptr<DispatcherObject> sameAgain = e;  // another reference, the same object
    auto t = newThread();
    EXPECT_EQ(waitAll(*t, {e, other, sameAgain}), done(NtStatus::InvalidParameterMix));
    EXPECT_FALSE(t->wait.blocked);
}

TEST_F(WaitTest, AWaitTakesOneToSixtyFourObjects) {
    auto t = newThread();
    EXPECT_EQ(waitAny(*t, {}), done(NtStatus::InvalidParameter1));
    Objects many;
    for (std::size_t i = 0; i < ke::kMaximumWaitObjects; ++i)
        many.push_back(event(EventType::Notification));
    std::static_pointer_cast<Event>(many.back())->set(waits_);
    EXPECT_EQ(waitAny(*t, many), done(ke::waitStatus(63)));
    EXPECT_EQ(waitAll(*t, many, now_), done(NtStatus::Timeout));
    many.push_back(event(EventType::Notification, true));
    EXPECT_EQ(waitAny(*t, many), done(NtStatus::InvalidParameter1));
    EXPECT_EQ(waitAll(*t, many), done(NtStatus::InvalidParameter1));
}

// --- Timeouts

TEST_F(WaitTest, AZeroTimeoutPollsAndAPastDeadlineTimesOutAtOnce) {
    auto e = event(EventType::Notification);
    auto t = newThread();
    EXPECT_EQ(waitOne(*t, e, now_), done(NtStatus::Timeout));
    EXPECT_EQ(waitOne(*t, e, now_ - 1), done(NtStatus::Timeout));
    EXPECT_TRUE(e->waiters().empty());
    EXPECT_FALSE(waits_.nextDeadline());
    e->set(waits_);
    EXPECT_EQ(waitOne(*t, e, now_), done(NtStatus::Success)) << "a signalled object wins";
}

TEST_F(WaitTest, ADeadlineEndsTheWaitWithTimeout) {
    auto e = event(EventType::Notification);
    auto t = newThread();
    ASSERT_EQ(waitOne(*t, e, now_ + 100), blockedOutcome());
    EXPECT_EQ(waits_.nextDeadline(), now_ + 100);
    EXPECT_EQ(waits_.expire(now_ + 99), 0u);
    EXPECT_TRUE(blocked(*t));
    EXPECT_EQ(waits_.expire(now_ + 100), 1u);
    EXPECT_EQ(resumed(*t), NtStatus::Timeout);
    EXPECT_TRUE(e->waiters().empty());
    EXPECT_FALSE(waits_.nextDeadline());
    e->set(waits_);
    EXPECT_EQ(queue_.readied.size(), 1u) << "readied once";
}

TEST_F(WaitTest, ASignalBeforeTheDeadlineCancelsTheTimer) {
    auto e = event(EventType::Notification);
    auto t = newThread();
    ASSERT_EQ(waitOne(*t, e, now_ + 100), blockedOutcome());
    e->set(waits_);
    EXPECT_EQ(resumed(*t), NtStatus::Success);
    EXPECT_FALSE(waits_.nextDeadline());
    EXPECT_EQ(waits_.expire(now_ + 1000), 0u);
}

TEST_F(WaitTest, TimersExpireEarliestFirstAndEqualOnesInOrder) {
    auto e = event(EventType::Notification);
    auto a = newThread(), b = newThread(), c = newThread(), d = newThread();
    ASSERT_EQ(waitOne(*a, e, now_ + 30), blockedOutcome());
    ASSERT_EQ(waitOne(*b, e, now_ + 10), blockedOutcome());
    ASSERT_EQ(waitOne(*c, e, now_ + 30), blockedOutcome());
    ASSERT_EQ(waitOne(*d, e), blockedOutcome());  // forever
    EXPECT_EQ(waits_.nextDeadline(), now_ + 10);
    EXPECT_EQ(waits_.expire(now_ + 50), 3u);
    EXPECT_EQ(queue_.readied, (std::vector<Thread*>{b.get(), a.get(), c.get()}));
    EXPECT_TRUE(blocked(*d));
    EXPECT_FALSE(waits_.nextDeadline());
}

TEST_F(WaitTest, TimeoutsBecomeInterruptTimeDeadlines) {
    constexpr std::uint64_t interrupt = 5'000, system = 132'000'000'000'000'000;
    EXPECT_EQ(ke::deadlineFor(std::nullopt, interrupt, system), std::nullopt);
    EXPECT_EQ(ke::deadlineFor(std::numeric_limits<std::int64_t>::min(), interrupt, system),
              std::nullopt)
        << "kernel32's INFINITE";
    EXPECT_EQ(ke::deadlineFor(0, interrupt, system), interrupt);
    EXPECT_EQ(ke::deadlineFor(-10'000, interrupt, system), interrupt + 10'000);
    EXPECT_EQ(ke::deadlineFor(static_cast<std::int64_t>(system + 70), interrupt, system),
              interrupt + 70);
    EXPECT_EQ(ke::deadlineFor(static_cast<std::int64_t>(system - 70), interrupt, system), interrupt)
        << "an absolute time already past";
    EXPECT_EQ(ke::deadlineFor(-1, std::numeric_limits<std::uint64_t>::max() - 0, system),
              std::numeric_limits<std::uint64_t>::max())
        << "saturates";
}

// --- Alerts and user APCs

TEST_F(WaitTest, AnAlertableWaitEndsAtOnceForAnAlertOrAQueuedApc) {
    auto e = event(EventType::Notification);
    auto t = newThread();
    EXPECT_FALSE(waits_.alert(*t)) << "not alerted before";
    EXPECT_TRUE(waits_.alert(*t));
    EXPECT_EQ(waitOne(*t, e, std::nullopt, true), done(NtStatus::Alerted));
    EXPECT_FALSE(t->alerted) << "the alert is consumed";

    ASSERT_TRUE(waits_.queueUserApc(*t, {VirtualAddress(0x1000), 1, 2, 3}));
    EXPECT_EQ(waitOne(*t, e, std::nullopt, true), done(NtStatus::UserApc));
    EXPECT_EQ(t->userApcs.size(), 1u) << "the APC stays queued for its delivery";

    EXPECT_TRUE(waits_.alert(*t) == false);
    EXPECT_EQ(waitOne(*t, e, std::nullopt, true), done(NtStatus::Alerted))
        << "an alert before an APC";
    e->set(waits_);
    EXPECT_EQ(waitOne(*t, e, std::nullopt, true), done(NtStatus::Success))
        << "a signalled object before either";
}

TEST_F(WaitTest, ANonAlertableWaitIgnoresAlertsAndApcs) {
    auto e = event(EventType::Notification);
    auto t = newThread();
    (void)waits_.alert(*t);
    ASSERT_TRUE(waits_.queueUserApc(*t, {VirtualAddress(0x1000), 0, 0, 0}));
    EXPECT_EQ(waitOne(*t, e, now_), done(NtStatus::Timeout));
    ASSERT_EQ(waitOne(*t, e), blockedOutcome());
    ASSERT_TRUE(waits_.queueUserApc(*t, {VirtualAddress(0x2000), 0, 0, 0}));
    EXPECT_TRUE(waits_.alert(*t));
    EXPECT_TRUE(blocked(*t));
    EXPECT_TRUE(t->alerted);
    EXPECT_EQ(t->userApcs.size(), 2u);
}

TEST_F(WaitTest, AnAlertOrAnApcEndsABlockedAlertableWait) {
    auto e = event(EventType::Notification);
    auto a = newThread(), b = newThread();
    ASSERT_EQ(waitOne(*a, e, now_ + 100, true), blockedOutcome());
    ASSERT_EQ(waitOne(*b, e, std::nullopt, true), blockedOutcome());
    EXPECT_FALSE(waits_.alert(*a));
    EXPECT_EQ(resumed(*a), NtStatus::Alerted);
    EXPECT_FALSE(a->alerted) << "the alert ended the wait; none is left pending";
    EXPECT_FALSE(waits_.nextDeadline());
    ASSERT_TRUE(waits_.queueUserApc(*b, {VirtualAddress(0x3000), 7, 8, 9}));
    EXPECT_EQ(resumed(*b), NtStatus::UserApc);
    ASSERT_EQ(b->userApcs.size(), 1u);
    EXPECT_EQ(b->userApcs.front().routine, VirtualAddress(0x3000));
    EXPECT_EQ(b->userApcs.front().argument3, 9u);
    EXPECT_TRUE(e->waiters().empty());
}

// --- NtDelayExecution

TEST_F(WaitTest, ADelaySleepsUntilItsDeadlineAndReturnsSuccess) {
    auto t = newThread();
    EXPECT_EQ(waits_.delay(*t, false, now_, now_), done(NtStatus::Success));
    ASSERT_EQ(waits_.delay(*t, false, now_ + 10, now_), blockedOutcome());
    EXPECT_TRUE(blocked(*t));
    EXPECT_EQ(waits_.nextDeadline(), now_ + 10);
    EXPECT_EQ(waits_.expire(now_ + 10), 1u);
    EXPECT_EQ(resumed(*t), NtStatus::Success);
}

TEST_F(WaitTest, AnAlertableDelayEndsForAnApcOrAnAlert) {
    auto t = newThread();
    ASSERT_TRUE(waits_.queueUserApc(*t, {VirtualAddress(0x1000), 0, 0, 0}));
    EXPECT_EQ(waits_.delay(*t, true, now_ + 10, now_), done(NtStatus::UserApc));
    EXPECT_EQ(waits_.delay(*t, false, now_, now_), done(NtStatus::Success))
        << "not alertable: the APC waits";
    t->userApcs.clear();
    ASSERT_EQ(waits_.delay(*t, true, now_ + 10, now_), blockedOutcome());
    (void)waits_.alert(*t);
    EXPECT_EQ(resumed(*t), NtStatus::Alerted);
    EXPECT_FALSE(waits_.nextDeadline());
}

TEST_F(WaitTest, ADelayWithoutADeadlineNeverEndsByItself) {
    auto t = newThread();
    ASSERT_EQ(waits_.delay(*t, true, std::nullopt, now_), blockedOutcome());
    EXPECT_FALSE(waits_.nextDeadline());
    ASSERT_TRUE(waits_.queueUserApc(*t, {VirtualAddress(0x1000), 0, 0, 0}));
    EXPECT_EQ(resumed(*t), NtStatus::UserApc);
}

TEST_F(WaitTest, AYieldIsTheSchedulers) {
    auto t = newThread();
    EXPECT_EQ(waits_.yield(*t), NtStatus::NoYieldPerformed);
    queue_.othersReady = true;
    EXPECT_EQ(waits_.yield(*t), NtStatus::Success);
    EXPECT_EQ(queue_.yielded, (std::vector<Thread*>{t.get(), t.get()}));
}

// --- Mutants

TEST_F(WaitTest, AMutantIsOwnedRecursivelyAndFreedByTheLastRelease) {
    auto t = newThread(), other = newThread();
    auto m = Mutant::create(t.get());
    EXPECT_EQ(m->owner(), t.get());
    EXPECT_EQ(m->currentCount(), 0);
    ASSERT_EQ(t->ownedMutants.size(), 1u);
    EXPECT_EQ(waitOne(*t, m), done(NtStatus::Success));
    EXPECT_EQ(m->currentCount(), -1);
    EXPECT_EQ(waitOne(*other, m, now_), done(NtStatus::Timeout));
    EXPECT_EQ(m->release(*other, waits_).error(), NtStatus::MutantNotOwned);
    EXPECT_EQ(m->release(*t, waits_), -1);
    EXPECT_EQ(m->release(*t, waits_), 0);
    EXPECT_EQ(m->owner(), nullptr);
    EXPECT_EQ(m->currentCount(), 1);
    EXPECT_TRUE(t->ownedMutants.empty());
    EXPECT_EQ(m->release(*t, waits_).error(), NtStatus::MutantNotOwned);
    EXPECT_EQ(Mutant::create(nullptr)->owner(), nullptr);
}

TEST_F(WaitTest, ReleasingAMutantHandsItToTheOldestWaiter) {
    auto owner = newThread(), a = newThread(), b = newThread();
    auto m = Mutant::create(owner.get());
    auto e = event(EventType::Notification);
    ASSERT_EQ(waitAny(*a, {e, m}), blockedOutcome());
    ASSERT_EQ(waitOne(*b, m), blockedOutcome());
    EXPECT_EQ(m->release(*owner, waits_), 0);
    EXPECT_EQ(resumed(*a), ke::waitStatus(1));
    EXPECT_EQ(m->owner(), a.get());
    EXPECT_EQ(a->ownedMutants.front().get(), m.get());
    EXPECT_TRUE(blocked(*b));
    EXPECT_EQ(m->release(*a, waits_), 0);
    EXPECT_EQ(m->owner(), b.get());
}

TEST_F(WaitTest, AMutantWhoseOwnerEndsIsAbandonedToItsNextOwner) {
    auto owner = newThread(), waiter = newThread(), later = newThread();
    auto m = Mutant::create(owner.get());
    auto e = event(EventType::Notification);
    ASSERT_EQ(waitAny(*waiter, {e, m}), blockedOutcome());
    owner->state = Thread::State::Terminated;
    waits_.threadEnded(*owner);
    EXPECT_EQ(resumed(*waiter), ke::abandonedStatus(1));
    EXPECT_EQ(ntStatusName(ke::abandonedStatus(1)), "STATUS_ABANDONED_WAIT_1");
    EXPECT_EQ(m->owner(), waiter.get());
    EXPECT_FALSE(m->abandoned()) << "told once";
    EXPECT_TRUE(owner->ownedMutants.empty());
    EXPECT_EQ(m->release(*waiter, waits_), 0);
    EXPECT_EQ(waitOne(*later, m), done(NtStatus::Success));
}

TEST_F(WaitTest, AnAbandonedMutantNobodyWaitedForTellsTheNextWait) {
    auto owner = newThread(), next = newThread(), stranger = newThread();
    auto m1 = Mutant::create(owner.get());
    auto m2 = Mutant::create(owner.get());
    owner->state = Thread::State::Terminated;
    waits_.threadEnded(*owner);
    EXPECT_TRUE(m1->abandoned());
    EXPECT_EQ(m1->owner(), nullptr);
    EXPECT_EQ(m1->currentCount(), 1);
    EXPECT_EQ(m1->release(*stranger, waits_).error(), NtStatus::AbandonedWait0)
        << "KeReleaseMutant's status for an abandoned, unowned mutant";
    auto e = event(EventType::Notification, true);
    EXPECT_EQ(waitAll(*next, {e, m1}), done(NtStatus::AbandonedWait0))
        << "wait all: STATUS_ABANDONED_WAIT_0, whatever the index";
    EXPECT_EQ(waitAny(*next, {m2}), done(ke::abandonedStatus(0)));
}

TEST_F(WaitTest, AnOwnerCannotAcquireAMutantPastItsCount) {
    auto t = newThread();
    auto m = Mutant::create(t.get(), 3);
    EXPECT_EQ(waitOne(*t, m), done(NtStatus::Success));
    EXPECT_EQ(waitOne(*t, m), done(NtStatus::Success));
    EXPECT_EQ(m->currentCount(), -2);
    EXPECT_EQ(waitOne(*t, m), done(NtStatus::MutantLimitExceeded));
    auto e = event(EventType::Notification, true);
    EXPECT_EQ(waitAll(*t, {e, m}), done(NtStatus::MutantLimitExceeded));
    EXPECT_EQ(m->currentCount(), -2) << "refused, not taken";
    EXPECT_EQ(Mutant::kMaxRecursion, 0x8000'0001u) << "SignalState from 0 down to MINLONG";
}

TEST_F(WaitTest, AWaitAllMayIncludeAMutantTheWaiterOwns) {
    auto t = newThread();
    auto m = Mutant::create(t.get());
    auto e = event(EventType::Synchronization);
    ASSERT_EQ(waitAll(*t, {m, e}), blockedOutcome());
    e->set(waits_);
    EXPECT_EQ(resumed(*t), NtStatus::Success);
    EXPECT_EQ(m->currentCount(), -1);
    EXPECT_EQ(t->ownedMutants.size(), 1u) << "listed once however often it is held";
}

// --- Semaphores

TEST_F(WaitTest, SemaphoreCreationChecksItsCounts) {
    EXPECT_EQ(Semaphore::create(0, 0).error(), NtStatus::InvalidParameter);
    EXPECT_EQ(Semaphore::create(-1, 4).error(), NtStatus::InvalidParameter);
    EXPECT_EQ(Semaphore::create(5, 4).error(), NtStatus::InvalidParameter);
    EXPECT_EQ(Semaphore::create(1, -4).error(), NtStatus::InvalidParameter);
    auto s = Semaphore::create(4, 4);
    ASSERT_TRUE(s);
    EXPECT_EQ((*s)->count(), 4);
    EXPECT_EQ((*s)->maximum(), 4);
}

TEST_F(WaitTest, ASemaphoreReleaseWakesAsManyWaitersAsItAdds) {
    auto s = std::make_shared<Semaphore>(0, 10);
    std::vector<std::shared_ptr<Thread>> threads;
    for (int i = 0; i < 4; ++i) {
        threads.push_back(newThread());
        ASSERT_EQ(waitOne(*threads.back(), s), blockedOutcome());
    }
    EXPECT_EQ(s->release(3, waits_), 0);
    EXPECT_EQ(queue_.readied,
              (std::vector<Thread*>{threads[0].get(), threads[1].get(), threads[2].get()}));
    EXPECT_EQ(s->count(), 0);
    EXPECT_EQ(s->release(2, waits_), 0);
    EXPECT_EQ(s->count(), 1) << "one taken by the last waiter";
    EXPECT_EQ(s->release(1, waits_), 1);
    EXPECT_EQ(s->count(), 2);
}

TEST_F(WaitTest, ASemaphoreRefusesAReleasePastItsMaximumOrOfNothing) {
    auto s = std::make_shared<Semaphore>(3, 4);
    EXPECT_EQ(s->release(0, waits_).error(), NtStatus::InvalidParameter);
    EXPECT_EQ(s->release(-1, waits_).error(), NtStatus::InvalidParameter);
    EXPECT_EQ(s->release(2, waits_).error(), NtStatus::SemaphoreLimitExceeded);
    EXPECT_EQ(s->count(), 3) << "nothing changed";
    EXPECT_EQ(s->release(1, waits_), 3);
    auto huge = std::make_shared<Semaphore>(std::numeric_limits<std::int32_t>::max(),
                                            std::numeric_limits<std::int32_t>::max());
    EXPECT_EQ(huge->release(std::numeric_limits<std::int32_t>::max(), waits_).error(),
              NtStatus::SemaphoreLimitExceeded)
        << "no wrap";
}

// --- Threads ending

TEST_F(WaitTest, AnEndingThreadLeavesItsWaitAndWakesItsWaiters) {
    auto e = event(EventType::Notification);
    auto ending = newThread(), joiner = newThread();
    ASSERT_EQ(waitOne(*ending, e, now_ + 5, true), blockedOutcome());
    ASSERT_TRUE(waits_.queueUserApc(*ending, {VirtualAddress(0x1000), 0, 0, 0}));
    ASSERT_EQ(queue_.readied.size(), 1u);  // the APC readied it; block it again
    queue_.readied.clear();
    ending->userApcs.clear();
    ASSERT_EQ(waitOne(*ending, e, now_ + 5), blockedOutcome());
    ASSERT_EQ(waitOne(*joiner, ending), blockedOutcome());
    ending->state = Thread::State::Terminated;
    waits_.threadEnded(*ending);
    EXPECT_EQ(queue_.readied, std::vector<Thread*>{joiner.get()}) << "the ended one is not readied";
    EXPECT_EQ(resumed(*joiner), NtStatus::Success);
    EXPECT_TRUE(e->waiters().empty());
    EXPECT_FALSE(waits_.nextDeadline());
    EXPECT_FALSE(ending->wait.blocked);
    EXPECT_FALSE(waits_.queueUserApc(*ending, {VirtualAddress(0x1000), 0, 0, 0}));
    EXPECT_TRUE(ending->userApcs.empty());
    EXPECT_EQ(waitOne(*newThread(), ending), done(NtStatus::Success)) << "it stays signalled";
}

TEST_F(WaitTest, AWaitKeepsItsObjectsAlive) {
    std::weak_ptr<Event> watch;
    auto t = newThread();
    {
        auto e = event(EventType::Notification);
        watch = e;
        ASSERT_EQ(waitOne(*t, e, now_ + 1), blockedOutcome());
    }
    EXPECT_FALSE(watch.expired());
    EXPECT_EQ(waits_.expire(now_ + 1), 1u);
    EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace ntoy::test
