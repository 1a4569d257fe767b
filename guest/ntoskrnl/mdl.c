/* MDLs: the MDL lives in nonpaged pool with its PFN array, as on Windows; locking, mapping and
 * the frames are the hosted kernel's (kernel/KernelMdl.cpp), which keeps its own record of
 * what each MDL locked. */
#include "ntoskrnl_private.h"

_Static_assert(sizeof(MDL) == 0x30, "MDL");
_Static_assert(offsetof(MDL, StartVa) == 0x20, "StartVa");
_Static_assert(offsetof(MDL, ByteOffset) == 0x2C, "ByteOffset");

#define MDL_TAG 0x206C644DULL /* 'Mdl ' */

PMDL NTAPI IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
                         BOOLEAN ChargeQuota, PIRP Irp) {
    (void)ChargeQuota;
    const ULONG64 size =
        sizeof(MDL) + sizeof(PFN_NUMBER) * ADDRESS_AND_SIZE_TO_SPAN_PAGES(VirtualAddress, Length);
    if (Length == 0 || size > 0xFFFF) /* the Size field is 16 bits */
        return NULL;
    /* Charged to the driver that asked, so that pool tracking names it. */
    PMDL mdl = (PMDL)NtoyKsAllocatePoolType((ULONG64)NonPagedPoolNx, size, MDL_TAG, NTOY_CALLER());
    if (mdl == NULL)
        return NULL;
    memset(mdl, 0, sizeof *mdl);
    mdl->Size = (CSHORT)size;
    mdl->MdlFlags = MDL_ALLOCATED_FIXED_SIZE;
    mdl->StartVa = PAGE_ALIGN(VirtualAddress);
    mdl->ByteOffset = BYTE_OFFSET(VirtualAddress);
    mdl->ByteCount = Length;
    if (Irp != NULL) {
        if (!SecondaryBuffer) {
            Irp->MdlAddress = mdl;
        } else {
            PMDL last = Irp->MdlAddress;
            while (last != NULL && last->Next != NULL)
                last = last->Next;
            if (last != NULL)
                last->Next = mdl;
            else
                Irp->MdlAddress = mdl;
        }
    }
    return mdl;
}

VOID NTAPI IoFreeMdl(PMDL Mdl) {
    NtoyKsFreeMdl((ULONG64)Mdl, NTOY_CALLER());
    NtoyKsFreePool((ULONG64)Mdl, MDL_TAG, NTOY_CALLER());
}

VOID NTAPI MmProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                               LOCK_OPERATION Operation) {
    const NTSTATUS status =
        (NTSTATUS)NtoyKsProbeAndLockPages((ULONG64)MemoryDescriptorList, (ULONG64)(UCHAR)AccessMode,
                                          (ULONG64)Operation, NTOY_CALLER());
    if (!NT_SUCCESS(status))
        ExRaiseStatus(status);
}

VOID NTAPI MmUnlockPages(PMDL MemoryDescriptorList) {
    NtoyKsUnlockPages((ULONG64)MemoryDescriptorList, NTOY_CALLER());
}

PVOID NTAPI MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                                         MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress,
                                         ULONG BugCheckOnFailure, ULONG Priority) {
    (void)CacheType;
    (void)Priority;
    /* A mapping into the user half (UserMode) is not in ntoy: NULL, as when there is no room,
     * which every caller must handle. */
    if (AccessMode != KernelMode || RequestedAddress != NULL)
        return NULL;
    PVOID va = (PVOID)NtoyKsMapLockedPages((ULONG64)MemoryDescriptorList, NTOY_CALLER());
    if (va == NULL && BugCheckOnFailure)
        KeBugCheckEx(0x1A /* MEMORY_MANAGEMENT */, 0x4106, (ULONG_PTR)MemoryDescriptorList,
                     NTOY_CALLER(), 0);
    return va;
}

VOID NTAPI MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList) {
    NtoyKsUnmapLockedPages((ULONG64)BaseAddress, (ULONG64)MemoryDescriptorList, NTOY_CALLER());
}

VOID NTAPI MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList) {
    NtoyKsBuildMdlForNonPagedPool((ULONG64)MemoryDescriptorList, NTOY_CALLER());
}
