#include "kernel/ke/Wait.h"

#include <iterator>
#include <limits>
#include <utility>

#include "kernel/ke/Dispatcher.h"
#include "kernel/ke/Mutant.h"
#include "kernel/ps/Thread.h"

namespace ntoy::ke {
namespace {

std::uint64_t saturatingAdd(std::uint64_t a, std::uint64_t b) {
    return b > std::numeric_limits<std::uint64_t>::max() - a
               ? std::numeric_limits<std::uint64_t>::max()
               : a + b;
}

// Wait all: if every object is signalled for the thread, satisfies them all and returns the
// status, else changes nothing. `objectAt(i)` is the i-th object of the wait.
template <typename ObjectAt>
std::optional<NtStatus> satisfyAll(ps::Thread& thread, std::size_t count, ObjectAt objectAt) {
    for (std::size_t i = 0; i < count; ++i)
        if (!objectAt(i).signaledFor(thread))
            return std::nullopt;
    for (std::size_t i = 0; i < count; ++i)
        if (auto refused = objectAt(i).refusal(thread))
            return refused;
    bool abandoned = false;
    for (std::size_t i = 0; i < count; ++i)
        abandoned |= objectAt(i).satisfy(thread) == Satisfaction::Abandoned;
    return abandoned ? NtStatus::AbandonedWait0 : NtStatus::Success;
}

// Wait any, through one object: satisfies it if it is signalled for the thread.
std::optional<NtStatus> satisfyOne(ps::Thread& thread, DispatcherObject& object,
                                   std::uint32_t index) {
    if (!object.signaledFor(thread))
        return std::nullopt;
    if (auto refused = object.refusal(thread))
        return refused;
    return object.satisfy(thread) == Satisfaction::Abandoned ? abandonedStatus(index)
                                                             : waitStatus(index);
}

// An alertable wait ends at once if the thread was alerted (the alert is consumed) or has user
// APCs queued (they are delivered on the way out), in that order (KiCheckAlertability).
std::optional<NtStatus> alertStatus(ps::Thread& thread) {
    if (std::exchange(thread.alerted, false))
        return NtStatus::Alerted;
    if (!thread.userApcs.empty())
        return NtStatus::UserApc;
    return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> deadlineFor(std::optional<std::int64_t> timeout,
                                         std::uint64_t interruptTime, std::uint64_t systemTime) {
    // kernel32 passes the most negative interval for INFINITE (BaseFormatTimeOut's caller in
    // Sleep): it means forever, not 29,000 years.
    if (!timeout || *timeout == std::numeric_limits<std::int64_t>::min())
        return std::nullopt;
    if (*timeout < 0)
        return saturatingAdd(interruptTime,
                             std::uint64_t{0} - static_cast<std::uint64_t>(*timeout));
    const auto absolute = static_cast<std::uint64_t>(*timeout);
    if (absolute <= systemTime)
        return interruptTime;
    return saturatingAdd(interruptTime, absolute - systemTime);
}

WaitOutcome WaitManager::wait(ps::Thread& thread,
                              std::span<const std::shared_ptr<DispatcherObject>> objects,
                              WaitType type, bool alertable, std::optional<std::uint64_t> deadline,
                              std::uint64_t now) {
    if (objects.empty() || objects.size() > kMaximumWaitObjects)
        return WaitOutcome::done(NtStatus::InvalidParameter1);
    if (type == WaitType::All) {
        for (std::size_t i = 0; i < objects.size(); ++i)
            for (std::size_t j = 0; j < i; ++j)
                if (objects[i] == objects[j])
                    return WaitOutcome::done(NtStatus::InvalidParameterMix);
        if (auto status =
                satisfyAll(thread, objects.size(),
                           [&](std::size_t i) -> DispatcherObject& { return *objects[i]; }))
            return WaitOutcome::done(*status);
    } else {
        for (std::size_t i = 0; i < objects.size(); ++i)
            if (auto status = satisfyOne(thread, *objects[i], static_cast<std::uint32_t>(i)))
                return WaitOutcome::done(*status);
    }
    if (alertable)
        if (auto status = alertStatus(thread))
            return WaitOutcome::done(*status);
    if (deadline && *deadline <= now)
        return WaitOutcome::done(NtStatus::Timeout);
    block(thread, objects, type, alertable, deadline, NtStatus::Timeout);
    return WaitOutcome::blocked();
}

WaitOutcome WaitManager::delay(ps::Thread& thread, bool alertable,
                               std::optional<std::uint64_t> deadline, std::uint64_t now) {
    if (alertable)
        if (auto status = alertStatus(thread))
            return WaitOutcome::done(*status);
    if (deadline && *deadline <= now)
        return WaitOutcome::done(NtStatus::Success);
    block(thread, {}, WaitType::Any, alertable, deadline, NtStatus::Success);
    return WaitOutcome::blocked();
}

NtStatus WaitManager::yield(ps::Thread& thread) {
    return ready_.yield(thread) ? NtStatus::Success : NtStatus::NoYieldPerformed;
}

void WaitManager::block(ps::Thread& thread,
                        std::span<const std::shared_ptr<DispatcherObject>> objects, WaitType type,
                        bool alertable, std::optional<std::uint64_t> deadline,
                        NtStatus timeoutStatus) {
    // A thread in a wait makes no calls; should one come anyway (a test harness), its old wait
    // leaves every list before the new one is built, so no list keeps a block that is gone.
    dropWait(thread);
    ThreadWait& w = thread.wait;
    // Every block exists before any is linked: the lists hold their addresses.
    w.blocks.reserve(objects.size());
    for (std::size_t i = 0; i < objects.size(); ++i)
        w.blocks.push_back(WaitBlock{&thread, objects[i], static_cast<std::uint32_t>(i), {}});
    for (WaitBlock& b : w.blocks) {
        auto& list = b.object->waiters();
        b.link = list.insert(list.end(), &b);
    }
    w.blocked = true;
    w.type = type;
    w.alertable = alertable;
    w.deadline = deadline;
    w.timeoutStatus = timeoutStatus;
    if (deadline)
        w.timer = timers_.emplace(*deadline, &thread);
    thread.state = ps::Thread::State::Waiting;
}

void WaitManager::dropWait(ps::Thread& thread) {
    ThreadWait& w = thread.wait;
    for (WaitBlock& b : w.blocks)
        b.object->waiters().erase(b.link);
    if (w.blocked && w.deadline)
        timers_.erase(w.timer);
    // The wait's references go last, once nothing points into it.
    const ThreadWait ended = std::exchange(w, ThreadWait{});
}

void WaitManager::unwait(ps::Thread& thread, NtStatus status) {
    dropWait(thread);
    thread.resumeRax = raw(status);
    thread.state = ps::Thread::State::Ready;
    ready_.ready(thread);
}

bool WaitManager::tryEnd(const WaitBlock& block) {
    ps::Thread& thread = *block.thread;
    std::optional<NtStatus> status;
    if (thread.wait.type == WaitType::Any) {
        status = satisfyOne(thread, *block.object, block.index);
    } else {
        const auto& blocks = thread.wait.blocks;
        status = satisfyAll(thread, blocks.size(),
                            [&](std::size_t i) -> DispatcherObject& { return *blocks[i].object; });
    }
    if (!status)
        return false;
    unwait(thread, *status);
    return true;
}

void WaitManager::signaled(DispatcherObject& object) {
    // Each ended wait changes the list (and maybe the object), so the walk starts again from
    // the oldest waiter; each pass that ends one removes at least one block.
    for (bool ended = true; ended;) {
        ended = false;
        for (WaitBlock* block : object.waiters()) {
            if (tryEnd(*block)) {
                ended = true;
                break;
            }
        }
    }
}

bool WaitManager::alert(ps::Thread& thread) {
    if (thread.alerted)
        return true;
    if (thread.wait.blocked && thread.wait.alertable)
        unwait(thread, NtStatus::Alerted);
    else
        thread.alerted = true;
    return false;
}

bool WaitManager::queueUserApc(ps::Thread& thread, const UserApc& apc) {
    if (thread.state == ps::Thread::State::Terminated)
        return false;
    thread.userApcs.push_back(apc);
    if (thread.wait.blocked && thread.wait.alertable)
        unwait(thread, NtStatus::UserApc);
    return true;
}

void WaitManager::threadEnded(ps::Thread& thread) {
    dropWait(thread);
    thread.userApcs.clear();
    thread.alerted = false;
    // Most recently acquired first, as NT walks the thread's mutant list.
    const auto owned = std::exchange(thread.ownedMutants, {});
    for (const std::shared_ptr<Mutant>& mutant : owned)
        mutant->abandon(*this);
    signaled(thread);
}

std::optional<std::uint64_t> WaitManager::nextDeadline() const {
    if (timers_.empty())
        return std::nullopt;
    return timers_.begin()->first;
}

std::size_t WaitManager::expire(std::uint64_t now) {
    std::size_t ended = 0;
    while (!timers_.empty() && timers_.begin()->first <= now) {
        ps::Thread& thread = *timers_.begin()->second;
        unwait(thread, thread.wait.timeoutStatus);
        ++ended;
    }
    return ended;
}

}  // namespace ntoy::ke
