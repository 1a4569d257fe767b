/* Where every system thread starts: the kernel starts one at NtoySystemThreadStart to run a
 * driver's DriverEntry (with its DRIVER_OBJECT and registry path) or its unload routine. The
 * thread ends with what the routine returned. */
#include "ntoskrnl_private.h"

typedef ULONG64 (*system_routine)(PVOID a, PVOID b);

__attribute__((noreturn)) void NtoySystemThreadStart(system_routine routine, PVOID a, PVOID b) {
    ULONG64 status = routine(a, b);
    NtoyKsEndSystemThread(status);
    __builtin_unreachable();
}

/* A driver's start routine returns nothing: its thread ends with STATUS_SUCCESS, as Windows'
 * PspSystemThreadStartup ends it. */
static ULONG64 run_start_routine(PVOID routine, PVOID context) {
    ((PKSTART_ROUTINE)routine)(context);
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess,
                                    struct _OBJECT_ATTRIBUTES* ObjectAttributes,
                                    HANDLE ProcessHandle, PCLIENT_ID ClientId,
                                    PKSTART_ROUTINE StartRoutine, PVOID StartContext) {
    (void)DesiredAccess;
    (void)ObjectAttributes;
    if (ProcessHandle != NULL || ThreadHandle == NULL || StartRoutine == NULL)
        return STATUS_INVALID_PARAMETER;
    return (NTSTATUS)NtoyKsCreateSystemThread((ULONG64)run_start_routine, (ULONG64)StartRoutine,
                                              (ULONG64)StartContext, (ULONG64)ThreadHandle,
                                              (ULONG64)ClientId);
}

NTSTATUS NTAPI PsTerminateSystemThread(NTSTATUS ExitStatus) {
    NtoyKsEndSystemThread((ULONG64)(ULONG)ExitStatus);
    __builtin_unreachable();
}

NTSTATUS NTAPI ZwClose(HANDLE Handle) {
    return (NTSTATUS)NtoyKsClose((ULONG64)Handle);
}

NTSTATUS NTAPI KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                                      PLARGE_INTEGER Interval) {
    (void)WaitMode;
    return (NTSTATUS)NtoyKsDelay((ULONG64)Interval->QuadPart, (ULONG64)Alertable);
}
