/* Faulty drivers, one bug each (NTOY_BUG_<name>), for the bug-check tests: each is what Windows
 * answers with the bug check named beside it. The bug is in DriverEntry unless said. */
#include <ntoy/ntddk.h>

#define TAG_BUGS 0x73677542 /* 'Bugs' */

/* volatile: the compiler must not see through the bugs. */
static volatile ULONG64 sink;
static volatile ULONG_PTR null_page_address = 0x10;
static volatile ULONG_PTR unmapped_system_address = 0xFFFFF88010000000ULL;

#if defined(NTOY_BUG_pool_leak)
static PVOID leaked[2];
static VOID NTAPI LeakyUnload(PDRIVER_OBJECT DriverObject) {
    UNREFERENCED_PARAMETER(DriverObject);
    DbgPrint("unloading, %p and %p still allocated\n", leaked[0], leaked[1]);
}
#endif

#if defined(NTOY_BUG_mdl_left_locked)
static VOID NTAPI LockedUnload(PDRIVER_OBJECT DriverObject) {
    UNREFERENCED_PARAMETER(DriverObject);
    DbgPrint("unloading with the MDL still locked\n");
}
#endif

#if defined(NTOY_BUG_thread_outlives_driver)
static VOID NTAPI SleepyThread(PVOID context) {
    UNREFERENCED_PARAMETER(context);
    LARGE_INTEGER interval;
    interval.QuadPart = -50 * 10000; /* 50 ms: the driver is unloaded by then */
    KeDelayExecutionThread(KernelMode, FALSE, &interval);
    DbgPrint("never printed: this code is gone\n");
}
static VOID NTAPI ForgetfulUnload(PDRIVER_OBJECT DriverObject) {
    UNREFERENCED_PARAMETER(DriverObject);
    DbgPrint("unloading without waiting for the thread\n");
}
#endif

#if !defined(NTOY_BUG_entry_fails) && !defined(NTOY_BUG_pool_leak)
__attribute__((noinline)) static void the_bug(void) {
#if defined(NTOY_BUG_null_deref)
    /* KMODE_EXCEPTION_NOT_HANDLED (0x1E): an access violation no kernel handler takes. */
    sink = *(volatile ULONG64*)null_page_address;
#elif defined(NTOY_BUG_nonpaged_hole)
    /* PAGE_FAULT_IN_NONPAGED_AREA (0x50): nothing is mapped there. */
    sink = *(volatile ULONG64*)unmapped_system_address;
#elif defined(NTOY_BUG_write_code)
    /* ATTEMPTED_WRITE_TO_READONLY_MEMORY (0xBE): the driver's own code. */
    *(volatile UCHAR*)(ULONG_PTR)&the_bug = 0xCC;
#elif defined(NTOY_BUG_paged_at_dispatch)
    /* DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1): paged pool touched at DISPATCH_LEVEL. It faults
     * only if the page is out at that moment, which on a real machine is luck; the verifier's
     * IRQL checking (--verifier irql) pages everything pageable out at every raise, so that it
     * always is. Without it this driver loads fine. */
    volatile UCHAR* block = ExAllocatePool2(POOL_FLAG_PAGED, 4096, TAG_BUGS);
    if (!block)
        return;
    block[0] = 1;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    sink = block[0];
    KeLowerIrql(old);
    ExFreePoolWithTag((PVOID)block, TAG_BUGS);
#elif defined(NTOY_BUG_pool_overrun)
    /* One byte past a 64-byte block: harmless-looking in ordinary pool (the next block's
     * header takes it); special pool puts the block against a guard page, so the write
     * itself faults: PAGE_FAULT_IN_NONPAGED_AREA (0x50) naming the block. */
    volatile UCHAR* block = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG_BUGS);
    if (!block)
        return;
    block[64] = 1;
    ExFreePoolWithTag((PVOID)block, TAG_BUGS);
#elif defined(NTOY_BUG_pool_underrun)
    /* One byte before the block, found when it is freed: with special pool,
     * SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION (0xC1). */
    volatile UCHAR* block = ExAllocatePool2(POOL_FLAG_NON_PAGED, 40, TAG_BUGS);
    if (!block)
        return;
    block[-1] = 1;
    ExFreePoolWithTag((PVOID)block, TAG_BUGS);
#elif defined(NTOY_BUG_pool_use_after_free)
    /* A read of a freed block: special pool unmaps its page for good (0x50). */
    volatile UCHAR* block = ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, TAG_BUGS);
    if (!block)
        return;
    ExFreePoolWithTag((PVOID)block, TAG_BUGS);
    sink = block[0];
