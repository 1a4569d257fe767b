// Stop replies: how the stub tells gdb why the guest stopped (T), that it exited (W), or
// that an exception ended it (X).
#pragma once

#include <cstdint>
#include <string>

#include "emulator/gdb/RegisterFile.h"
#include "emulator/gdb/Signal.h"

namespace ntoy::gdb {

struct StopReason {
    enum class Kind : std::uint8_t {
        None,
        SoftwareBreakpoint,  // swbreak: gdb then trusts the PC as the breakpoint's address
        HardwareBreakpoint,
        Watch,        // a write to a Z2 range
        ReadWatch,    // Z3
        AccessWatch,  // Z4
    };
    Kind kind = Kind::None;
    std::uint64_t address = 0;  // the data address, for the watchpoints
};

// `T` with the signal, the registers gdb needs first (rbp, rsp, rip), the thread and the
// reason.
std::string stopReply(Signal signal, const RegisterFile& regs, std::uint64_t thread,
                      StopReason reason = {});
// `W` with the exit status as the host shell sees it (the low 8 bits).
std::string exitedReply(std::uint32_t status);
// `X` with the signal that stands for the exception that ended the process.
std::string terminatedReply(Signal signal);

}  // namespace ntoy::gdb
