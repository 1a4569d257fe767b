// What the debugger listens for while the guest runs. On an event it breaks on (`break-on
// fault|syscall|exception`) it writes the report printed at the stop and asks the kernel to
// pause: the CPU stops once the trap is handled, before the guest runs again.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "emulator/debugger/Disassembler.h"
#include "kernel/Kernel.h"

namespace ntoy::dbg {

struct BreakOn {
    bool fault = true;
    bool syscall = false;
    bool exception = false;
    bool hardFault = false;   // only the faults that read from the paging file
    bool trim = false;        // pages leaving a working set
    bool tableFault = false;  // only nested faults: the page's table was paged out
};

class StopObserver final : public ke::KernelObserver {
public:
    StopObserver(Kernel& kernel, const Disassembler& disassembler)
        : kernel_(kernel), disassembler_(disassembler) {}

    BreakOn breakOn;
    // While single-stepping every fault is reported, whatever breakOn says: a step that
    // faults does not complete, and the report says why.
    bool stepping = false;
    // Ctrl-C's check, if the session has one: every process the guest starts gets it too, so
    // that Ctrl-C stops whichever process runs.
    hal::DebugTarget::PauseCheck* interrupts = nullptr;

    // Whether the kernel must hold an exception nobody handled, for the debugger to stop
    // before the process ends: whenever the debugger stops on exceptions.
    bool holdsUnhandled() const { return breakOn.exception || stepping; }
    // An unhandled exception is held: resuming in any way ends the process.
    bool unhandledHeld() const { return unhandledHeld_; }

    // The reports of the events since the last call, oldest first.
    std::vector<std::string> takeReports() { return std::exchange(reports_, {}); }
    bool hasReports() const { return !reports_.empty(); }

    void processStart(const ps::Process& process) override;
    void pageFault(const ke::PageFaultEvent& e) override;
    void systemCall(const ke::SystemCallEvent& e) override;
    void exception(const ke::ExceptionEvent& e) override;
    void trim(ke::EventOrigin origin, const ps::Process& owner, const mm::TrimEvent& e) override;

private:
    void stopWith(std::string report);

    Kernel& kernel_;
    const Disassembler& disassembler_;
    std::vector<std::string> reports_;
    bool unhandledHeld_ = false;
};

}  // namespace ntoy::dbg
