// ntoy's own exit statuses, and how a run's outcome maps to one (docs/exit-status.md).
#pragma once

#include "kernel/Kernel.h"

namespace ntoy::cli {

inline constexpr int kExitUsage = 2;     // a usage error, or an image that cannot be loaded
inline constexpr int kExitMachine = 3;   // the host or the emulator could not run the machine
inline constexpr int kExitBugCheck = 4;  // the kernel stopped the machine with a bug check

inline int exitStatusFor(const RunError& error) {
    switch (error.kind) {
        case RunError::Kind::BadImage:
            return kExitUsage;
        case RunError::Kind::Machine:
            return kExitMachine;
        case RunError::Kind::BugCheck:
            return kExitBugCheck;
    }
    return kExitMachine;
}

}  // namespace ntoy::cli
