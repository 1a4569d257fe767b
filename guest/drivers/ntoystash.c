/* ntoystash.sys: the seeds' bug, on purpose. IOCTL_STASH_REMEMBER (METHOD_NEITHER) keeps the
 * caller's raw output pointer; IOCTL_STASH_FIRE queues a DPC that writes through it. A user
 * pointer means something only in the process that passed it, and a DPC runs in whatever
 * process is current when it runs: fired from another process, the write lands in that
 * process, at the same address, in memory that has nothing to do with the request. */
#include <ntoy/ntddk.h>

#include "ntoystash_ioctl.h"

static PDEVICE_OBJECT stash_device;
static KDPC stash_dpc;
static char* stashed_pointer; /* a user address, of the process that sent REMEMBER */
static ULONG stashed_by;

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
    DbgPrint("DPC at IRQL %u in process %u writes through the pointer process %u gave\n",
             KeGetCurrentIrql(), now, stashed_by);
    _snprintf(stashed_pointer, STASH_BYTES, "written by the DPC, in process %u", now);
}

static NTSTATUS NTAPI StashOpenClose(PDEVICE_OBJECT device, PIRP irp) {
    UNREFERENCED_PARAMETER(device);
    return complete(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS NTAPI StashControl(PDEVICE_OBJECT device, PIRP irp) {
    UNREFERENCED_PARAMETER(device);
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    switch (sp->Parameters.DeviceIoControl.IoControlCode) {
        case IOCTL_STASH_REMEMBER:
            if (sp->Parameters.DeviceIoControl.OutputBufferLength < STASH_BYTES)
                return complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
            stashed_pointer = irp->UserBuffer; /* the bug: kept past the request */
            stashed_by = (ULONG)(ULONG_PTR)PsGetCurrentProcessId();
            return complete(irp, STATUS_SUCCESS, 0);
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
    driver->MajorFunction[IRP_MJ_CREATE] = StashOpenClose;
    driver->MajorFunction[IRP_MJ_CLOSE] = StashOpenClose;
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = StashControl;
    driver->DriverUnload = StashUnload;
    stash_device->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}
