/* SRW locks, condition variables and run-once initialisation (Windows' slim primitives: a
 * pointer-sized object, no allocation, no handle), with real waits.
 *
 * Windows blocks on keyed events; ntoy has none, so waiting threads queue here instead, each
 * with its own wait block on its stack and an event created for the wait. The queue is the
 * process's, behind a spin lock, and a state change is always published before the queue is
 * looked at: a thread re-checks the object's state under the queue's lock before it queues,
 * so a wake cannot fall between its check and its wait. Releases wake every waiter of the
 * object (they compete again; SRW locks are not fair on Windows either); condition variables
 * wake one or all, and their waits may end spuriously, as Windows documents. */
#include "ntoy/slim_sync.h"

#include "ntoy/nt_status.h"

typedef struct WaitBlock {
    struct WaitBlock* Next;
    const volatile void* Key;
    HANDLE Event;
    BOOLEAN Woken;
} WaitBlock;

static volatile LONG queue_lock;
static WaitBlock* queue_head;

static void lock_queue(void) {
    while (__atomic_exchange_n(&queue_lock, 1, __ATOMIC_ACQUIRE) != 0) {
        NtYieldExecution();
    }
}

static void unlock_queue(void) {
    __atomic_store_n(&queue_lock, 0, __ATOMIC_RELEASE);
}

NTSTATUS ntoy_wait_on_address(const volatile void* key,
                              BOOLEAN (*still_blocked)(const volatile void* key,
                                                       ULONG_PTR argument),
                              ULONG_PTR argument, PLARGE_INTEGER timeout) {
    WaitBlock block = {NULL, key, NULL, FALSE};
    NTSTATUS status =
        NtCreateEvent(&block.Event, EVENT_ALL_ACCESS, NULL, SynchronizationEvent, FALSE);
    if (!NT_SUCCESS(status)) {
        /* No event to wait on: let the caller try again, as after a spurious wake. */
        NtYieldExecution();
        return STATUS_SUCCESS;
    }
    lock_queue();
    if (!still_blocked(key, argument)) {
        unlock_queue();
        NtClose(block.Event);
        return STATUS_SUCCESS;
    }
    block.Next = queue_head;
    queue_head = &block;
    unlock_queue();
    status = NtWaitForSingleObject(block.Event, FALSE, timeout);
    if (status == STATUS_TIMEOUT) {
        lock_queue();
        if (!block.Woken) {
            for (WaitBlock** link = &queue_head; *link != NULL; link = &(*link)->Next) {
                if (*link == &block) {
                    *link = block.Next;
                    break;
                }
            }
        }
        BOOLEAN woken = block.Woken;
        unlock_queue();
        if (woken) {
            /* Woken as the time ran out: the event is (or is about to be) set; take it so
             * that the wake is not lost, and report the wake. */
            NtWaitForSingleObject(block.Event, FALSE, NULL);
            status = STATUS_SUCCESS;
        }
    } else {
        status = STATUS_SUCCESS;
    }
    NtClose(block.Event);
    return status;
}

VOID ntoy_wake_address(const volatile void* key, BOOLEAN one) {
    WaitBlock* woken = NULL;
    lock_queue();
    /* The oldest waiter is the last in the list: take from the end for "one". */
    for (WaitBlock** link = &queue_head; *link != NULL;) {
        WaitBlock* block = *link;
        if (block->Key != key) {
            link = &block->Next;
            continue;
        }
        if (one) {
            woken = block;
            link = &block->Next;
            continue;
        }
        *link = block->Next;
        block->Woken = TRUE;
        NtSetEvent(block->Event, NULL);
    }
    if (one && woken != NULL) {
        for (WaitBlock** link = &queue_head; *link != NULL; link = &(*link)->Next) {
            if (*link == woken) {
                *link = woken->Next;
                break;
            }
        }
        woken->Woken = TRUE;
        NtSetEvent(woken->Event, NULL);
    }
    unlock_queue();
}

