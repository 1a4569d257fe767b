/* Spin locks, x64 style: raise to DISPATCH_LEVEL (CR8), then spin on the lock word. The word
 * holds the owner's thread id (times 2, plus 1) while held, so that the two mistakes Windows'
 * checked kernels name are bug checks here too: acquiring a lock the thread already holds
 * (SPIN_LOCK_ALREADY_OWNED, 0xF), which would otherwise spin forever, and releasing one it
 * does not hold (SPIN_LOCK_NOT_OWNED, 0x10). A lock held too long for the spinner to ever get
 * it (its holder never releases) ends in DPC_WATCHDOG_VIOLATION (0x133) instead of a hang. */
#include "ntoskrnl_private.h"

#define SPIN_LOCK_ALREADY_OWNED 0x0F
#define SPIN_LOCK_NOT_OWNED 0x10
#define DPC_WATCHDOG_VIOLATION 0x133
#define SPIN_LIMIT (1ULL << 24) /* pauses: seconds of emulated time */

static ULONG_PTR owner_word(void) {
    return (NtoyKsCurrentIds(NTOY_KS_CURRENT_THREAD_ID) << 1) | 1;
}

static void acquire(PKSPIN_LOCK lock, ULONG64 caller) {
    const ULONG_PTR me = owner_word();
    for (ULONG64 spins = 0;; ++spins) {
        ULONG_PTR seen = __atomic_load_n(lock, __ATOMIC_RELAXED);
        if (seen == 0 &&
            __atomic_compare_exchange_n(lock, &seen, me, FALSE, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return;
        if (seen == me)
            NtoyKsBugCheck(SPIN_LOCK_ALREADY_OWNED, (ULONG64)lock, 0, 0, 0, caller);
        if (spins == SPIN_LIMIT)
            NtoyKsBugCheck(DPC_WATCHDOG_VIOLATION, 1, SPIN_LIMIT, (ULONG64)lock, 0, caller);
        __builtin_ia32_pause();
    }
}

static void release(PKSPIN_LOCK lock, ULONG64 caller) {
    ULONG_PTR me = owner_word();
    if (!__atomic_compare_exchange_n(lock, &me, 0, FALSE, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
        NtoyKsBugCheck(SPIN_LOCK_NOT_OWNED, (ULONG64)lock, 0, 0, 0, caller);
}

KIRQL NTAPI KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock) {
    const KIRQL old = KfRaiseIrql(DISPATCH_LEVEL);
    acquire(SpinLock, NTOY_CALLER());
    return old;
}

VOID NTAPI KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql) {
    release(SpinLock, NTOY_CALLER());
    KeLowerIrql(NewIrql);
}

VOID NTAPI KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock) {
    acquire(SpinLock, NTOY_CALLER());
}

VOID NTAPI KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock) {
    release(SpinLock, NTOY_CALLER());
}

BOOLEAN NTAPI KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock) {
    ULONG_PTR free = 0;
    return (BOOLEAN)__atomic_compare_exchange_n(SpinLock, &free, owner_word(), FALSE,
                                                __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}
