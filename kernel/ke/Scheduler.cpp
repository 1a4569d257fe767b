#include "kernel/ke/Scheduler.h"

#include <algorithm>

namespace ntoy::ke {

void Scheduler::ready(ps::Thread& thread) {
    thread.state = ps::Thread::State::Ready;
    if (thread.suspendCount == 0 && std::ranges::find(queue_, &thread) == queue_.end())
        queue_.push_back(&thread);
}

void Scheduler::readyFirst(ps::Thread& thread) {
    remove(thread);
    thread.state = ps::Thread::State::Ready;
    if (thread.suspendCount == 0)
        queue_.push_front(&thread);
}

void Scheduler::remove(ps::Thread& thread) {
    std::erase(queue_, &thread);
}

ps::Thread* Scheduler::next() {
    if (queue_.empty())
        return nullptr;
    ps::Thread* thread = queue_.front();
    queue_.pop_front();
    return thread;
}

}  // namespace ntoy::ke
