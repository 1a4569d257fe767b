/* Threads: creation, end, suspension, context, ids, user APCs and TLS slots, over the Nt
 * thread calls and ntdll's TLS-slot routines. Failures set the last error from the NTSTATUS. */
#include "kernel32_private.h"

static BOOL succeeded(NTSTATUS status) {
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    return TRUE;
}

static NTSTATUS query_thread(HANDLE thread, THREAD_BASIC_INFORMATION* information) {
    return NtQueryInformationThread(thread, ThreadBasicInformation, information,
                                    sizeof(*information), NULL);
}

/* As Windows: the thread is created suspended, its id read, and then it is let go unless the
 * caller asked for it suspended, so that the call either succeeds whole or leaves nothing
 * running. dwStackSize is the stack's commit, or with STACK_SIZE_PARAM_IS_A_RESERVATION its
 * reserve; 0 takes the executable's. No attribute list can have been built
 * (InitializeProcThreadAttributeList is not there), so one is refused. */
HANDLE CreateRemoteThreadEx(HANDLE hProcess, LPSECURITY_ATTRIBUTES lpThreadAttributes,
                            SIZE_T dwStackSize, LPTHREAD_START_ROUTINE lpStartAddress,
                            LPVOID lpParameter, DWORD dwCreationFlags,
                            LPPROC_THREAD_ATTRIBUTE_LIST lpAttributeList, LPDWORD lpThreadId) {
    if (lpAttributeList != NULL) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    BOOL reserve = (dwCreationFlags & STACK_SIZE_PARAM_IS_A_RESERVATION) != 0;
    OBJECT_ATTRIBUTES object;
    HANDLE thread = NULL;
    NTSTATUS status = NtCreateThreadEx(
        &thread, THREAD_ALL_ACCESS, format_object_attributes(&object, lpThreadAttributes), hProcess,
        (PVOID)lpStartAddress, lpParameter, THREAD_CREATE_FLAGS_CREATE_SUSPENDED, 0,
        reserve ? 0 : dwStackSize, reserve ? dwStackSize : 0, NULL);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return NULL;
    }
    THREAD_BASIC_INFORMATION information;
    status = query_thread(thread, &information);
    if (NT_SUCCESS(status) && (dwCreationFlags & CREATE_SUSPENDED) == 0) {
        status = NtResumeThread(thread, NULL);
    }
    if (!NT_SUCCESS(status)) {
        NtTerminateThread(thread, status);
        NtClose(thread);
        set_last_nt_error(status);
        return NULL;
    }
    if (lpThreadId != NULL) {
        *lpThreadId = (DWORD)(ULONG_PTR)information.ClientId.UniqueThread;
    }
    return thread;
}

HANDLE CreateRemoteThread(HANDLE hProcess, LPSECURITY_ATTRIBUTES lpThreadAttributes,
                          SIZE_T dwStackSize, LPTHREAD_START_ROUTINE lpStartAddress,
                          LPVOID lpParameter, DWORD dwCreationFlags, LPDWORD lpThreadId) {
    return CreateRemoteThreadEx(hProcess, lpThreadAttributes, dwStackSize, lpStartAddress,
                                lpParameter, dwCreationFlags, NULL, lpThreadId);
}

HANDLE CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T dwStackSize,
                    LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter,
                    DWORD dwCreationFlags, LPDWORD lpThreadId) {
    return CreateRemoteThreadEx(NtCurrentProcess(), lpThreadAttributes, dwStackSize, lpStartAddress,
                                lpParameter, dwCreationFlags, NULL, lpThreadId);
}

/* DLL_THREAD_DETACH runs first; the last thread's exit is the process's (ExitProcess). */
VOID ExitThread(DWORD dwExitCode) {
    RtlExitUserThread((NTSTATUS)dwExitCode);
}

