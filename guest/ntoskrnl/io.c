/* The I/O manager's exports: devices, symbolic links and IRP completion. The kernel keeps the
 * names and builds the IRPs (kernel/io/IoManager.cpp); DEVICE_OBJECTs, FILE_OBJECTs and IRPs
 * live in nonpaged pool with the WDK's x64 layouts, checked here. */
#include "ntoskrnl_private.h"

_Static_assert(sizeof(DEVICE_OBJECT) == 0x150, "DEVICE_OBJECT");
_Static_assert(offsetof(DEVICE_OBJECT, DeviceExtension) == 0x40, "DeviceExtension");
_Static_assert(sizeof(FILE_OBJECT) == 0xD8, "FILE_OBJECT");
_Static_assert(offsetof(FILE_OBJECT, FsContext) == 0x18, "FsContext");
_Static_assert(sizeof(IRP) == 0xD0, "IRP");
_Static_assert(offsetof(IRP, AssociatedIrp.SystemBuffer) == 0x18, "SystemBuffer");
_Static_assert(offsetof(IRP, IoStatus) == 0x30, "IoStatus");
_Static_assert(offsetof(IRP, UserBuffer) == 0x70, "UserBuffer");
_Static_assert(offsetof(IRP, Tail.Overlay.CurrentStackLocation) == 0xB8, "CurrentStackLocation");
_Static_assert(sizeof(IO_STACK_LOCATION) == 0x48, "IO_STACK_LOCATION");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.DeviceIoControl.IoControlCode) == 0x18,
               "IoControlCode");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.DeviceIoControl.Type3InputBuffer) == 0x20,
               "Type3InputBuffer");
_Static_assert(offsetof(IO_STACK_LOCATION, FileObject) == 0x30, "FileObject");
_Static_assert(offsetof(DRIVER_OBJECT, MajorFunction) == 0x70, "MajorFunction");

NTSTATUS NTAPI IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize,
                              PUNICODE_STRING DeviceName, DEVICE_TYPE DeviceType,
                              ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                              PDEVICE_OBJECT* DeviceObject) {
    (void)DeviceCharacteristics;
    return (NTSTATUS)NtoyKsCreateDevice((ULONG64)DriverObject, DeviceExtensionSize,
                                        (ULONG64)DeviceName, DeviceType, Exclusive,
                                        (ULONG64)DeviceObject);
}

VOID NTAPI IoDeleteDevice(PDEVICE_OBJECT DeviceObject) {
    NtoyKsDeleteDevice((ULONG64)DeviceObject);
}

NTSTATUS NTAPI IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName) {
    return (NTSTATUS)NtoyKsSymbolicLink((ULONG64)SymbolicLinkName, (ULONG64)DeviceName);
}

NTSTATUS NTAPI IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName) {
    return (NTSTATUS)NtoyKsSymbolicLink((ULONG64)SymbolicLinkName, 0);
}

VOID __fastcall IofCompleteRequest(PIRP Irp, CHAR PriorityBoost) {
    (void)PriorityBoost;
    NtoyKsCompleteRequest((ULONG64)Irp);
}

/* IoCompleteRequest is a macro in the WDK; older drivers import the function too. */
VOID NTAPI NtoyIoCompleteRequest(PIRP Irp, CHAR PriorityBoost) __asm__("IoCompleteRequest");
VOID NTAPI NtoyIoCompleteRequest(PIRP Irp, CHAR PriorityBoost) {
    IofCompleteRequest(Irp, PriorityBoost);
}

/* What every MajorFunction slot a driver leaves alone points at, as Windows' does at
 * IopInvalidDeviceRequest. */
NTSTATUS NTAPI NtoyInvalidDeviceRequest(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    (void)DeviceObject;
    Irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
    Irp->IoStatus.Information = 0;
    IofCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_INVALID_DEVICE_REQUEST;
}

typedef ULONG64 (*driver_routine)(PVOID a, PVOID b);

void NtoyCallDriverRoutine(driver_routine routine, PVOID a, PVOID b) {
    ULONG64 result = routine(a, b);
    NtoyKsRoutineDone(result);
    __builtin_unreachable();
}
