#include "kernel/ke/PreemptionTimer.h"

#include <pthread.h>
#include <signal.h>

#include <utility>

namespace ntoy::ke {
namespace {

// Signals are the main thread's business (the debugger reads SIGINT from a signalfd with it
// blocked there): the timer thread starts with every signal blocked, so none is ever
// delivered to it.
template <typename F>
std::jthread startWithSignalsBlocked(F&& body) {
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &previous);
    std::jthread thread(std::forward<F>(body));
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return thread;
}

}  // namespace

PreemptionTimer::PreemptionTimer(std::chrono::microseconds quantum)
    : quantum_(quantum),
      thread_(startWithSignalsBlocked([this](std::stop_token stop) { loop(stop); })) {}

PreemptionTimer::~PreemptionTimer() {
    thread_.request_stop();
    changed_.notify_all();
}

void PreemptionTimer::start(hal::Processor* cpu) {
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        cpu_ = cpu;
        if (cpu) {
            ++generation_;
            started_ = Clock::now();
            wake = std::exchange(idle_, false);
        }
    }
    if (wake)
        changed_.notify_all();
}

std::uint64_t PreemptionTimer::preemptions() const {
    std::lock_guard lock(mutex_);
    return preemptions_;
}

void PreemptionTimer::loop(std::stop_token stop) {
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
        if (!changed_.wait(lock, stop, [&] { return !idle_; }))
            return;
        std::uint64_t generation = generation_;
        Clock::time_point deadline = started_ + quantum_;
        for (;;) {
            // Nothing wakes this wait but the end: start() does not notify a timer with a
            // deadline. Spurious wake-ups just look again.
            changed_.wait_until(lock, stop, deadline, [] { return false; });
            if (stop.stop_requested())
                return;
            if (!cpu_) {
                idle_ = true;  // between runs: the next start() wakes us
                break;
            }
            if (generation_ != generation) {
                // A newer quantum started since: its own deadline counts.
                generation = generation_;
                deadline = started_ + quantum_;
                continue;
            }
            // The same quantum for a whole period: stop it. A stop that came too early or too
            // late to count (the processor was between runs) is asked again a period later.
            cpu_->preempt();  // under the lock: start(nullptr) waits for it
            ++preemptions_;
            deadline += quantum_;
        }
    }
}

}  // namespace ntoy::ke
