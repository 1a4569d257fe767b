/* The executive's services for drivers: pool, current ids, address checks, bug checks. The
 * work is the hosted kernel's (kernel/ke/KernelServices.cpp); each passes its caller, which
 * the kernel names (the driver and offset) in what it reports. */
#include "ntoskrnl_private.h"

PVOID NTAPI ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag) {
    return (PVOID)NtoyKsAllocatePool(Flags, NumberOfBytes, (ULONG64)Tag, NTOY_CALLER());
}

PVOID NTAPI ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
    return (PVOID)NtoyKsAllocatePoolType((ULONG64)PoolType, NumberOfBytes, (ULONG64)Tag,
                                         NTOY_CALLER());
}

/* Windows tags untagged blocks 'None'. */
PVOID NTAPI ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes) {
    return (PVOID)NtoyKsAllocatePoolType((ULONG64)PoolType, NumberOfBytes, 0x656E6F4EULL,
                                         NTOY_CALLER());
}

VOID NTAPI ExFreePoolWithTag(PVOID P, ULONG Tag) {
    NtoyKsFreePool((ULONG64)P, (ULONG64)Tag, NTOY_CALLER());
}

VOID NTAPI ExFreePool(PVOID P) {
    NtoyKsFreePool((ULONG64)P, 0, NTOY_CALLER());
}

HANDLE NTAPI PsGetCurrentProcessId(void) {
    return (HANDLE)NtoyKsCurrentIds(NTOY_KS_CURRENT_PROCESS_ID);
}

HANDLE NTAPI PsGetCurrentThreadId(void) {
    return (HANDLE)NtoyKsCurrentIds(NTOY_KS_CURRENT_THREAD_ID);
}

BOOLEAN NTAPI MmIsAddressValid(PVOID VirtualAddress) {
    return (BOOLEAN)NtoyKsIsAddressValid((ULONG64)VirtualAddress);
}

VOID NTAPI KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3,
                        ULONG_PTR P4) {
    NtoyKsBugCheck((ULONG64)BugCheckCode, P1, P2, P3, P4, NTOY_CALLER());
    __builtin_unreachable();
}

VOID NTAPI KeBugCheck(ULONG BugCheckCode) {
    NtoyKsBugCheck((ULONG64)BugCheckCode, 0, 0, 0, 0, NTOY_CALLER());
    __builtin_unreachable();
}

/* The exported forms of what ntddk.h inlines for drivers: the same CR8. */
KIRQL NTAPI KeGetCurrentIrql(void) {
    ULONG64 irql;
    __asm__ __volatile__("movq %%cr8, %0" : "=r"(irql));
    return (KIRQL)irql;
}

VOID NTAPI KeLowerIrql(KIRQL NewIrql) {
    __asm__ __volatile__("movq %0, %%cr8" : : "r"((ULONG64)NewIrql) : "memory");
}

KIRQL NTAPI KfRaiseIrql(KIRQL NewIrql) {
    KIRQL old = KeGetCurrentIrql();
    __asm__ __volatile__("movq %0, %%cr8" : : "r"((ULONG64)NewIrql) : "memory");
    return old;
}

KIRQL NTAPI KeRaiseIrqlToDpcLevel(void) {
    return KfRaiseIrql(DISPATCH_LEVEL);
}

PEPROCESS NTAPI PsGetCurrentProcess(void) {
    return (PEPROCESS)NtoyKsCurrentIds(NTOY_KS_CURRENT_PROCESS);
}

PEPROCESS NTAPI IoGetCurrentProcess(void) {
    return (PEPROCESS)NtoyKsCurrentIds(NTOY_KS_CURRENT_PROCESS);
}

PETHREAD NTAPI PsGetCurrentThread(void) {
    return (PETHREAD)NtoyKsCurrentIds(NTOY_KS_CURRENT_THREAD);
}
