/* Critical sections (RtlEnterCriticalSection and friends), with Windows' RTL_CRITICAL_SECTION
 * and its LockCount encoding (ntoy/rtl_heap.h): a free section is taken with one atomic
 * operation; a contended one is waited for on an auto-reset event, created by the first thread
 * that has to wait and kept until RtlDeleteCriticalSection.
 *
 * Leaving wakes one waiter (clearing the "no waiter woken" bit), and no other until that
 * waiter has run and set the bit again, so the event is never signalled twice for one wake.
 * A woken waiter competes for the section like any arriving thread; if it loses it waits
 * again. */
#include "ntoy/nt_status.h"
#include "ntoy/ntdll_exports.h"
#include "ntoy/teb.h"

#define LOCK_FREE_BIT 0x1          /* 1: nobody owns the section */
#define NOT_WOKEN_BIT 0x2          /* 0: a waiter has been woken and has not yet run */
#define ONE_WAITER 0x4             /* the waiter count, ones' complement, from bit 2 up */
#define SPIN_COUNT_MASK 0x00FFFFFF /* the spin count's low 24 bits; the rest are flags */

static ULONG processor_count(void) {
    return NTOY_FIELD(ntoy_current_peb(), NTOY_PEB_NUMBER_OF_PROCESSORS, ULONG);
}

static void initialize(PRTL_CRITICAL_SECTION section, ULONG spin_count) {
    section->DebugInfo = (PVOID)(LONG_PTR)-1;
    section->LockCount = -1;
    section->RecursionCount = 0;
    section->OwningThread = NULL;
    section->LockSemaphore = NULL;
    /* Spinning only helps when the owner runs on another processor meanwhile. */
    section->SpinCount = processor_count() > 1 ? (spin_count & SPIN_COUNT_MASK) : 0;
}

NTSTATUS RtlInitializeCriticalSectionEx(PRTL_CRITICAL_SECTION CriticalSection, ULONG SpinCount,
                                        ULONG Flags) {
    if ((Flags & RTL_CRITICAL_SECTION_FLAG_RESERVED) != 0) {
        return STATUS_INVALID_PARAMETER_3;
    }
    if ((SpinCount & RTL_CRITICAL_SECTION_ALL_FLAG_BITS) != 0) {
        return STATUS_INVALID_PARAMETER_2;
    }
    initialize(CriticalSection, SpinCount);
    return STATUS_SUCCESS;
}

NTSTATUS RtlInitializeCriticalSectionAndSpinCount(PRTL_CRITICAL_SECTION CriticalSection,
                                                  ULONG SpinCount) {
    /* The high bits once asked for the event up front; the event is made when first needed. */
    initialize(CriticalSection, SpinCount);
    return STATUS_SUCCESS;
}

NTSTATUS RtlInitializeCriticalSection(PRTL_CRITICAL_SECTION CriticalSection) {
    initialize(CriticalSection, 0);
    return STATUS_SUCCESS;
}

NTSTATUS RtlDeleteCriticalSection(PRTL_CRITICAL_SECTION CriticalSection) {
    if (CriticalSection->LockSemaphore != NULL) {
        NtClose(CriticalSection->LockSemaphore);
    }
    CriticalSection->DebugInfo = NULL;
    CriticalSection->LockCount = -1;
    CriticalSection->RecursionCount = 0;
    CriticalSection->OwningThread = NULL;
    CriticalSection->LockSemaphore = NULL;
    CriticalSection->SpinCount = 0;
    return STATUS_SUCCESS;
}

