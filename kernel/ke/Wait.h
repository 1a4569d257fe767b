// Waits: a thread blocks on dispatcher objects (all or any of them), with a timeout, and is
// readied when they are signalled, when the timeout expires, or (alertable waits) when a user
// APC or an alert arrives. Windows' semantics (KeWaitForMultipleObjects, KiWaitTest):
//
// - wait any is satisfied by the first signalled object in index order and returns
//   STATUS_WAIT_0 + index, or STATUS_ABANDONED_WAIT_0 + index for an abandoned mutant;
// - wait all is satisfied only when every object is signalled at once; all are then
//   satisfied together and it returns STATUS_WAIT_0 (STATUS_ABANDONED_WAIT_0 if one was an
//   abandoned mutant);
// - a signalled object beats a pending alert or APC, which beat the timeout;
// - a signal wakes the object's waiters oldest first, as long as it stays signalled for them
//   (so a synchronization event or a semaphore of count 1 releases one);
// - timeouts are deadlines in interrupt time (100 ns units); one already past ends the wait at
//   once with STATUS_TIMEOUT (NtDelayExecution: STATUS_SUCCESS).
//
// The WaitManager never runs a thread: it marks a thread Waiting when it blocks it, and when
// it ends the wait it stores the status in thread.resumeRax, marks it Ready and hands it to
// the scheduler's ReadyQueue.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "kernel/base/NtStatus.h"
#include "kernel/ke/Apc.h"

namespace ntoy::ps {
class Thread;
}

namespace ntoy::ke {

class DispatcherObject;

inline constexpr std::size_t kMaximumWaitObjects = 64;  // MAXIMUM_WAIT_OBJECTS

enum class WaitType : std::uint8_t { All = 0, Any = 1 };  // NT's WAIT_TYPE values

// STATUS_WAIT_0 + index and STATUS_ABANDONED_WAIT_0 + index.
constexpr NtStatus waitStatus(std::uint32_t index) {
    return static_cast<NtStatus>(raw(NtStatus::Success) + index);
}
constexpr NtStatus abandonedStatus(std::uint32_t index) {
    return static_cast<NtStatus>(raw(NtStatus::AbandonedWait0) + index);
}

// One object of a thread's wait.
struct WaitBlock {
    ps::Thread* thread = nullptr;
    std::shared_ptr<DispatcherObject> object;  // the wait keeps its objects alive
    std::uint32_t index = 0;               // its position in the wait, for STATUS_WAIT_0 + index
    std::list<WaitBlock*>::iterator link;  // its place in object->waiters()
};

// Deadlines of blocked threads, earliest first; equal ones in the order they were set.
using TimerQueue = std::multimap<std::uint64_t, ps::Thread*>;

// The wait a thread is blocked in, if any.
struct ThreadWait {
    bool blocked = false;
    std::vector<WaitBlock> blocks;  // none for NtDelayExecution
    WaitType type = WaitType::Any;
    bool alertable = false;
    std::optional<std::uint64_t> deadline;       // interrupt time, 100 ns units
    NtStatus timeoutStatus = NtStatus::Timeout;  // what the deadline ends it with
    TimerQueue::iterator timer;  // its place in the timer queue, while it has a deadline
};

// The scheduler, as the waits and the wait calls see it.
class ReadyQueue {
public:
    // Where a thread whose wait ended goes (its state is Ready).
    virtual void ready(ps::Thread& thread) = 0;
    // NtYieldExecution: the running thread goes behind every ready thread (and off its
    // processor); false, and it keeps running, if no other thread is ready.
    virtual bool yield(ps::Thread& running) = 0;

protected:
    ~ReadyQueue() = default;
};

// How a wait request came out: finished at once (with the status the call returns), or the
// thread is now blocked (its status arrives in resumeRax when it is readied).
struct WaitOutcome {
    enum class Kind : std::uint8_t { Done, Blocked } kind;
    NtStatus status = NtStatus::Pending;

