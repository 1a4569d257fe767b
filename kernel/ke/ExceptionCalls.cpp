// NtContinue and NtRaiseException: how user mode leaves an exception handler.
#include "kernel/ke/SystemCall.h"

namespace ntoy::ke {

NtStatus NtContinue(SystemCall& call) {
    auto context = call.user.read<Context>(call.pointer(0));
    if (!context)
        return context.error();
    restoreContext(call.cpu, *context);
    call.replacesContext = true;
    return NtStatus::Success;
}

NtStatus NtRaiseException(SystemCall& call) {
    auto record = call.user.read<ExceptionRecord>(call.pointer(0));
    if (!record)
        return record.error();
    auto context = call.user.read<Context>(call.pointer(1));
    if (!context)
        return context.error();
    if (record->numberParameters > 15)
        return NtStatus::InvalidParameter;
    const bool firstChance = call.arg(2) != 0;
    call.replacesContext = true;
    if (firstChance)
        call.exceptions.dispatch(call.process, call.cpu, *record, *context);
    else
        call.exceptions.unhandled(call.process, call.cpu, *record, *context);
    return NtStatus::Success;
}

}  // namespace ntoy::ke
