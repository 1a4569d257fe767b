/* Events, mutexes, semaphores, waits and sleeps over the kernel's dispatcher objects, with
 * Windows' rules (kernelbase): a wait's NTSTATUS is its result (WAIT_OBJECT_0 + i,
 * WAIT_ABANDONED_0 + i, WAIT_IO_COMPLETION for STATUS_USER_APC, WAIT_TIMEOUT), a failure is
 * WAIT_FAILED with the last error set, and an alertable wait that was merely alerted
 * (STATUS_ALERTED, NtAlertThread) waits again.
 *
 * ntoy has no object namespace yet: a name given to CreateEvent, CreateMutex or
 * CreateSemaphore fails with ERROR_NOT_SUPPORTED rather than create an unnamed object that
 * other processes could not find. A successful Create* sets the last error to 0, as on
 * Windows (which sets ERROR_ALREADY_EXISTS when a named object existed). */
#include "kernel32_private.h"

/* Whether a Create* call can go on with NAME; sets the last error when it cannot. */
static BOOL unnamed(const void* name) {
    if (name != NULL) {
        RtlSetLastWin32Error(ERROR_NOT_SUPPORTED);
        return FALSE;
    }
    return TRUE;
}

/* The handle a Create* call returns: HANDLE after STATUS, or NULL with the last error. */
static HANDLE created(NTSTATUS status, HANDLE handle) {
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return NULL;
    }
    RtlSetLastWin32Error(ERROR_SUCCESS);
    return handle;
}

static BOOL succeeded(NTSTATUS status) {
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    return TRUE;
}

/* ---- Events ------------------------------------------------------------------------------ */

HANDLE CreateEventExW(LPSECURITY_ATTRIBUTES lpEventAttributes, LPCWSTR lpName, DWORD dwFlags,
                      DWORD dwDesiredAccess) {
    if (!unnamed(lpName)) {
        return NULL;
    }
    OBJECT_ATTRIBUTES object;
    HANDLE handle = NULL;
    NTSTATUS status = NtCreateEvent(
        &handle, dwDesiredAccess, format_object_attributes(&object, lpEventAttributes),
        (dwFlags & CREATE_EVENT_MANUAL_RESET) != 0 ? NotificationEvent : SynchronizationEvent,
        (dwFlags & CREATE_EVENT_INITIAL_SET) != 0);
    return created(status, handle);
}

HANDLE CreateEventExA(LPSECURITY_ATTRIBUTES lpEventAttributes, LPCSTR lpName, DWORD dwFlags,
                      DWORD dwDesiredAccess) {
    if (!unnamed(lpName)) {
        return NULL;
    }
    return CreateEventExW(lpEventAttributes, NULL, dwFlags, dwDesiredAccess);
}

HANDLE CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL bInitialState,
                    LPCWSTR lpName) {
    DWORD flags = (bManualReset ? CREATE_EVENT_MANUAL_RESET : 0) |
                  (bInitialState ? CREATE_EVENT_INITIAL_SET : 0);
    return CreateEventExW(lpEventAttributes, lpName, flags, EVENT_ALL_ACCESS);
}

HANDLE CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL bInitialState,
                    LPCSTR lpName) {
    if (!unnamed(lpName)) {
        return NULL;
    }
    return CreateEventW(lpEventAttributes, bManualReset, bInitialState, NULL);
}

BOOL SetEvent(HANDLE hEvent) {
    return succeeded(NtSetEvent(hEvent, NULL));
}

BOOL ResetEvent(HANDLE hEvent) {
    return succeeded(NtResetEvent(hEvent, NULL));
}

BOOL PulseEvent(HANDLE hEvent) {
    return succeeded(NtPulseEvent(hEvent, NULL));
}

/* ---- Mutexes ----------------------------------------------------------------------------- */

