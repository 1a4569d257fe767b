/* The smallest useful driver: DriverEntry prints where it runs (IRQL, process, its registry
 * path), takes a block from each pool and keeps them until its unload routine frees them. */
#include <ntoy/ntddk.h>

#define TAG_HELLO 0x6C6C6548 /* 'Hell' */

static PVOID nonpaged_block, paged_block;

static VOID NTAPI HelloUnload(PDRIVER_OBJECT DriverObject) {
    UNREFERENCED_PARAMETER(DriverObject);
    DbgPrint("unloading: the nonpaged block still says \"%s\"\n", (char*)nonpaged_block);
    ExFreePoolWithTag(nonpaged_block, TAG_HELLO);
    ExFreePoolWithTag(paged_block, TAG_HELLO);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    DbgPrint("DriverEntry at IRQL %u in process %u; registry path %u bytes, \"%c%c%c%c...\"\n",
             KeGetCurrentIrql(), (unsigned)(ULONG_PTR)PsGetCurrentProcessId(), RegistryPath->Length,
             RegistryPath->Buffer[0], RegistryPath->Buffer[1], RegistryPath->Buffer[2],
             RegistryPath->Buffer[3]);
#ifdef NTOY_HELLO_MINGW
    /* mingw-w64's import library has no ExAllocatePool2. */
    nonpaged_block = ExAllocatePoolWithTag(NonPagedPoolNx, 64, TAG_HELLO);
    paged_block = ExAllocatePoolWithTag(PagedPool, 8192, TAG_HELLO);
#else
    nonpaged_block = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG_HELLO);
    paged_block = ExAllocatePool2(POOL_FLAG_PAGED, 8192, TAG_HELLO);
#endif
    if (!nonpaged_block || !paged_block)
        return STATUS_INSUFFICIENT_RESOURCES;
    memcpy(nonpaged_block, "hello from nonpaged pool", 25);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KIRQL raised = KeGetCurrentIrql();
    KeLowerIrql(old);
    DbgPrint("raised to %u and back to %u; nonpaged %s, paged %s\n", raised, KeGetCurrentIrql(),
             MmIsAddressValid(nonpaged_block) ? "valid" : "not valid",
             MmIsAddressValid(paged_block) ? "valid" : "not valid");
    DriverObject->DriverUnload = HelloUnload;
    return STATUS_SUCCESS;
}
