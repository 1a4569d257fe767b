// Dispatcher objects: what a thread can wait on. Events, mutants, semaphores, threads and
// processes are all of them; each says when it is signalled for a given waiter and what a
// satisfied wait does to it (an auto-reset event resets, a semaphore counts down, a mutant
// becomes the waiter's).
#pragma once

#include <list>

#include "kernel/ob/Object.h"

namespace ntoy::ps {
class Thread;
}

namespace ntoy::ke {

struct WaitBlock;

class DispatcherObject : public ob::Object {
public:
    using ob::Object::Object;

    // Whether a wait by `waiter` would be satisfied now.
    virtual bool signaledFor(const ps::Thread& waiter) const = 0;
    // The side effect of a satisfied wait by `waiter`.
    virtual void satisfy(ps::Thread& waiter) { (void)waiter; }

    // The waits now blocked on this object, oldest first (the Wait module keeps it).
    std::list<WaitBlock*>& waiters() { return waiters_; }

private:
    std::list<WaitBlock*> waiters_;
};

}  // namespace ntoy::ke
