/* The kernel32 side of SRW locks, condition variables and one-time initialisation: the
 * functions that turn ntdll's statuses into BOOL results and last errors, and milliseconds
 * into NT timeouts. The others are forwarders to ntdll (kernel32.def), as on Windows. */
#include "kernel32_private.h"

#include "ntoy/slim_sync.h"

BOOL SleepConditionVariableSRW(PCONDITION_VARIABLE ConditionVariable, PSRWLOCK SRWLock,
                               DWORD dwMilliseconds, ULONG Flags) {
    LARGE_INTEGER timeout;
    NTSTATUS status = RtlSleepConditionVariableSRW(ConditionVariable, SRWLock,
                                                   format_timeout(&timeout, dwMilliseconds), Flags);
    if (status == STATUS_TIMEOUT) {
        SetLastError(ERROR_TIMEOUT);
        return FALSE;
    }
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    return TRUE;
}

BOOL SleepConditionVariableCS(PCONDITION_VARIABLE ConditionVariable,
                              PCRITICAL_SECTION CriticalSection, DWORD dwMilliseconds) {
    LARGE_INTEGER timeout;
    NTSTATUS status = RtlSleepConditionVariableCS(ConditionVariable, CriticalSection,
                                                  format_timeout(&timeout, dwMilliseconds));
    if (status == STATUS_TIMEOUT) {
        SetLastError(ERROR_TIMEOUT);
        return FALSE;
    }
    return TRUE;
}

BOOL InitOnceExecuteOnce(PINIT_ONCE InitOnce, PINIT_ONCE_FN InitFn, PVOID Parameter,
                         LPVOID* Context) {
    return NT_SUCCESS(
        RtlRunOnceExecuteOnce(InitOnce, (PRTL_RUN_ONCE_INIT_FN)InitFn, Parameter, Context));
}

BOOL InitOnceBeginInitialize(LPINIT_ONCE lpInitOnce, DWORD dwFlags, PBOOL fPending,
                             LPVOID* lpContext) {
    NTSTATUS status = RtlRunOnceBeginInitialize(lpInitOnce, dwFlags, lpContext);
    if (status == STATUS_PENDING) {
        *fPending = TRUE;
        return TRUE;
    }
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    *fPending = FALSE;
    return TRUE;
}

BOOL InitOnceComplete(LPINIT_ONCE lpInitOnce, DWORD dwFlags, LPVOID lpContext) {
    NTSTATUS status = RtlRunOnceComplete(lpInitOnce, dwFlags, lpContext);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    return TRUE;
}
