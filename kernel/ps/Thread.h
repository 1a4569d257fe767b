// A thread: a dispatcher object (signalled when it ends) with its own user environment (TEB,
// stack, guard page), its own kernel stack, its saved processor context while it does not
// run, and its own wait and exception state.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include "kernel/base/NtStatus.h"
#include "kernel/base/Types.h"
#include "kernel/hal/Machine.h"
#include "kernel/ke/Apc.h"
#include "kernel/ke/Dispatcher.h"
#include "kernel/ke/Wait.h"

namespace ntoy::ke {
class Mutant;
}

namespace ntoy::ps {

class Process;

class Thread final : public ke::DispatcherObject {
public:
    static constexpr ob::ObjectType kObjectType = ob::ObjectType::Thread;
    enum class State : std::uint8_t { Initialized, Ready, Running, Waiting, Terminated };

    Thread(std::uint32_t id, std::shared_ptr<Process> process)
        : ke::DispatcherObject(ob::ObjectType::Thread), id_(id), process_(std::move(process)) {}

    std::uint32_t id() const { return id_; }
    Process& process() const { return *process_; }
    const std::shared_ptr<Process>& processRef() const { return process_; }

    State state = State::Initialized;
    std::uint32_t suspendCount = 0;
    std::optional<std::uint32_t> exitStatus;  // set once it has ended

    // Its user environment: TEB and stack (ProcessEnvironment.h), and its kernel stack.
    VirtualAddress teb;
    VirtualAddress stackAllocation, stackBase, stackLimit;
    VirtualAddress kernelStack;  // the base of its slot in the kernel window

    // Its registers while it is not on its processor.
    std::unique_ptr<hal::SavedContext> context;
    // What RAX holds when it next runs: the status its wait ended with.
    std::optional<std::uint64_t> resumeRax;

    // Its waits (ke/Wait.h).
    ke::ThreadWait wait;
    // The mutants it owns, the most recently acquired first: abandoned when it ends.
    std::list<std::shared_ptr<ke::Mutant>> ownedMutants;
    // User APCs queued to it, oldest first; an alertable wait ends with STATUS_USER_APC
    // while any is queued.
    std::deque<ke::UserApc> userApcs;
    // Alerted (NtAlertThread) while not in an alertable wait: its next one ends at once with
    // STATUS_ALERTED.
    bool alerted = false;

    // A driver routine this thread runs at CPL0 in its own context (a dispatch routine for an
    // IRP its system call made; Kernel::callInThread): asked for in the trap, entered and
    // left between runs. A system thread runs one from its start.
    struct RingZeroCall {
        VirtualAddress routine;
        std::uint64_t a = 0, b = 0;
        std::uint64_t returnRip = 0, returnFlags = 0;  // the system call's, as SYSRET takes them
        // Turns what the routine returned into the system call's status, once it has.
        std::function<std::uint64_t(std::uint64_t)> done;
        bool entered = false, ended = false;
        std::uint64_t result = 0;
        // An interruption (a DPC), not a system call's request: the thread's registers come
        // back exactly as they were, RAX too.
        bool interrupt = false;
        std::uint8_t irql = 0;  // CR8 while it runs
    };
    std::optional<RingZeroCall> ringZero;
    // The driver routine a system thread was started for: whose output its DbgPrint is
    // when the call's return address does not say (a tail call from the driver).
    VirtualAddress systemRoutine;
    // A driver's own thread (PsCreateSystemThread): the machine does not wait for it to end
    // before the drivers unload, and it may outlive its driver.
    bool driverThread = false;
    // Its user-mode registers while it runs one.
    std::unique_ptr<hal::SavedContext> userContext;

    bool signaledFor(const Thread&) const override { return state == State::Terminated; }

private:
    std::uint32_t id_;
    std::shared_ptr<Process> process_;
};

}  // namespace ntoy::ps
