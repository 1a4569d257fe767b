/* ntoyecho.sys: a correct driver. A device, \Device\NtoyEcho (\\.\NtoyEcho to user mode), that
 * echoes IOCTL buffers with METHOD_BUFFERED and METHOD_NEITHER, keeps per-open state in
 * nonpaged pool (FILE_OBJECT->FsContext) and a cache of the last write in paged pool, which a
 * read returns. Every dispatch routine runs at PASSIVE_LEVEL in the requesting thread's
 * context, so touching paged pool and the caller's own buffers there is allowed. */
#include <ntoy/ntddk.h>

#include "ntoyecho_ioctl.h"

#define TAG_OPEN 0x6E65704F  /* 'Open' */
#define TAG_CACHE 0x68636143 /* 'Cach' */
#define CACHE_BYTES 4096

struct open_state {
    ULONG open_number;
    ULONG requests;
};

struct device_state {
    ULONG opens_ever, opens_now;
    UCHAR* cache; /* paged pool */
    ULONG cached;
};

static PDEVICE_OBJECT echo_device;

static struct device_state* state_of(PDEVICE_OBJECT device) {
    return (struct device_state*)device->DeviceExtension;
}

static NTSTATUS complete(PIRP irp, NTSTATUS status, ULONG_PTR information) {
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = information;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

static NTSTATUS NTAPI EchoCreate(PDEVICE_OBJECT device, PIRP irp) {
    struct open_state* open = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof *open, TAG_OPEN);
    if (!open)
        return complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    struct device_state* s = state_of(device);
    open->open_number = ++s->opens_ever;
    open->requests = 0;
    s->opens_now++;
    IoGetCurrentIrpStackLocation(irp)->FileObject->FsContext = open;
    return complete(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS NTAPI EchoClose(PDEVICE_OBJECT device, PIRP irp) {
    PFILE_OBJECT file = IoGetCurrentIrpStackLocation(irp)->FileObject;
    ExFreePoolWithTag(file->FsContext, TAG_OPEN);
    file->FsContext = NULL;
    state_of(device)->opens_now--;
    return complete(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS NTAPI EchoWrite(PDEVICE_OBJECT device, PIRP irp) {
    struct device_state* s = state_of(device);
    ULONG length = IoGetCurrentIrpStackLocation(irp)->Parameters.Write.Length;
    if (length > CACHE_BYTES)
        length = CACHE_BYTES;
    RtlCopyMemory(s->cache, irp->AssociatedIrp.SystemBuffer, length);
    s->cached = length;
    return complete(irp, STATUS_SUCCESS, length);
}

static NTSTATUS NTAPI EchoRead(PDEVICE_OBJECT device, PIRP irp) {
    struct device_state* s = state_of(device);
    ULONG length = IoGetCurrentIrpStackLocation(irp)->Parameters.Read.Length;
    if (length > s->cached)
        length = s->cached;
    RtlCopyMemory(irp->AssociatedIrp.SystemBuffer, s->cache, length);
    return complete(irp, STATUS_SUCCESS, length);
}

static NTSTATUS NTAPI EchoControl(PDEVICE_OBJECT device, PIRP irp) {
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    struct open_state* open = sp->FileObject->FsContext;
    ULONG in = sp->Parameters.DeviceIoControl.InputBufferLength;
    ULONG out = sp->Parameters.DeviceIoControl.OutputBufferLength;
    open->requests++;
    switch (sp->Parameters.DeviceIoControl.IoControlCode) {
        case IOCTL_NTOYECHO_BUFFERED:
            /* One system buffer holds the input and receives the output. */
            if (out < in)
                return complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
            return complete(irp, STATUS_SUCCESS, in);
        case IOCTL_NTOYECHO_NEITHER:
            /* The caller's own pointers, valid here only because this runs in its context. */
            if (out < in)
                return complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
            RtlCopyMemory(irp->UserBuffer, sp->Parameters.DeviceIoControl.Type3InputBuffer, in);
            return complete(irp, STATUS_SUCCESS, in);
        case IOCTL_NTOYECHO_INFO: {
            if (out < sizeof(struct ntoyecho_info))
                return complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
            struct ntoyecho_info* info = irp->AssociatedIrp.SystemBuffer;
            info->process_id = (unsigned)(ULONG_PTR)PsGetCurrentProcessId();
            info->open_number = open->open_number;
            info->requests = open->requests;
            info->opens = state_of(device)->opens_now;
            return complete(irp, STATUS_SUCCESS, sizeof *info);
        }
        default:
            return complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID NTAPI EchoUnload(PDRIVER_OBJECT driver) {
    UNREFERENCED_PARAMETER(driver);
    UNICODE_STRING link = RTL_CONSTANT_STRING(L"\\DosDevices\\NtoyEcho");
    IoDeleteSymbolicLink(&link);
    struct device_state* s = state_of(echo_device);
    DbgPrint("unloading after %u opens\n", s->opens_ever);
    ExFreePoolWithTag(s->cache, TAG_CACHE);
    IoDeleteDevice(echo_device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry) {
    UNREFERENCED_PARAMETER(registry);
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\Device\\NtoyEcho");
    UNICODE_STRING link = RTL_CONSTANT_STRING(L"\\DosDevices\\NtoyEcho");
    NTSTATUS status = IoCreateDevice(driver, sizeof(struct device_state), &name,
                                     FILE_DEVICE_UNKNOWN, 0, FALSE, &echo_device);
    if (!NT_SUCCESS(status))
        return status;
    struct device_state* s = state_of(echo_device);
    s->cache = ExAllocatePool2(POOL_FLAG_PAGED, CACHE_BYTES, TAG_CACHE);
    if (!s->cache) {
        IoDeleteDevice(echo_device);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    status = IoCreateSymbolicLink(&link, &name);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(s->cache, TAG_CACHE);
        IoDeleteDevice(echo_device);
        return status;
    }
    driver->MajorFunction[IRP_MJ_CREATE] = EchoCreate;
    driver->MajorFunction[IRP_MJ_CLOSE] = EchoClose;
    driver->MajorFunction[IRP_MJ_READ] = EchoRead;
    driver->MajorFunction[IRP_MJ_WRITE] = EchoWrite;
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = EchoControl;
    driver->DriverUnload = EchoUnload;
    echo_device->Flags |= DO_BUFFERED_IO;
    echo_device->Flags &= ~DO_DEVICE_INITIALIZING;
    DbgPrint("ready: \\\\.\\NtoyEcho\n");
    return STATUS_SUCCESS;
}
