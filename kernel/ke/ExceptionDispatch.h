// Exceptions, from the CPU or from NtRaiseException, on their way to user mode: first chance
// through ntdll!KiUserExceptionDispatcher, and if nobody handles them, the end of the
// process with the exception code as its exit status and one line on stderr.
#pragma once

#include <optional>
#include <span>

#include "kernel/ke/Context.h"
#include "kernel/ke/KernelObserver.h"
#include "kernel/ps/Process.h"

namespace ntoy::ke {

class ExceptionDispatcher {
public:
    // Told about every exception on its way (the tracer and debugger listen here).
    KernelObserver* observer = nullptr;
    // Set by a debugger (the gdb stub): an unhandled exception then stops the guest, back in
    // the context the exception was raised in, after the observer has heard of it; the
    // process ends when it is next resumed (endHeld). Otherwise it ends at once.
    bool stopBeforeUnhandledExit = false;

    // First chance: builds CONTEXT and EXCEPTION_RECORD on the user stack and enters the
    // dispatcher; ends the process if there is none or the stack cannot take the frame.
    void dispatch(ps::Process& process, hal::Cpu& cpu, const ExceptionRecord& record,
                  const Context& context);
    // No handler took it: end the process (or hold it, as above).
    void unhandled(ps::Process& process, hal::Cpu& cpu, const ExceptionRecord& record,
                   const Context& context);
    // Ends `process` if an unhandled exception holds it stopped; true if it did.
    bool endHeld(ps::Process& process);
    // __fastfail: the process ends with the record's code at once; no handler runs.
    void failFast(ps::Process& process, const ExceptionRecord& record);

private:
    void end(ps::Process& process, const ExceptionRecord& record);
    // Whether `rsp` lies in the current thread's stack, as its TEB describes it.
    static bool onThreadStack(ps::Process& process, std::uint64_t rsp);

    struct Held {
        std::uint32_t processId;
        ExceptionRecord record;
    };
    std::optional<Held> held_;
};

// A record for a CPU fault at `rip`, with the access-violation parameters if any.
ExceptionRecord makeRecord(NtStatus code, std::uint64_t rip,
                           std::span<const std::uint64_t> info = {});

// "ntoy: unhandled exception 0xc0000005 (STATUS_ACCESS_VIOLATION) at rip 0x140001010: read of
// address 0xffff800000001000"
std::string describeUnhandled(const ExceptionRecord& record);

}  // namespace ntoy::ke