    static WaitOutcome done(NtStatus s) { return {Kind::Done, s}; }
    static WaitOutcome blocked() { return {Kind::Blocked, NtStatus::Pending}; }
    bool isBlocked() const { return kind == Kind::Blocked; }
    friend bool operator==(const WaitOutcome&, const WaitOutcome&) = default;
};

// A timeout in NT's form, as NtWaitForSingleObject takes it: none (wait forever), negative
// (relative, in 100 ns units), zero (poll), or positive (absolute system time, 100 ns units
// since 1601). As a deadline in interrupt time, given both clocks' present values; a deadline
// too far to represent saturates (it never comes). An absolute time is converted once: ntoy's
// system time never jumps, so the two clocks keep their distance.
std::optional<std::uint64_t> deadlineFor(std::optional<std::int64_t> timeout,
                                         std::uint64_t interruptTime, std::uint64_t systemTime);

class WaitManager {
public:
    explicit WaitManager(ReadyQueue& ready) : ready_(ready) {}
    WaitManager(const WaitManager&) = delete;
    WaitManager& operator=(const WaitManager&) = delete;

    // NtWaitForSingleObject and NtWaitForMultipleObjects, for the running `thread` (which is in
    // no wait): STATUS_INVALID_PARAMETER_1 for no objects or more than 64, and for wait all
    // STATUS_INVALID_PARAMETER_MIX if an object appears twice; then as the file comment says.
    // `deadline` is in interrupt time (none: forever); `now` is the interrupt time.
    WaitOutcome wait(ps::Thread& thread, std::span<const std::shared_ptr<DispatcherObject>> objects,
                     WaitType type, bool alertable, std::optional<std::uint64_t> deadline,
                     std::uint64_t now);

    // NtDelayExecution's wait, with no objects: the alert checks of an alertable wait, then
    // STATUS_SUCCESS at the deadline (none: never). A zero interval that is not alertable is
    // a yield instead, which the call makes.
    WaitOutcome delay(ps::Thread& thread, bool alertable, std::optional<std::uint64_t> deadline,
                      std::uint64_t now);
    // NtYieldExecution: STATUS_SUCCESS if another thread was ready and now runs first,
    // STATUS_NO_YIELD_PERFORMED if none was.
    NtStatus yield(ps::Thread& thread);

    // Call after `object` may have become signalled (an event set, a mutant or semaphore
    // released, a thread or process ended): ends the waits it now satisfies, oldest first.
    // The caller keeps the object alive through the call.
    void signaled(DispatcherObject& object);

    // NtAlertThread: ends the thread's alertable wait with STATUS_ALERTED, or, if it is in
    // none, leaves it alerted for its next one. Returns whether it was alerted before.
    bool alert(ps::Thread& thread);
    // NtQueueApcThread: queues the APC and ends the thread's alertable wait with
    // STATUS_USER_APC. False, and nothing queued, if the thread has ended.
    bool queueUserApc(ps::Thread& thread, const UserApc& apc);

    // The thread has ended (its state is already Terminated): its wait is dropped (it is never
    // readied), its APCs and alert discarded, its mutants abandoned (their waiters get
    // STATUS_ABANDONED_WAIT_0 + index), and the waiters on the thread itself are woken.
    void threadEnded(ps::Thread& thread);

    // The earliest deadline of a blocked thread: when the scheduler must call expire() next.
    std::optional<std::uint64_t> nextDeadline() const;
    // Ends every wait whose deadline is at or before `now` (interrupt time), earliest first,
    // with STATUS_TIMEOUT (NtDelayExecution: STATUS_SUCCESS). Returns how many it ended.
    std::size_t expire(std::uint64_t now);
    // Takes the thread out of every waiters list and the timer queue, and clears its wait,
    // readying nobody: for a thread torn down while it waits.
    void dropWait(ps::Thread& thread);

private:
    void block(ps::Thread& thread, std::span<const std::shared_ptr<DispatcherObject>> objects,
               WaitType type, bool alertable, std::optional<std::uint64_t> deadline,
               NtStatus timeoutStatus);
    // dropWait, then the thread is readied with `status`.
    void unwait(ps::Thread& thread, NtStatus status);
    // Whether the block's thread's wait is now satisfiable through its object; if so, satisfies
    // it and readies the thread.
    bool tryEnd(const WaitBlock& block);

    ReadyQueue& ready_;
    TimerQueue timers_;
};

}  // namespace ntoy::ke
