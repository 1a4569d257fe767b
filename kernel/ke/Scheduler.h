// The ready queue: threads of every process that can run, in round-robin order. A thread is
// in it exactly when it is Ready and not suspended; the kernel's run loop takes the front one
// for a quantum and puts a preempted thread at the back.
#pragma once

#include <cstddef>
#include <deque>

#include "kernel/ps/Thread.h"

namespace ntoy::ke {

class Scheduler {
public:
    // The thread can run: Ready, and queued unless it is suspended.
    void ready(ps::Thread& thread);
    // The same, at the front: it runs next (a thread a debugger stopped).
    void readyFirst(ps::Thread& thread);
    // Out of the queue (it blocks, is suspended or ends); its state is the caller's.
    void remove(ps::Thread& thread);
    // The next thread to run, out of the queue; null if none is ready.
    ps::Thread* next();
    bool empty() const { return queue_.empty(); }
    std::size_t size() const { return queue_.size(); }

private:
    std::deque<ps::Thread*> queue_;
};

}  // namespace ntoy::ke
