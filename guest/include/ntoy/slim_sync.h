/* ntdll's slim synchronisation (ntdll/slim_sync.c): SRW locks, condition variables and run-once
 * initialisation, with Windows' pointer-sized types and Rtl names. Guest-only. */
#ifndef NTOY_NTDLL_SLIM_SYNC_H
#define NTOY_NTDLL_SLIM_SYNC_H

#include "ntoy/ntdll_exports.h"

typedef struct _RTL_SRWLOCK {
    PVOID Ptr;
} RTL_SRWLOCK, *PRTL_SRWLOCK;
typedef struct _RTL_CONDITION_VARIABLE {
    PVOID Ptr;
} RTL_CONDITION_VARIABLE, *PRTL_CONDITION_VARIABLE;
typedef union _RTL_RUN_ONCE {
    PVOID Ptr;
} RTL_RUN_ONCE, *PRTL_RUN_ONCE;
typedef ULONG (*PRTL_RUN_ONCE_INIT_FN)(PRTL_RUN_ONCE RunOnce, PVOID Parameter, PVOID* Context);

#define RTL_RUN_ONCE_CHECK_ONLY 0x1
#define RTL_RUN_ONCE_ASYNC 0x2
#define RTL_RUN_ONCE_INIT_FAILED 0x4
#define RTL_RUN_ONCE_CTX_RESERVED_BITS 2
#define RTL_CONDITION_VARIABLE_LOCKMODE_SHARED 0x1

VOID RtlInitializeSRWLock(PRTL_SRWLOCK SRWLock);
VOID RtlAcquireSRWLockExclusive(PRTL_SRWLOCK SRWLock);
VOID RtlAcquireSRWLockShared(PRTL_SRWLOCK SRWLock);
VOID RtlReleaseSRWLockExclusive(PRTL_SRWLOCK SRWLock);
VOID RtlReleaseSRWLockShared(PRTL_SRWLOCK SRWLock);
BOOLEAN RtlTryAcquireSRWLockExclusive(PRTL_SRWLOCK SRWLock);
BOOLEAN RtlTryAcquireSRWLockShared(PRTL_SRWLOCK SRWLock);

VOID RtlInitializeConditionVariable(PRTL_CONDITION_VARIABLE ConditionVariable);
VOID RtlWakeConditionVariable(PRTL_CONDITION_VARIABLE ConditionVariable);
VOID RtlWakeAllConditionVariable(PRTL_CONDITION_VARIABLE ConditionVariable);
/* STATUS_SUCCESS when woken (or spuriously), STATUS_TIMEOUT when TIMEOUT passed; the lock is
 * held again either way. */
NTSTATUS RtlSleepConditionVariableSRW(PRTL_CONDITION_VARIABLE ConditionVariable,
                                      PRTL_SRWLOCK SRWLock, PLARGE_INTEGER Timeout, ULONG Flags);
/* The same with a critical section, entered again before it returns. */
NTSTATUS RtlSleepConditionVariableCS(PRTL_CONDITION_VARIABLE ConditionVariable,
                                     PRTL_CRITICAL_SECTION CriticalSection, PLARGE_INTEGER Timeout);

VOID RtlRunOnceInitialize(PRTL_RUN_ONCE RunOnce);
NTSTATUS RtlRunOnceBeginInitialize(PRTL_RUN_ONCE RunOnce, ULONG Flags, PVOID* Context);
NTSTATUS RtlRunOnceComplete(PRTL_RUN_ONCE RunOnce, ULONG Flags, PVOID Context);
NTSTATUS RtlRunOnceExecuteOnce(PRTL_RUN_ONCE RunOnce, PRTL_RUN_ONCE_INIT_FN InitFn, PVOID Parameter,
                               PVOID* Context);

/* The wait under all of them: blocks while STILL_BLOCKED(KEY, ARGUMENT) holds, until
 * ntoy_wake_address(KEY) or TIMEOUT (NULL: none). STATUS_SUCCESS or STATUS_TIMEOUT. */
NTSTATUS ntoy_wait_on_address(const volatile void* key,
                              BOOLEAN (*still_blocked)(const volatile void* key,
                                                       ULONG_PTR argument),
                              ULONG_PTR argument, PLARGE_INTEGER timeout);
/* Wakes the threads waiting on KEY: all of them, or the first if ONE. */
VOID ntoy_wake_address(const volatile void* key, BOOLEAN one);

#endif
