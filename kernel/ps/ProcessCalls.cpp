// NtTerminateProcess.
#include "kernel/Kernel.h"
#include "kernel/ke/SystemCall.h"
#include "kernel/ob/Access.h"
#include "kernel/ob/ObjectCallSupport.h"

namespace ntoy::ke {

NtStatus NtTerminateProcess(SystemCall& call) {
    const std::uint64_t handle = call.arg(0);
    const auto status = static_cast<std::uint32_t>(call.arg(1));
    // NULL ends every thread but the caller (ntdll's RtlExitUserProcess does this first).
    if (handle == 0) {
        if (call.kernel && call.thread)
            for (const auto& thread : std::vector(call.process.threads()))
                if (thread.get() != call.thread)
                    call.kernel->terminateThread(*thread, status);
        return NtStatus::Success;
    }
    if (call.process.isCurrentProcessHandle(handle)) {
        call.process.terminate(status);
        return NtStatus::Success;
    }
    auto process = ob::referenceForCaller<ps::Process>(call, handle, ob::access::kProcessTerminate);
    if (!process)
        return process.error();
    if ((*process)->ended() || (*process)->terminating())
        return NtStatus::ProcessIsTerminating;
    (*process)->terminate(status);
    return NtStatus::Success;
}

}  // namespace ntoy::ke
