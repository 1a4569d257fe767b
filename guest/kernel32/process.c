/* The current process: its pseudo-handle, its ids and its end. */
#include "kernel32_private.h"

VOID ExitProcess(UINT uExitCode) {
    /* Terminating ourselves does not return; loop rather than run on if it did. */
    for (;;) {
        NtTerminateProcess(NtCurrentProcess(), (NTSTATUS)uExitCode);
    }
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
