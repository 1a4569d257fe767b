// The guest's registers as the debugger shows and names them: `regs` prints them in
// WinDbg's `r` layout, and addresses may be written as a register ("rsp", "$rip+8").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "kernel/hal/Cpu.h"

namespace ntoy::dbg {

// "rax" .. "r15", "rip", "rflags"/"efl", with or without a leading '$' (gdb) or '@' (WinDbg).
std::optional<hal::Reg> registerByName(std::string_view name);

// rax=0000000000000000 rbx=... (WinDbg's `r`), then the flags and segment registers.
std::string formatRegisters(hal::Cpu& cpu);

}  // namespace ntoy::dbg
