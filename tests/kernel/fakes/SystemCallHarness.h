// Calls system-call handlers the way the trap layer does: a SystemCall built for the
// process and its calling thread, its arguments set, and the TLB flushed after the handler
// returns (the engine flushes at the end of every kernel entry). The harness has the system's
// waits, with a ready queue that records whom they ready, and a clock set by hand.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <vector>

#include "kernel/ke/SystemCall.h"
#include "kernel/ke/Wait.h"
#include "kernel/ps/Thread.h"

namespace ntoy::test {

// The scheduler as the waits see it: records the threads readied and the yields, and answers
// a yield with `othersReady`.
class RecordingReadyQueue final : public ke::ReadyQueue {
public:
    void ready(ps::Thread& thread) override { readied.push_back(&thread); }
    bool yield(ps::Thread& running) override {
        yielded.push_back(&running);
        return othersReady;
    }
    std::vector<ps::Thread*> readied, yielded;
    bool othersReady = false;
};

class SystemCallHarness {
public:
    explicit SystemCallHarness(ps::Process& process);
    // The thread ends, as the kernel ends one: a wait it is still in (on itself, say) goes.
    ~SystemCallHarness();

    NtStatus call(ke::SystemCallHandler handler, std::initializer_list<std::uint64_t> args);
    NtStatus call(ke::SystemCallHandler handler,
                  const std::array<std::uint64_t, ke::kMaxSystemCallArgs>& args);

    // Whether the last call loaded a whole new register state.
    bool lastReplacedContext() const { return lastReplacedContext_; }
    ke::ExceptionDispatcher& exceptions() { return exceptions_; }

    // The thread the calls come from (Running between calls unless one blocked it), another
    // thread of the process to switch to, and the waits.
    ps::Thread& thread() { return *thread_; }
    const std::shared_ptr<ps::Thread>& threadRef() const { return thread_; }
    void callFrom(std::shared_ptr<ps::Thread> thread) { thread_ = std::move(thread); }
    ke::WaitManager& waits() { return waits_; }
    RecordingReadyQueue& readyQueue() { return readyQueue_; }
    // The clock the next calls see (100 ns units).
    std::uint64_t interruptTime = 10'000'000, systemTime = 133'000'000'000'000'000;

private:
    ps::Process& process_;
    ke::ExceptionDispatcher exceptions_;
    bool lastReplacedContext_ = false;
    RecordingReadyQueue readyQueue_;
    ke::WaitManager waits_{readyQueue_};
    std::shared_ptr<ps::Thread> thread_;
};

}  // namespace ntoy::test
