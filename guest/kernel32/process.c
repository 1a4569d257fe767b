/* The current process: its pseudo-handle, its ids and its end. */
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