/* ---- SRW locks: 1 for an exclusive owner, else twice the number of shared owners ---------- */

#define SRW_EXCLUSIVE 1
#define SRW_SHARED 2

static volatile ULONG_PTR* srw_word(PRTL_SRWLOCK lock) {
    return (volatile ULONG_PTR*)&lock->Ptr;
}

static BOOLEAN srw_held(const volatile void* key, ULONG_PTR exclusive_wanted) {
    ULONG_PTR value = __atomic_load_n((const volatile ULONG_PTR*)key, __ATOMIC_ACQUIRE);
    return exclusive_wanted ? value != 0 : (value & SRW_EXCLUSIVE) != 0;
}

VOID RtlInitializeSRWLock(PRTL_SRWLOCK SRWLock) {
    SRWLock->Ptr = NULL;
}

BOOLEAN RtlTryAcquireSRWLockExclusive(PRTL_SRWLOCK SRWLock) {
    ULONG_PTR expected = 0;
    return __atomic_compare_exchange_n(srw_word(SRWLock), &expected, SRW_EXCLUSIVE, FALSE,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

BOOLEAN RtlTryAcquireSRWLockShared(PRTL_SRWLOCK SRWLock) {
    ULONG_PTR value = __atomic_load_n(srw_word(SRWLock), __ATOMIC_RELAXED);
    while ((value & SRW_EXCLUSIVE) == 0) {
        if (__atomic_compare_exchange_n(srw_word(SRWLock), &value, value + SRW_SHARED, FALSE,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            return TRUE;
        }
    }
    return FALSE;
}

VOID RtlAcquireSRWLockExclusive(PRTL_SRWLOCK SRWLock) {
    while (!RtlTryAcquireSRWLockExclusive(SRWLock)) {
        ntoy_wait_on_address(srw_word(SRWLock), srw_held, TRUE, NULL);
    }
}

VOID RtlAcquireSRWLockShared(PRTL_SRWLOCK SRWLock) {
    while (!RtlTryAcquireSRWLockShared(SRWLock)) {
        ntoy_wait_on_address(srw_word(SRWLock), srw_held, FALSE, NULL);
    }
}

VOID RtlReleaseSRWLockExclusive(PRTL_SRWLOCK SRWLock) {
    __atomic_store_n(srw_word(SRWLock), 0, __ATOMIC_RELEASE);
    ntoy_wake_address(srw_word(SRWLock), FALSE);
}

VOID RtlReleaseSRWLockShared(PRTL_SRWLOCK SRWLock) {
    if (__atomic_sub_fetch(srw_word(SRWLock), SRW_SHARED, __ATOMIC_RELEASE) == 0) {
        ntoy_wake_address(srw_word(SRWLock), FALSE);
    }
}

/* ---- Condition variables: a count of wakes, which a sleeper waits to see change ----------- */

static volatile ULONG_PTR* cv_word(PRTL_CONDITION_VARIABLE variable) {
    return (volatile ULONG_PTR*)&variable->Ptr;
}

static BOOLEAN cv_unchanged(const volatile void* key, ULONG_PTR seen) {
    return __atomic_load_n((const volatile ULONG_PTR*)key, __ATOMIC_ACQUIRE) == seen;
}

VOID RtlInitializeConditionVariable(PRTL_CONDITION_VARIABLE ConditionVariable) {
    ConditionVariable->Ptr = NULL;
}

VOID RtlWakeConditionVariable(PRTL_CONDITION_VARIABLE ConditionVariable) {
    __atomic_add_fetch(cv_word(ConditionVariable), 1, __ATOMIC_RELEASE);
    ntoy_wake_address(cv_word(ConditionVariable), TRUE);
}

VOID RtlWakeAllConditionVariable(PRTL_CONDITION_VARIABLE ConditionVariable) {
    __atomic_add_fetch(cv_word(ConditionVariable), 1, __ATOMIC_RELEASE);
    ntoy_wake_address(cv_word(ConditionVariable), FALSE);
}

NTSTATUS RtlSleepConditionVariableSRW(PRTL_CONDITION_VARIABLE ConditionVariable,
                                      PRTL_SRWLOCK SRWLock, PLARGE_INTEGER Timeout, ULONG Flags) {
    if (Flags & ~RTL_CONDITION_VARIABLE_LOCKMODE_SHARED) {
        return STATUS_INVALID_PARAMETER_4;
    }
    BOOLEAN shared = (Flags & RTL_CONDITION_VARIABLE_LOCKMODE_SHARED) != 0;
    ULONG_PTR seen = __atomic_load_n(cv_word(ConditionVariable), __ATOMIC_ACQUIRE);
    if (shared) {
        RtlReleaseSRWLockShared(SRWLock);
    } else {
        RtlReleaseSRWLockExclusive(SRWLock);
    }
    NTSTATUS status = ntoy_wait_on_address(cv_word(ConditionVariable), cv_unchanged, seen, Timeout);
    if (shared) {
        RtlAcquireSRWLockShared(SRWLock);
    } else {
        RtlAcquireSRWLockExclusive(SRWLock);
    }
    return status;
}

NTSTATUS RtlSleepConditionVariableCS(PRTL_CONDITION_VARIABLE ConditionVariable,
                                     PRTL_CRITICAL_SECTION CriticalSection,
                                     PLARGE_INTEGER Timeout) {
    ULONG_PTR seen = __atomic_load_n(cv_word(ConditionVariable), __ATOMIC_ACQUIRE);
    RtlLeaveCriticalSection(CriticalSection);
    NTSTATUS status = ntoy_wait_on_address(cv_word(ConditionVariable), cv_unchanged, seen, Timeout);
    RtlEnterCriticalSection(CriticalSection);
    return status;
}

/* ---- Run once: the low two bits say the state, the rest is the context -------------------- */

#define ONCE_NOT_STARTED 0
#define ONCE_SYNC_PENDING 1
#define ONCE_DONE 2
#define ONCE_ASYNC_PENDING 3
#define ONCE_STATE_MASK 3

static volatile ULONG_PTR* once_word(PRTL_RUN_ONCE once) {
    return (volatile ULONG_PTR*)&once->Ptr;
}

static BOOLEAN once_in_progress(const volatile void* key, ULONG_PTR unused) {
    (void)unused;
    return (__atomic_load_n((const volatile ULONG_PTR*)key, __ATOMIC_ACQUIRE) & ONCE_STATE_MASK) ==
           ONCE_SYNC_PENDING;
}

VOID RtlRunOnceInitialize(PRTL_RUN_ONCE RunOnce) {
    RunOnce->Ptr = NULL;
}

NTSTATUS RtlRunOnceBeginInitialize(PRTL_RUN_ONCE RunOnce, ULONG Flags, PVOID* Context) {
    if ((Flags & ~(RTL_RUN_ONCE_CHECK_ONLY | RTL_RUN_ONCE_ASYNC)) != 0 ||
        Flags == (RTL_RUN_ONCE_CHECK_ONLY | RTL_RUN_ONCE_ASYNC)) {
        return STATUS_INVALID_PARAMETER_2;
    }
    for (;;) {
        ULONG_PTR value = __atomic_load_n(once_word(RunOnce), __ATOMIC_ACQUIRE);
        switch (value & ONCE_STATE_MASK) {
            case ONCE_DONE:
                if (Context != NULL) {
                    *Context = (PVOID)(value & ~(ULONG_PTR)ONCE_STATE_MASK);
                }
                return STATUS_SUCCESS;
            case ONCE_NOT_STARTED:
                if (Flags & RTL_RUN_ONCE_CHECK_ONLY) {
                    return STATUS_UNSUCCESSFUL;
                }
                if (__atomic_compare_exchange_n(
                        once_word(RunOnce), &value,
                        (Flags & RTL_RUN_ONCE_ASYNC) ? ONCE_ASYNC_PENDING : ONCE_SYNC_PENDING,
                        FALSE, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
                    return STATUS_PENDING;
                }
                break;
            case ONCE_ASYNC_PENDING:
                if (Flags & RTL_RUN_ONCE_CHECK_ONLY) {
                    return STATUS_UNSUCCESSFUL;
                }
                /* Asynchronous initialisers run side by side; the first to complete wins. */
                return (Flags & RTL_RUN_ONCE_ASYNC) ? STATUS_PENDING : STATUS_INVALID_PARAMETER_2;
            default: /* ONCE_SYNC_PENDING */
                if (Flags & RTL_RUN_ONCE_CHECK_ONLY) {
                    return STATUS_UNSUCCESSFUL;
                }
                if (Flags & RTL_RUN_ONCE_ASYNC) {
                    return STATUS_INVALID_PARAMETER_2;
                }
                ntoy_wait_on_address(once_word(RunOnce), once_in_progress, 0, NULL);
                break;
        }
    }
}

NTSTATUS RtlRunOnceComplete(PRTL_RUN_ONCE RunOnce, ULONG Flags, PVOID Context) {
    if ((Flags & ~(RTL_RUN_ONCE_ASYNC | RTL_RUN_ONCE_INIT_FAILED)) != 0 ||
        Flags == (RTL_RUN_ONCE_ASYNC | RTL_RUN_ONCE_INIT_FAILED)) {
        return STATUS_INVALID_PARAMETER_2;
    }
    if (((ULONG_PTR)Context & ONCE_STATE_MASK) != 0) {
        return STATUS_INVALID_PARAMETER_3;
    }
    ULONG_PTR expected = (Flags & RTL_RUN_ONCE_ASYNC) ? ONCE_ASYNC_PENDING : ONCE_SYNC_PENDING;
    ULONG_PTR value = __atomic_load_n(once_word(RunOnce), __ATOMIC_ACQUIRE);
    if ((value & ONCE_STATE_MASK) != expected) {
        if ((Flags & RTL_RUN_ONCE_ASYNC) && (value & ONCE_STATE_MASK) == ONCE_DONE) {
            return STATUS_OBJECT_NAME_COLLISION; /* another initialiser finished first */
        }
        return STATUS_UNSUCCESSFUL;
    }
    ULONG_PTR final =
        (Flags & RTL_RUN_ONCE_INIT_FAILED) ? ONCE_NOT_STARTED : ((ULONG_PTR)Context | ONCE_DONE);
    if (!__atomic_compare_exchange_n(once_word(RunOnce), &value, final, FALSE, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        return (value & ONCE_STATE_MASK) == ONCE_DONE ? STATUS_OBJECT_NAME_COLLISION
                                                      : STATUS_UNSUCCESSFUL;
    }
    ntoy_wake_address(once_word(RunOnce), FALSE);
    return STATUS_SUCCESS;
}

NTSTATUS RtlRunOnceExecuteOnce(PRTL_RUN_ONCE RunOnce, PRTL_RUN_ONCE_INIT_FN InitFn, PVOID Parameter,
                               PVOID* Context) {
    NTSTATUS status = RtlRunOnceBeginInitialize(RunOnce, 0, Context);
    if (status != STATUS_PENDING) {
        return status;
    }
    PVOID context = NULL;
    if (!InitFn(RunOnce, Parameter, &context)) {
        RtlRunOnceComplete(RunOnce, RTL_RUN_ONCE_INIT_FAILED, NULL);
        return STATUS_UNSUCCESSFUL;
    }
    status = RtlRunOnceComplete(RunOnce, 0, context);
    if (NT_SUCCESS(status) && Context != NULL) {
        *Context = context;
    }
    return status;
}
