/* ntoyecho.sys: a correct driver. A device, \Device\NtoyEcho (\\.\NtoyEcho to user mode), that
 * echoes IOCTL buffers with METHOD_BUFFERED, METHOD_IN_DIRECT, METHOD_OUT_DIRECT and
 * METHOD_NEITHER, locks a user buffer with an MDL of its own, keeps per-open state in nonpaged
 * pool (FILE_OBJECT->FsContext) and a cache of the last write in paged pool, which a read
 * returns. A second device, \Device\NtoyEchoDirect, does the same reads and writes with
 * DO_DIRECT_IO. Every dispatch routine runs at PASSIVE_LEVEL in the requesting thread's
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
};

static PDEVICE_OBJECT echo_device, direct_device;
/* Paged pool, the two devices', made at the first write (so during the program: --verify's leak
 * check must wait for the unload routine that frees it). */
static UCHAR* cache;
static ULONG cached;

/* A read's or write's buffer: the system buffer (DO_BUFFERED_IO) or the system mapping of the
 * caller's locked pages (DO_DIRECT_IO). */
static PVOID transfer_buffer(PDEVICE_OBJECT device, PIRP irp) {
    if (device->Flags & DO_DIRECT_IO)
        return irp->MdlAddress ? MmGetSystemAddressForMdlSafe(irp->MdlAddress, NormalPagePriority)
                               : NULL;
    return irp->AssociatedIrp.SystemBuffer;
}

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
    ULONG length = IoGetCurrentIrpStackLocation(irp)->Parameters.Write.Length;
    if (length > CACHE_BYTES)
        length = CACHE_BYTES;
    const PVOID from = transfer_buffer(device, irp);
    if (length != 0 && from == NULL)
        return complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    if (cache == NULL) {
        cache = ExAllocatePool2(POOL_FLAG_PAGED, CACHE_BYTES, TAG_CACHE);
        if (cache == NULL)
            return complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    }
    RtlCopyMemory(cache, from, length);
    cached = length;
    return complete(irp, STATUS_SUCCESS, length);
}

static NTSTATUS NTAPI EchoRead(PDEVICE_OBJECT device, PIRP irp) {
    ULONG length = IoGetCurrentIrpStackLocation(irp)->Parameters.Read.Length;
    if (length > cached)
        length = cached;
    const PVOID to = transfer_buffer(device, irp);
    if (length != 0 && to == NULL)
        return complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    RtlCopyMemory(to, cache, length);
    return complete(irp, STATUS_SUCCESS, length);
}

/* IOCTL_NTOYECHO_LOCKED: the driver's own MDL for the caller's output buffer. */
static NTSTATUS echo_through_own_mdl(PIO_STACK_LOCATION sp, PIRP irp, ULONG in, ULONG out) {
    if (out < in)
        return STATUS_BUFFER_TOO_SMALL;
    if (in == 0)
        return STATUS_SUCCESS;
    PMDL mdl = IoAllocateMdl(irp->UserBuffer, in, FALSE, FALSE, NULL);
    if (mdl == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    /* Raises on a bad buffer: with no handler here, a bad pointer is a bug check; the
     * exceptions example (docs/drivers.md) shows the __try a real driver puts around it. */
    MmProbeAndLockPages(mdl, UserMode, IoWriteAccess);
    UCHAR* to = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute);
    NTSTATUS status = STATUS_INSUFFICIENT_RESOURCES;
    if (to != NULL) {
        RtlCopyMemory(to, sp->Parameters.DeviceIoControl.Type3InputBuffer, in);
        status = STATUS_SUCCESS;
    }
    MmUnlockPages(mdl); /* the system mapping goes with it */
    IoFreeMdl(mdl);
    return status;
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
        case IOCTL_NTOYECHO_OUT_DIRECT: {
            /* The input in the system buffer; the output buffer locked, behind the MDL. */
            if (out < in)
                return complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
            if (in == 0)
                return complete(irp, STATUS_SUCCESS, 0);
            UCHAR* to = MmGetSystemAddressForMdlSafe(irp->MdlAddress, NormalPagePriority);
            if (to == NULL)
                return complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
            RtlCopyMemory(to, irp->AssociatedIrp.SystemBuffer, in);
            return complete(irp, STATUS_SUCCESS, in);
        }
        case IOCTL_NTOYECHO_IN_DIRECT: {
            if (out < in)
                return complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
            if (in == 0)
                return complete(irp, STATUS_SUCCESS, 0);
            const UCHAR* there = MmGetSystemAddressForMdlSafe(irp->MdlAddress, NormalPagePriority);
            if (there == NULL)
                return complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
            const UCHAR* input = irp->AssociatedIrp.SystemBuffer;
            ULONG same = 0;
            while (same < in && there[same] == input[same])
                same++;
            return complete(irp, STATUS_SUCCESS, same);
        }
        case IOCTL_NTOYECHO_LOCKED: {
            const NTSTATUS status = echo_through_own_mdl(sp, irp, in, out);
            return complete(irp, status, NT_SUCCESS(status) ? in : 0);
        }
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
    UNICODE_STRING direct_link = RTL_CONSTANT_STRING(L"\\DosDevices\\NtoyEchoDirect");
    IoDeleteSymbolicLink(&link);
    IoDeleteSymbolicLink(&direct_link);
    DbgPrint("unloading after %u opens\n", state_of(echo_device)->opens_ever);
    if (cache != NULL)
        ExFreePoolWithTag(cache, TAG_CACHE);
    IoDeleteDevice(direct_device);
    IoDeleteDevice(echo_device);
}

/* One device and its \DosDevices\ link. */
static NTSTATUS make_device(PDRIVER_OBJECT driver, PCWSTR device_name, PCWSTR link_name,
                            ULONG io_flag, PDEVICE_OBJECT* device) {
    UNICODE_STRING name, link;
    RtlInitUnicodeString(&name, device_name);
    RtlInitUnicodeString(&link, link_name);
    NTSTATUS status = IoCreateDevice(driver, sizeof(struct device_state), &name,
                                     FILE_DEVICE_UNKNOWN, 0, FALSE, device);
    if (!NT_SUCCESS(status))
        return status;
    status = IoCreateSymbolicLink(&link, &name);
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(*device);
        return status;
    }
    (*device)->Flags |= io_flag;
    (*device)->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry) {
    UNREFERENCED_PARAMETER(registry);
    NTSTATUS status = make_device(driver, L"\\Device\\NtoyEcho", L"\\DosDevices\\NtoyEcho",
                                  DO_BUFFERED_IO, &echo_device);
    if (NT_SUCCESS(status)) {
        status = make_device(driver, L"\\Device\\NtoyEchoDirect", L"\\DosDevices\\NtoyEchoDirect",
                             DO_DIRECT_IO, &direct_device);
        if (!NT_SUCCESS(status)) {
            UNICODE_STRING link = RTL_CONSTANT_STRING(L"\\DosDevices\\NtoyEcho");
            IoDeleteSymbolicLink(&link);
            IoDeleteDevice(echo_device);
        }
    }
    if (!NT_SUCCESS(status))
        return status;
    driver->MajorFunction[IRP_MJ_CREATE] = EchoCreate;
    driver->MajorFunction[IRP_MJ_CLOSE] = EchoClose;
    driver->MajorFunction[IRP_MJ_READ] = EchoRead;
    driver->MajorFunction[IRP_MJ_WRITE] = EchoWrite;
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = EchoControl;
    driver->DriverUnload = EchoUnload;
    DbgPrint("ready: \\\\.\\NtoyEcho\n");
    return STATUS_SUCCESS;
}