HANDLE CreateMutexExW(LPSECURITY_ATTRIBUTES lpMutexAttributes, LPCWSTR lpName, DWORD dwFlags,
                      DWORD dwDesiredAccess) {
    if (!unnamed(lpName)) {
        return NULL;
    }
    OBJECT_ATTRIBUTES object;
    HANDLE handle = NULL;
    NTSTATUS status = NtCreateMutant(&handle, dwDesiredAccess,
                                     format_object_attributes(&object, lpMutexAttributes),
                                     (dwFlags & CREATE_MUTEX_INITIAL_OWNER) != 0);
    return created(status, handle);
}

HANDLE CreateMutexExA(LPSECURITY_ATTRIBUTES lpMutexAttributes, LPCSTR lpName, DWORD dwFlags,
                      DWORD dwDesiredAccess) {
    if (!unnamed(lpName)) {
        return NULL;
    }
    return CreateMutexExW(lpMutexAttributes, NULL, dwFlags, dwDesiredAccess);
}

HANDLE CreateMutexW(LPSECURITY_ATTRIBUTES lpMutexAttributes, BOOL bInitialOwner, LPCWSTR lpName) {
    return CreateMutexExW(lpMutexAttributes, lpName, bInitialOwner ? CREATE_MUTEX_INITIAL_OWNER : 0,
                          MUTANT_ALL_ACCESS);
}

HANDLE CreateMutexA(LPSECURITY_ATTRIBUTES lpMutexAttributes, BOOL bInitialOwner, LPCSTR lpName) {
    if (!unnamed(lpName)) {
        return NULL;
    }
    return CreateMutexW(lpMutexAttributes, bInitialOwner, NULL);
}

/* A thread that does not own the mutex gets ERROR_NOT_OWNER (STATUS_MUTANT_NOT_OWNED). */
BOOL ReleaseMutex(HANDLE hMutex) {
    return succeeded(NtReleaseMutant(hMutex, NULL));
}

/* ---- Semaphores -------------------------------------------------------------------------- */

HANDLE CreateSemaphoreExW(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount,
                          LONG lMaximumCount, LPCWSTR lpName, DWORD dwFlags,
                          DWORD dwDesiredAccess) {
    (void)dwFlags; /* reserved: Windows requires 0 and ignores it */
    if (!unnamed(lpName)) {
        return NULL;
    }
    OBJECT_ATTRIBUTES object;
    HANDLE handle = NULL;
    NTSTATUS status = NtCreateSemaphore(&handle, dwDesiredAccess,
                                        format_object_attributes(&object, lpSemaphoreAttributes),
                                        lInitialCount, lMaximumCount);
    return created(status, handle);
}

HANDLE CreateSemaphoreExA(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount,
                          LONG lMaximumCount, LPCSTR lpName, DWORD dwFlags, DWORD dwDesiredAccess) {
    if (!unnamed(lpName)) {
        return NULL;
    }
    return CreateSemaphoreExW(lpSemaphoreAttributes, lInitialCount, lMaximumCount, NULL, dwFlags,
                              dwDesiredAccess);
}

HANDLE CreateSemaphoreW(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount,
                        LONG lMaximumCount, LPCWSTR lpName) {
    return CreateSemaphoreExW(lpSemaphoreAttributes, lInitialCount, lMaximumCount, lpName, 0,
                              SEMAPHORE_ALL_ACCESS);
}

HANDLE CreateSemaphoreA(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount,
                        LONG lMaximumCount, LPCSTR lpName) {
    if (!unnamed(lpName)) {
        return NULL;
    }
    return CreateSemaphoreW(lpSemaphoreAttributes, lInitialCount, lMaximumCount, NULL);
}

/* Beyond the maximum count: ERROR_TOO_MANY_POSTS (STATUS_SEMAPHORE_LIMIT_EXCEEDED). */
BOOL ReleaseSemaphore(HANDLE hSemaphore, LONG lReleaseCount, LPLONG lpPreviousCount) {
    return succeeded(NtReleaseSemaphore(hSemaphore, lReleaseCount, lpPreviousCount));
}

/* ---- Waits ------------------------------------------------------------------------------- */