#elif defined(NTOY_BUG_mdl_unlock_twice)
    /* MmUnlockPages of pages no longer locked: MEMORY_MANAGEMENT (0x1A), ntoy's 0x4102. */
    static UCHAR buffer[64];
    PMDL mdl = IoAllocateMdl(buffer, sizeof buffer, FALSE, FALSE, NULL);
    if (!mdl)
        return;
    MmProbeAndLockPages(mdl, KernelMode, IoWriteAccess);
    MmUnlockPages(mdl);
    MmUnlockPages(mdl);
    IoFreeMdl(mdl);
#elif defined(NTOY_BUG_mdl_freed_locked)
    /* An MDL freed as plain pool while its pages are locked: MEMORY_MANAGEMENT, 0x4104 (the
     * kernel's record of the lock would otherwise outlive it). */
    static UCHAR buffer[64];
    PMDL mdl = IoAllocateMdl(buffer, sizeof buffer, FALSE, FALSE, NULL);
    if (!mdl)
        return;
    MmProbeAndLockPages(mdl, KernelMode, IoReadAccess);
    ExFreePool(mdl);
#elif defined(NTOY_BUG_mdl_left_locked)
    /* Pages locked and never unlocked before the unload: DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS
     * (0xCB) at the unload. */
    static UCHAR buffer[64];
    PMDL mdl = IoAllocateMdl(buffer, sizeof buffer, FALSE, FALSE, NULL);
    if (!mdl)
        return;
    MmProbeAndLockPages(mdl, KernelMode, IoReadAccess);
#elif defined(NTOY_BUG_mdl_bad_buffer)
    /* MmProbeAndLockPages of memory that is not there raises STATUS_ACCESS_VIOLATION; with no
     * __try around it, KMODE_EXCEPTION_NOT_HANDLED (0x1E). */
    PMDL mdl = IoAllocateMdl((PVOID)null_page_address, 64, FALSE, FALSE, NULL);
    if (!mdl)
        return;
    MmProbeAndLockPages(mdl, UserMode, IoReadAccess);
    IoFreeMdl(mdl);
#elif defined(NTOY_BUG_spin_lock_twice)
    /* A spin lock acquired again by its holder: SPIN_LOCK_ALREADY_OWNED (0xF), where Windows
     * without a checked kernel would spin for ever at DISPATCH_LEVEL. */
    static KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    KIRQL first, second;
    KeAcquireSpinLock(&lock, &first);
    KeAcquireSpinLock(&lock, &second);
#elif defined(NTOY_BUG_thread_outlives_driver)
    /* A thread of the driver's that the unload routine does not wait for: it wakes in code
     * that is gone, DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS (0xCE). */
    HANDLE thread;
    if (NT_SUCCESS(
            PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, NULL, NULL, NULL, SleepyThread, NULL)))
        ZwClose(thread);
#elif defined(NTOY_BUG_bugcheck_call)
    /* The driver's own bug check, with its parameters. */
    KeBugCheckEx(0xDEAD, 1, 2, 3, 4);
#endif
}
#endif

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    UNREFERENCED_PARAMETER(RegistryPath);
#if defined(NTOY_BUG_entry_fails)
    UNREFERENCED_PARAMETER(DriverObject);
    DbgPrint("refusing to load\n");
    return STATUS_INSUFFICIENT_RESOURCES;
#elif defined(NTOY_BUG_pool_leak)
    /* Two blocks never freed: pool tracking names them at unload (0xC4, 0x62). */
    leaked[0] = ExAllocatePool2(POOL_FLAG_NON_PAGED, 100, TAG_BUGS);
    leaked[1] = ExAllocatePool2(POOL_FLAG_PAGED, 5000, TAG_BUGS);
    DriverObject->DriverUnload = LeakyUnload;
    return STATUS_SUCCESS;
#else
#if defined(NTOY_BUG_thread_outlives_driver)
    DriverObject->DriverUnload = ForgetfulUnload;
#elif defined(NTOY_BUG_mdl_left_locked)
    DriverObject->DriverUnload = LockedUnload;
#else
    UNREFERENCED_PARAMETER(DriverObject);
#endif
    DbgPrint("about to fail\n");
    the_bug();
    DbgPrint("still here\n");
    return STATUS_SUCCESS;
#endif
}
