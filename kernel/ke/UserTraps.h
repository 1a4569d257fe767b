// What a CPU exception taken in user mode (CPL3) becomes, as 64-bit Windows decides it: the
// NTSTATUS raised, its parameters and address, or a system call, or the end of the process.
// Page faults go to the memory manager first and are not classified here.
//
// INT n from user mode reaches only the gates Windows gives DPL3: 3 (breakpoint), 0x29
// (__fastfail), 0x2C (assertion), 0x2D (debug service) and 0x2E (the alternative system-call
// gate). Every other vector has a DPL0 gate, so the CPU raises #GP instead: an access
// violation whose address is unknown (-1), at the INT instruction.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "kernel/base/NtStatus.h"
#include "kernel/hal/Cpu.h"

namespace ntoy::ke {

struct UserTrap {
    enum class Action : std::uint8_t {
        Raise,       // dispatch `code` to the process's handlers
        SystemCall,  // INT 0x2E: a system call; RIP is already past it
        FailFast,    // __fastfail: end the process with `code`, no handler runs
    };
    Action action = Action::Raise;
    NtStatus code = NtStatus::Success;
    std::vector<std::uint64_t> parameters;
    std::uint64_t address = 0;  // ExceptionAddress, and where the CONTEXT's RIP points
};

// Reads up to out.size() bytes of user code at `va` without faulting anything in; returns
// how many it read.
using CodeReader = std::function<std::size_t(std::uint64_t va, std::span<std::uint8_t> out)>;

// `cpu` is the interrupted user context (RIP as the CPU left it: at a faulting instruction,
// past a trapping one).
UserTrap classifyUserTrap(const hal::CpuException& e, hal::Cpu& cpu, const CodeReader& code);

// The x87 exception Windows reports for status word `fsw` and control word `fcw`, and the
// SIMD one for MXCSR `mxcsr`: the first unmasked exception flag, in Windows' order.
NtStatus x87ExceptionCode(std::uint16_t fsw, std::uint16_t fcw);
NtStatus simdExceptionCode(std::uint32_t mxcsr);

// Whether the instruction in `code` is IDIV whose divisor is -1, given the registers: #DE
// is then the quotient overflowing (INT_MIN / -1), which Windows reports as
// STATUS_INTEGER_OVERFLOW rather than STATUS_INTEGER_DIVIDE_BY_ZERO.
bool isSignedDivideOverflow(std::span<const std::uint8_t> code, hal::Cpu& cpu,
                            const CodeReader& memory);

}  // namespace ntoy::ke
