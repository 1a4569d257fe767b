/* Processes: the current one (its pseudo-handle, its ids, its end) and others by handle
 * (OpenProcess, TerminateProcess, their exit codes, ids and handle counts). */
#include "kernel32_private.h"

/* DLLs are detached (DLL_PROCESS_DETACH) before the process ends, as on Windows. */
VOID ExitProcess(UINT uExitCode) {
    RtlExitUserProcess((NTSTATUS)uExitCode);
}

HANDLE GetCurrentProcess(VOID) {
    return NtCurrentProcess();
}

/* The TEB's CLIENT_ID holds the process id, then the thread id. */
DWORD GetCurrentProcessId(VOID) {
    return (DWORD)(ULONG_PTR)NTOY_FIELD(ntoy_current_teb(), NTOY_TEB_CLIENT_ID, HANDLE);
}

DWORD GetCurrentThreadId(VOID) {
    return (DWORD)(ULONG_PTR)NTOY_FIELD(ntoy_current_teb(), NTOY_TEB_CLIENT_ID + sizeof(HANDLE),
                                        HANDLE);
}

static BOOL succeeded(NTSTATUS status) {
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    return TRUE;
}

static NTSTATUS query_process(HANDLE process, PROCESS_BASIC_INFORMATION* information) {
    return NtQueryInformationProcess(process, ProcessBasicInformation, information,
                                     sizeof(*information), NULL);
}

HANDLE OpenProcess(DWORD dwDesiredAccess, BOOL bInheritHandle, DWORD dwProcessId) {
    OBJECT_ATTRIBUTES object = {sizeof(object), NULL, NULL, bInheritHandle ? OBJ_INHERIT : 0,
                                NULL,           NULL};
    CLIENT_ID client = {(HANDLE)(ULONG_PTR)dwProcessId, NULL};
    HANDLE process = NULL;
    if (!succeeded(NtOpenProcess(&process, dwDesiredAccess, &object, &client))) {
        return NULL;
    }
    return process;
}

/* Windows refuses a NULL handle here itself: to the kernel it would mean "every other
 * thread of this process". */
BOOL TerminateProcess(HANDLE hProcess, UINT uExitCode) {
    if (hProcess == NULL) {
        RtlSetLastWin32Error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    return succeeded(NtTerminateProcess(hProcess, (NTSTATUS)uExitCode));
}

/* STILL_ACTIVE (STATUS_PENDING) while the process runs. */
BOOL GetExitCodeProcess(HANDLE hProcess, LPDWORD lpExitCode) {
    PROCESS_BASIC_INFORMATION information;
    if (!succeeded(query_process(hProcess, &information))) {
        return FALSE;
    }
    *lpExitCode = (DWORD)information.ExitStatus;
    return TRUE;
}

DWORD GetProcessId(HANDLE Process) {
    PROCESS_BASIC_INFORMATION information;
    if (!succeeded(query_process(Process, &information))) {
        return 0;
    }
    return (DWORD)information.UniqueProcessId;
}

/* psapi's GetProcessMemoryInfo (PSAPI_VERSION 2). A buffer too small for
 * PROCESS_MEMORY_COUNTERS is ERROR_INSUFFICIENT_BUFFER; one that holds the _EX form gets
 * PrivateUsage too. */
BOOL K32GetProcessMemoryInfo(HANDLE Process, PPROCESS_MEMORY_COUNTERS ppsmemCounters, DWORD cb) {
    if (cb < sizeof(PROCESS_MEMORY_COUNTERS)) {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return FALSE;
    }
    VM_COUNTERS_EX vm;
    if (!succeeded(NtQueryInformationProcess(Process, ProcessVmCounters, &vm, sizeof(vm), NULL))) {
        return FALSE;
    }
    PROCESS_MEMORY_COUNTERS counters = {sizeof(counters),
                                        vm.PageFaultCount,
                                        vm.PeakWorkingSetSize,
                                        vm.WorkingSetSize,
                                        vm.QuotaPeakPagedPoolUsage,
                                        vm.QuotaPagedPoolUsage,
                                        vm.QuotaPeakNonPagedPoolUsage,
                                        vm.QuotaNonPagedPoolUsage,
                                        vm.PagefileUsage,
                                        vm.PeakPagefileUsage};
    if (cb >= sizeof(PROCESS_MEMORY_COUNTERS_EX)) {
        counters.cb = sizeof(PROCESS_MEMORY_COUNTERS_EX);
        ((PROCESS_MEMORY_COUNTERS_EX*)ppsmemCounters)->PrivateUsage = vm.PrivateUsage;
    }
    *ppsmemCounters = counters;
    return TRUE;
}

BOOL GetProcessHandleCount(HANDLE hProcess, PDWORD pdwHandleCount) {
    ULONG count = 0;
    if (!succeeded(
            NtQueryInformationProcess(hProcess, ProcessHandleCount, &count, sizeof(count), NULL))) {
        return FALSE;
    }
    *pdwHandleCount = count;
    return TRUE;
}