/* One attempt at taking a free section; OLD is what LockCount was seen to hold. */
static BOOLEAN try_take(PRTL_CRITICAL_SECTION section, LONG old) {
    return (old & LOCK_FREE_BIT) != 0 &&
           __atomic_compare_exchange_n(&section->LockCount, &old, old - LOCK_FREE_BIT, FALSE,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void become_owner(PRTL_CRITICAL_SECTION section, HANDLE me) {
    section->OwningThread = me;
    section->RecursionCount = 1;
}

/* The section's event, made now if no waiter made it before. NULL if none can be made. */
static HANDLE wait_event(PRTL_CRITICAL_SECTION section) {
    HANDLE event = __atomic_load_n(&section->LockSemaphore, __ATOMIC_ACQUIRE);
    if (event != NULL) {
        return event;
    }
    HANDLE created = NULL;
    if (!NT_SUCCESS(NtCreateEvent(&created, EVENT_ALL_ACCESS, NULL, SynchronizationEvent, FALSE))) {
        return NULL;
    }
    HANDLE expected = NULL;
    if (!__atomic_compare_exchange_n(&section->LockSemaphore, &expected, created, FALSE,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        NtClose(created); /* another waiter's won */
        return expected;
    }
    return created;
}

static void enter_contended(PRTL_CRITICAL_SECTION section, HANDLE me) {
    for (ULONG_PTR spins = section->SpinCount; spins != 0; --spins) {
        if (try_take(section, __atomic_load_n(&section->LockCount, __ATOMIC_RELAXED))) {
            become_owner(section, me);
            return;
        }
        __builtin_ia32_pause();
    }
    HANDLE event = wait_event(section);
    if (event == NULL) {
        /* No event to sleep on (the system is out of memory): give the processor away until
         * the section is free, as the loader's own lock does. */
        while (!try_take(section, __atomic_load_n(&section->LockCount, __ATOMIC_RELAXED))) {
            NtYieldExecution();
        }
        become_owner(section, me);
        return;
    }
    BOOLEAN woken = FALSE;
    for (;;) {
        LONG old = __atomic_load_n(&section->LockCount, __ATOMIC_RELAXED);
        LONG next;
        BOOLEAN taking = (old & LOCK_FREE_BIT) != 0;
        if (taking) {
            next = old - LOCK_FREE_BIT;
        } else {
            next = old - ONE_WAITER; /* one more waiter */
        }
        if (woken) {
            next |= NOT_WOKEN_BIT; /* the wake this thread got is used up */
        }
        if (!__atomic_compare_exchange_n(&section->LockCount, &old, next, FALSE, __ATOMIC_ACQUIRE,
                                         __ATOMIC_RELAXED)) {
            continue;
        }
        if (taking) {
            become_owner(section, me);
            return;
        }
        NtWaitForSingleObject(event, FALSE, NULL);
        woken = TRUE;
    }
}

NTSTATUS RtlEnterCriticalSection(PRTL_CRITICAL_SECTION CriticalSection) {
    HANDLE me = (HANDLE)(ULONG_PTR)ntoy_current_thread_id();
    LONG old = -1;
    if (__atomic_compare_exchange_n(&CriticalSection->LockCount, &old, -1 - LOCK_FREE_BIT, FALSE,
                                    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED) ||
        try_take(CriticalSection, old)) {
        become_owner(CriticalSection, me);
        return STATUS_SUCCESS;
    }
    if (CriticalSection->OwningThread == me) {
        ++CriticalSection->RecursionCount;
        return STATUS_SUCCESS;
    }
    enter_contended(CriticalSection, me);
    return STATUS_SUCCESS;
}

BOOLEAN RtlTryEnterCriticalSection(PRTL_CRITICAL_SECTION CriticalSection) {
    HANDLE me = (HANDLE)(ULONG_PTR)ntoy_current_thread_id();
    if (try_take(CriticalSection, __atomic_load_n(&CriticalSection->LockCount, __ATOMIC_RELAXED))) {
        become_owner(CriticalSection, me);
        return TRUE;
    }
    if (CriticalSection->OwningThread == me) {
        ++CriticalSection->RecursionCount;
        return TRUE;
    }
    return FALSE;
}

NTSTATUS RtlLeaveCriticalSection(PRTL_CRITICAL_SECTION CriticalSection) {
    if (--CriticalSection->RecursionCount != 0) {
        return STATUS_SUCCESS;
    }
    CriticalSection->OwningThread = NULL;
    LONG old = __atomic_load_n(&CriticalSection->LockCount, __ATOMIC_RELAXED);
    for (;;) {
        BOOLEAN has_waiters = (~old >> 2) != 0;
        BOOLEAN wake = has_waiters && (old & NOT_WOKEN_BIT) != 0;
        /* Free it; when waking, one waiter fewer and the woken bit cleared. */
        LONG next = wake ? old + LOCK_FREE_BIT + ONE_WAITER - NOT_WOKEN_BIT : old + LOCK_FREE_BIT;
        if (__atomic_compare_exchange_n(&CriticalSection->LockCount, &old, next, FALSE,
                                        __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
            if (wake) {
                NtSetEvent(CriticalSection->LockSemaphore, NULL);
            }
            return STATUS_SUCCESS;
        }
    }
}
