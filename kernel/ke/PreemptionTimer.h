// Time slicing without a cost on the hot path: a host thread that, when the thread on a
// processor has run a whole quantum, asks the processor to stop (hal::Processor::preempt).
// The guest's code runs untouched in between; nothing counts instructions.
//
// Starting a quantum costs an uncontended lock and a clock read, not a wake-up: the timer
// sleeps to the deadline of the quantum it last saw and, when it finds a newer one there,
// sleeps on to that one's. Only a timer that found nothing running sleeps until told, so a
// thread switch wakes it at most once a quantum.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>
#include <thread>

#include "kernel/hal/Machine.h"

namespace ntoy::ke {

class PreemptionTimer {
public:
    explicit PreemptionTimer(std::chrono::microseconds quantum);
    ~PreemptionTimer();
    PreemptionTimer(const PreemptionTimer&) = delete;
    PreemptionTimer& operator=(const PreemptionTimer&) = delete;

    // A quantum starts on `cpu` (null: nothing runs). The processor must outlive the quantum:
    // the kernel says null before it ends a processor.
    void start(hal::Processor* cpu);
    std::uint64_t preemptions() const;

private:
    using Clock = std::chrono::steady_clock;
    void loop(std::stop_token stop);

    const std::chrono::microseconds quantum_;
    mutable std::mutex mutex_;
    std::condition_variable_any changed_;
    hal::Processor* cpu_ = nullptr;
    std::uint64_t generation_ = 0;
    Clock::time_point started_;
    bool idle_ = true;  // the timer waits to be told, not for a deadline
    std::uint64_t preemptions_ = 0;
    std::jthread thread_;  // last: it starts once everything above exists
};

}  // namespace ntoy::ke
