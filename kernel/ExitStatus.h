// The host exit status of a run: ntoy's own statuses, and how a guest's exit maps to one
// (docs/exit-status.md). Shared by every front end: ntoy run, ntoy debug, the gdb stub.
#pragma once

#include "kernel/Kernel.h"

namespace ntoy {

inline constexpr int kExitUsage = 2;     // a usage error, or an image that cannot be loaded
inline constexpr int kExitMachine = 3;   // the host or the emulator could not run the machine
inline constexpr int kExitBugCheck = 4;  // the kernel stopped the machine with a bug check
inline constexpr int kExitDriverFailed = 1;  // a driver's DriverEntry returned an error

inline int exitStatusFor(const RunError& error) {
    switch (error.kind) {
        case RunError::Kind::BadImage:
            return kExitUsage;
        case RunError::Kind::Machine:
            return kExitMachine;
        case RunError::Kind::BugCheck:
            return kExitBugCheck;
        case RunError::Kind::DriverFailed:
            return kExitDriverFailed;
    }
    return kExitMachine;
}

// The guest's exit code modulo 256, as the host keeps it; but a process that an unhandled
// exception ended gets 128 plus the low 7 bits of the exception code, as a shell reports a
// signal (0xC0000005 gives 133, 0x80000003 gives 131): never 0, and never one of ntoy's own.
inline int guestExitStatus(std::uint32_t code, ps::ExitReason reason) {
    if (reason == ps::ExitReason::Exception)
        return 128 | static_cast<int>(code & 0x7F);
    return static_cast<int>(code & 0xFF);
}

}  // namespace ntoy