/* No DLL hears of it and nothing the thread held is given back, as on Windows. */
BOOL TerminateThread(HANDLE hThread, DWORD dwExitCode) {
    if (hThread == NULL) {
        RtlSetLastWin32Error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    return succeeded(NtTerminateThread(hThread, (NTSTATUS)dwExitCode));
}

/* STILL_ACTIVE (STATUS_PENDING) while the thread runs. */
BOOL GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode) {
    THREAD_BASIC_INFORMATION information;
    if (!succeeded(query_thread(hThread, &information))) {
        return FALSE;
    }
    *lpExitCode = (DWORD)information.ExitStatus;
    return TRUE;
}

HANDLE GetCurrentThread(VOID) {
    return NtCurrentThread();
}

DWORD GetThreadId(HANDLE Thread) {
    THREAD_BASIC_INFORMATION information;
    if (!succeeded(query_thread(Thread, &information))) {
        return 0;
    }
    return (DWORD)(ULONG_PTR)information.ClientId.UniqueThread;
}

/* Both return the previous suspend count, or (DWORD)-1 on failure. */
DWORD SuspendThread(HANDLE hThread) {
    ULONG previous = 0;
    if (!succeeded(NtSuspendThread(hThread, &previous))) {
        return (DWORD)-1;
    }
    return previous;
}

DWORD ResumeThread(HANDLE hThread) {
    ULONG previous = 0;
    if (!succeeded(NtResumeThread(hThread, &previous))) {
        return (DWORD)-1;
    }
    return previous;
}

BOOL GetThreadContext(HANDLE hThread, LPCONTEXT lpContext) {
    return succeeded(NtGetContextThread(hThread, lpContext));
}

BOOL SetThreadContext(HANDLE hThread, const CONTEXT* lpContext) {
    return succeeded(NtSetContextThread(hThread, (PCONTEXT)lpContext));
}

/* The routine runs on the thread the next time it waits alertably; it takes one argument and
 * the kernel passes three (the x64 convention makes the extra two harmless). The cast goes
 * through a function type with no prototype, which gcc accepts between function pointers. */
DWORD QueueUserAPC(PAPCFUNC pfnAPC, HANDLE hThread, ULONG_PTR dwData) {
    PPS_APC_ROUTINE routine = (PPS_APC_ROUTINE)(void (*)(void))pfnAPC;
    return succeeded(NtQueueApcThread(hThread, routine, (PVOID)dwData, NULL, NULL));
}

BOOL DisableThreadLibraryCalls(HMODULE hLibModule) {
    return succeeded(LdrDisableThreadCalloutsForDll(hLibModule));
}

/* ---- TLS slots: ntdll keeps the bitmaps; values live in the TEB, as on Windows ----------- */

DWORD TlsAlloc(VOID) {
    ULONG index = 0;
    if (!NT_SUCCESS(RtlTlsAlloc(&index))) {
        RtlSetLastWin32Error(ERROR_NO_MORE_ITEMS);
        return TLS_OUT_OF_INDEXES;
    }
    return index;
}

BOOL TlsFree(DWORD dwTlsIndex) {
    return succeeded(RtlTlsFree(dwTlsIndex));
}

/* Sets the last error to 0 on success, as Windows does, so that a NULL value and a failure
 * can be told apart. */
LPVOID TlsGetValue(DWORD dwTlsIndex) {
    BYTE* teb = ntoy_current_teb();
    if (dwTlsIndex < NTOY_TLS_MINIMUM_AVAILABLE) {
        RtlSetLastWin32Error(ERROR_SUCCESS);
        return NTOY_FIELD(teb, NTOY_TEB_TLS_SLOTS + dwTlsIndex * sizeof(PVOID), PVOID);
    }
    if (dwTlsIndex >= NTOY_TLS_MINIMUM_AVAILABLE + NTOY_TLS_EXPANSION_SLOTS) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    RtlSetLastWin32Error(ERROR_SUCCESS);
    PVOID* expansion = NTOY_FIELD(teb, NTOY_TEB_TLS_EXPANSION_SLOTS, PVOID*);
    return expansion != NULL ? expansion[dwTlsIndex - NTOY_TLS_MINIMUM_AVAILABLE] : NULL;
}

BOOL TlsSetValue(DWORD dwTlsIndex, LPVOID lpTlsValue) {
    return succeeded(RtlTlsSetValue(dwTlsIndex, lpTlsValue));
}
