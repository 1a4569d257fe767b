// NtTerminateProcess.
#include "kernel/ke/SystemCall.h"

namespace ntoy::ke {

NtStatus NtTerminateProcess(SystemCall& call) {
    const std::uint64_t handle = call.arg(0);
    const auto status = static_cast<std::uint32_t>(call.arg(1));
    // NULL ends every thread but the caller; a process with one thread has nothing to do.
    if (handle == 0)
        return NtStatus::Success;
    if (!call.process.isCurrentProcessHandle(handle))
        return NtStatus::InvalidHandle;
    call.process.terminate(status);
    return NtStatus::Success;
}

}  // namespace ntoy::ke
