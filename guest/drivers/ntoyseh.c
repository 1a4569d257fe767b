/* ntoyseh.sys: structured exception handling in a driver, built with clang for the mingw
 * target (gcc has no __try). DriverEntry shows each way an exception reaches a __try in kernel
 * mode; the device \\.\NtoySafe then does what METHOD_NEITHER drivers must: probe the caller's
 * raw pointers and copy through them inside __try, so that a bad pointer fails the request
 * with STATUS_ACCESS_VIOLATION instead of bringing the machine down. */
#include <ntoy/ntddk.h>

#include "ntoyseh_ioctl.h"

static PDEVICE_OBJECT safe_device;
static volatile ULONG_PTR no_user_memory = 0x10; /* nothing maps it, in the System process */
static volatile LONG finally_ran;

/* Each check prints what it caught (or that nothing was raised). */
static void check(const char* what, NTSTATUS caught) {
    DbgPrint("%s: %s %08x\n", what, caught ? "caught" : "nothing raised", caught);
}

static NTSTATUS raise_and_catch(void) {
    __try {
        ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return 0;
}

static NTSTATUS probe_misaligned(void) {
    __try {
        ProbeForRead((PVOID)0x10001, 8, 4);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return 0;
}

static NTSTATUS probe_kernel_address(void) {
    __try {
        ProbeForWrite((PVOID)safe_device, 8, 1); /* a system address: not the caller's */
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return 0;
}

/* A page fault in a function called from the __try: ntoskrnl's memcpy touching a user
 * address no page maps (this runs in the System process, which has no user half). */
static NTSTATUS fault_in_a_callee(void) {
    char copy[8];
    __try {
        RtlCopyMemory(copy, (PVOID)no_user_memory, sizeof copy);
    } __except (GetExceptionCode() == STATUS_ACCESS_VIOLATION ? EXCEPTION_EXECUTE_HANDLER
                                                              : EXCEPTION_CONTINUE_SEARCH) {
        return GetExceptionCode();
    }
    return 0;
}

static NTSTATUS mdl_of_nothing(void) {
    PMDL mdl = IoAllocateMdl((PVOID)no_user_memory, 64, FALSE, FALSE, NULL);
    if (mdl == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    NTSTATUS caught = 0;
    __try {
        MmProbeAndLockPages(mdl, UserMode, IoReadAccess);
        MmUnlockPages(mdl);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        caught = GetExceptionCode();
    }
    IoFreeMdl(mdl);
    return caught;
}

/* A __finally runs as the unwind to an outer __except passes it. */
static void inner_with_finally(void) {
    __try {
        ExRaiseStatus(STATUS_UNSUCCESSFUL);
    } __finally {
        finally_ran = AbnormalTermination() ? 1 : 2;
    }
}

static NTSTATUS finally_then_except(void) {
    __try {
        inner_with_finally();
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return 0;
}

static NTSTATUS complete(PIRP irp, NTSTATUS status, ULONG_PTR information) {
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = information;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

static NTSTATUS NTAPI SafeOpenClose(PDEVICE_OBJECT device, PIRP irp) {
    UNREFERENCED_PARAMETER(device);
    return complete(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS NTAPI SafeControl(PDEVICE_OBJECT device, PIRP irp) {
    UNREFERENCED_PARAMETER(device);
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    if (sp->Parameters.DeviceIoControl.IoControlCode != IOCTL_NTOYSAFE_COPY)
        return complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    const ULONG in = sp->Parameters.DeviceIoControl.InputBufferLength;
    const ULONG out = sp->Parameters.DeviceIoControl.OutputBufferLength;
    if (out < in)
        return complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
    NTSTATUS status = STATUS_SUCCESS;
    __try {
        ProbeForRead(sp->Parameters.DeviceIoControl.Type3InputBuffer, in, 1);
        ProbeForWrite(irp->UserBuffer, in, 1);
        RtlCopyMemory(irp->UserBuffer, sp->Parameters.DeviceIoControl.Type3InputBuffer, in);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return complete(irp, status, NT_SUCCESS(status) ? in : 0);
}

static VOID NTAPI SafeUnload(PDRIVER_OBJECT driver) {
    UNREFERENCED_PARAMETER(driver);
    UNICODE_STRING link = RTL_CONSTANT_STRING(L"\\DosDevices\\NtoySafe");
    IoDeleteSymbolicLink(&link);
    IoDeleteDevice(safe_device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry) {
    UNREFERENCED_PARAMETER(registry);
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\Device\\NtoySafe");
    UNICODE_STRING link = RTL_CONSTANT_STRING(L"\\DosDevices\\NtoySafe");
    NTSTATUS status = IoCreateDevice(driver, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &safe_device);
    if (!NT_SUCCESS(status))
        return status;
    status = IoCreateSymbolicLink(&link, &name);
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(safe_device);
        return status;
    }
    check("ExRaiseStatus", raise_and_catch());
    check("ProbeForRead, misaligned", probe_misaligned());
    check("ProbeForWrite, a system address", probe_kernel_address());
    check("a page fault in a callee", fault_in_a_callee());
    check("MmProbeAndLockPages of nothing", mdl_of_nothing());
    check("__finally, then __except", finally_then_except());
    DbgPrint("the __finally ran %s\n", finally_ran == 1 ? "abnormally" : "not as it should");
    driver->MajorFunction[IRP_MJ_CREATE] = SafeOpenClose;
    driver->MajorFunction[IRP_MJ_CLOSE] = SafeOpenClose;
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = SafeControl;
    driver->DriverUnload = SafeUnload;
    safe_device->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}
