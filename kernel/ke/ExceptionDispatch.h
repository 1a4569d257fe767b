// Exceptions, from the CPU or from NtRaiseException, on their way to user mode: first chance
// through ntdll!KiUserExceptionDispatcher, and if nobody handles them, the end of the
// process with the exception code as its exit status and one line on stderr.
#pragma once

#include "kernel/ke/Context.h"
#include "kernel/ke/KernelObserver.h"
#include "kernel/ps/Process.h"

namespace ntoy::ke {

class ExceptionDispatcher {
public:
    // Told about every exception on its way (the tracer and debugger listen here).
    KernelObserver* observer = nullptr;

    // First chance: builds CONTEXT and EXCEPTION_RECORD on the user stack and enters the
    // dispatcher; ends the process if there is none or the stack cannot take the frame.
    void dispatch(ps::Process& process, hal::Cpu& cpu, const ExceptionRecord& record,
                  const Context& context);
    // No handler took it: end the process.
    void unhandled(ps::Process& process, const ExceptionRecord& record);
};

// A record for a CPU fault at `rip`, with the access-violation parameters if any.
ExceptionRecord makeRecord(NtStatus code, std::uint64_t rip,
                           std::initializer_list<std::uint64_t> info = {});

// "ntoy: unhandled exception 0xc0000005 (STATUS_ACCESS_VIOLATION) at rip 0x140001010: read of
// address 0xffff800000001000"
std::string describeUnhandled(const ExceptionRecord& record);

}  // namespace ntoy::ke
