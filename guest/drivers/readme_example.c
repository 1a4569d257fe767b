/* The README's "Writing a driver" example, word for word: built and loaded by the tests, so
 * that the documented recipe keeps working. Unload's DbgPrint is a tail call, which the
 * kernel must still name after this driver. */
#include <ntoy/ntddk.h>

static VOID NTAPI Unload(PDRIVER_OBJECT driver) {
    UNREFERENCED_PARAMETER(driver);
    DbgPrint("bye\n");
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry) {
    UNREFERENCED_PARAMETER(registry);
    DbgPrint("hello at IRQL %u\n", KeGetCurrentIrql());
    driver->DriverUnload = Unload;
    return STATUS_SUCCESS;
}