/* A wait's status as its result; a failure as WAIT_FAILED. */
static DWORD wait_result(NTSTATUS status) {
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return WAIT_FAILED;
    }
    return (DWORD)status;
}

DWORD WaitForSingleObjectEx(HANDLE hHandle, DWORD dwMilliseconds, BOOL bAlertable) {
    HANDLE handle = translate_std_handle(hHandle);
    LARGE_INTEGER timeout;
    NTSTATUS status;
    do {
        status = NtWaitForSingleObject(handle, (BOOLEAN)(bAlertable != 0),
                                       format_timeout(&timeout, dwMilliseconds));
    } while (bAlertable && status == STATUS_ALERTED);
    return wait_result(status);
}

DWORD WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds) {
    return WaitForSingleObjectEx(hHandle, dwMilliseconds, FALSE);
}

DWORD WaitForMultipleObjectsEx(DWORD nCount, const HANDLE* lpHandles, BOOL bWaitAll,
                               DWORD dwMilliseconds, BOOL bAlertable) {
    if (nCount == 0 || nCount > MAXIMUM_WAIT_OBJECTS) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return WAIT_FAILED;
    }
    HANDLE handles[MAXIMUM_WAIT_OBJECTS];
    for (DWORD i = 0; i < nCount; ++i) {
        handles[i] = translate_std_handle(lpHandles[i]);
    }
    LARGE_INTEGER timeout;
    NTSTATUS status;
    do {
        status = NtWaitForMultipleObjects(nCount, handles, bWaitAll ? WaitAll : WaitAny,
                                          (BOOLEAN)(bAlertable != 0),
                                          format_timeout(&timeout, dwMilliseconds));
    } while (bAlertable && status == STATUS_ALERTED);
    return wait_result(status);
}

DWORD WaitForMultipleObjects(DWORD nCount, const HANDLE* lpHandles, BOOL bWaitAll,
                             DWORD dwMilliseconds) {
    return WaitForMultipleObjectsEx(nCount, lpHandles, bWaitAll, dwMilliseconds, FALSE);
}

/* The signal happens once: a wait that was alerted waits again with nothing to signal. */
DWORD SignalObjectAndWait(HANDLE hObjectToSignal, HANDLE hObjectToWaitOn, DWORD dwMilliseconds,
                          BOOL bAlertable) {
    HANDLE wait_on = translate_std_handle(hObjectToWaitOn);
    LARGE_INTEGER timeout;
    NTSTATUS status = NtSignalAndWaitForSingleObject(translate_std_handle(hObjectToSignal), wait_on,
                                                     (BOOLEAN)(bAlertable != 0),
                                                     format_timeout(&timeout, dwMilliseconds));
    while (bAlertable && status == STATUS_ALERTED) {
        status = NtWaitForSingleObject(wait_on, TRUE, format_timeout(&timeout, dwMilliseconds));
    }
    return wait_result(status);
}

/* ---- Sleeping ---------------------------------------------------------------------------- */

/* INFINITE sleeps for the longest relative time there is, as on Windows. Returns 0, or
 * WAIT_IO_COMPLETION when an alertable sleep ended to run user APCs. */
DWORD SleepEx(DWORD dwMilliseconds, BOOL bAlertable) {
    LARGE_INTEGER interval;
    if (format_timeout(&interval, dwMilliseconds) == NULL) {
        interval.QuadPart = (LONGLONG)0x8000000000000000ULL;
    }
    NTSTATUS status;
    do {
        status = NtDelayExecution((BOOLEAN)(bAlertable != 0), &interval);
    } while (bAlertable && status == STATUS_ALERTED);
    return status == STATUS_USER_APC ? WAIT_IO_COMPLETION : 0;
}

VOID Sleep(DWORD dwMilliseconds) {
    SleepEx(dwMilliseconds, FALSE);
}

/* TRUE when another thread ran. */
BOOL SwitchToThread(VOID) {
    return NtYieldExecution() != STATUS_NO_YIELD_PERFORMED;
}
