// Dispatcher objects: what a thread can wait on. Events, mutants, semaphores, threads and
// processes are all of them; each says when it is signalled for a given waiter and what a
// satisfied wait does to it (an auto-reset event resets, a semaphore counts down, a mutant
// becomes the waiter's).
//
// An object's state is changed only by its own operations, and every change towards signalled
// is followed by WaitManager::signaled(object) (ke/Wait.h), which wakes its waiters.
#pragma once

#include <cstdint>
#include <list>
#include <optional>

#include "kernel/base/NtStatus.h"
#include "kernel/ob/Object.h"

namespace ntoy::ps {
class Thread;
}

namespace ntoy::ke {

struct WaitBlock;

// How a satisfied wait found the object: a mutant whose owner ended is handed over
// abandoned, and the wait says so (STATUS_ABANDONED_WAIT_0 + index).
enum class Satisfaction : std::uint8_t { Normal, Abandoned };

class DispatcherObject : public ob::Object {
public:
    using ob::Object::Object;

    // Whether a wait by `waiter` would be satisfied now.
    virtual bool signaledFor(const ps::Thread& waiter) const = 0;
    // The side effect of a satisfied wait by `waiter`.
    virtual Satisfaction satisfy(ps::Thread& waiter) {
        (void)waiter;
        return Satisfaction::Normal;
    }
    // A status that ends a wait instead of satisfying it, though the object is signalled for
    // `waiter`: a mutant its owner has acquired as often as it can count
    // (STATUS_MUTANT_LIMIT_EXCEEDED).
    virtual std::optional<NtStatus> refusal(const ps::Thread& waiter) const {
        (void)waiter;
        return std::nullopt;
    }

    // The waits now blocked on this object, oldest first (the Wait module keeps it).
    std::list<WaitBlock*>& waiters() { return waiters_; }
    const std::list<WaitBlock*>& waiters() const { return waiters_; }

private:
    std::list<WaitBlock*> waiters_;
};

}  // namespace ntoy::ke
