/* ntoystash.sys: the seeds' bug, on purpose. IOCTL_STASH_REMEMBER (METHOD_NEITHER) keeps the
 * caller's raw output pointer; IOCTL_STASH_FIRE queues a DPC that writes through it. A user
 * pointer means something only in the process that passed it, and a DPC runs in whatever
 * process is current when it runs: fired from another process, the write lands in that
 * process, at the same address, in memory that has nothing to do with the request.
 * IOCTL_STASH_REMEMBER_LOCKED is the fix: the driver locks the caller's buffer with an MDL and
 * keeps the system mapping of its pages, which the DPC reaches from any process; the pages
 * stay locked until the handle that sent it is closed. */
#include <ntoy/ntddk.h>

#include "ntoystash_ioctl.h"

static PDEVICE_OBJECT stash_device;
static KDPC stash_dpc;
static char* stashed_pointer; /* a user address, of the process that sent REMEMBER */
static ULONG stashed_by;
static PMDL stashed_mdl;          /* REMEMBER_LOCKED: the caller's pages, locked */
static PFILE_OBJECT stashed_file; /* ... for as long as this open lasts */

static void forget_locked(void) {
    if (stashed_mdl == NULL)
        return;
    MmUnlockPages(stashed_mdl); /* the system mapping goes with it */
    IoFreeMdl(stashed_mdl);
    stashed_mdl = NULL;
    stashed_file = NULL;
    stashed_pointer = NULL;
}

/* The fix: lock the caller's buffer and keep its system address, valid in every process. */
static NTSTATUS remember_locked(PIRP irp, PFILE_OBJECT file) {
    forget_locked();
    PMDL mdl = IoAllocateMdl(irp->UserBuffer, STASH_BYTES, FALSE, FALSE, NULL);
    if (mdl == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    MmProbeAndLockPages(mdl, UserMode, IoWriteAccess); /* raises on a bad buffer */
    char* mapped = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute);
    if (mapped == NULL) {
        MmUnlockPages(mdl);
        IoFreeMdl(mdl);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    stashed_mdl = mdl;
    stashed_file = file;
    stashed_pointer = mapped;
    stashed_by = (ULONG)(ULONG_PTR)PsGetCurrentProcessId();
    return STATUS_SUCCESS;
}

static NTSTATUS complete(PIRP irp, NTSTATUS status, ULONG_PTR information) {
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = information;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

static VOID NTAPI StashWrite(PKDPC dpc, PVOID context, PVOID a1, PVOID a2) {
    UNREFERENCED_PARAMETER(dpc);
    UNREFERENCED_PARAMETER(context);
    UNREFERENCED_PARAMETER(a1);
    UNREFERENCED_PARAMETER(a2);
    ULONG now = (ULONG)(ULONG_PTR)PsGetCurrentProcessId();
    DbgPrint("DPC at IRQL %u in process %u writes through %s process %u gave\n", KeGetCurrentIrql(),
             now, stashed_mdl ? "the system mapping of the buffer" : "the pointer", stashed_by);
    _snprintf(stashed_pointer, STASH_BYTES, "written by the DPC, in process %u", now);
}

static NTSTATUS NTAPI StashOpen(PDEVICE_OBJECT device, PIRP irp) {
    UNREFERENCED_PARAMETER(device);
    return complete(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS NTAPI StashClose(PDEVICE_OBJECT device, PIRP irp) {
    UNREFERENCED_PARAMETER(device);
    if (IoGetCurrentIrpStackLocation(irp)->FileObject == stashed_file)
        forget_locked();
    return complete(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS NTAPI StashControl(PDEVICE_OBJECT device, PIRP irp) {
    UNREFERENCED_PARAMETER(device);
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    switch (sp->Parameters.DeviceIoControl.IoControlCode) {
        case IOCTL_STASH_REMEMBER:
            if (sp->Parameters.DeviceIoControl.OutputBufferLength < STASH_BYTES)
                return complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
            forget_locked();
            stashed_pointer = irp->UserBuffer; /* the bug: kept past the request */
            stashed_by = (ULONG)(ULONG_PTR)PsGetCurrentProcessId();
            return complete(irp, STATUS_SUCCESS, 0);
        case IOCTL_STASH_REMEMBER_LOCKED:
            if (sp->Parameters.DeviceIoControl.OutputBufferLength < STASH_BYTES)
                return complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
            return complete(irp, remember_locked(irp, sp->FileObject), 0);
        case IOCTL_STASH_FIRE:
            if (!stashed_pointer)
                return complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
            KeInsertQueueDpc(&stash_dpc, NULL, NULL);
            return complete(irp, STATUS_SUCCESS, 0);
        default:
            return complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI StashUnload(PDRIVER_OBJECT driver) {
    UNREFERENCED_PARAMETER(driver);
    UNICODE_STRING link = RTL_CONSTANT_STRING(L"\\??\\NtoyStash");
    IoDeleteSymbolicLink(&link);
    forget_locked();
    IoDeleteDevice(stash_device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry) {
    UNREFERENCED_PARAMETER(registry);
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\Device\\NtoyStash");
    UNICODE_STRING link = RTL_CONSTANT_STRING(L"\\??\\NtoyStash");
    NTSTATUS status =
        IoCreateDevice(driver, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &stash_device);
    if (!NT_SUCCESS(status))
        return status;
    status = IoCreateSymbolicLink(&link, &name);
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(stash_device);
        return status;
    }
    KeInitializeDpc(&stash_dpc, StashWrite, NULL);
    driver->MajorFunction[IRP_MJ_CREATE] = StashOpen;
    driver->MajorFunction[IRP_MJ_CLOSE] = StashClose;
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = StashControl;
    driver->DriverUnload = StashUnload;
    stash_device->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}
