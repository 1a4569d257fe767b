// The signals a stop reply names, in gdb's own numbering (which the remote protocol uses
// and which matches Linux for these), and the one that stands for each Windows exception.
#pragma once

#include <cstdint>

namespace ntoy::gdb {

enum class Signal : std::uint8_t {
    Int = 2,    // gdb's Ctrl-C
    Ill = 4,    // illegal or privileged instruction
    Trap = 5,   // breakpoint, step, watchpoint, the initial stop
    Abrt = 6,   // a software exception (RaiseException) nobody handled
    Fpe = 8,    // integer or floating-point arithmetic
    Kill = 9,   // the debugger ended the process
    Bus = 10,   // misaligned data
    Segv = 11,  // access violation, guard page, stack overflow
};

// What a Unix debugger calls the exception `code` (an NTSTATUS).
Signal signalForException(std::uint32_t code);

}  // namespace ntoy::gdb
