/* The first instruction of every thread: the kernel starts the initial thread here with the
 * executable's entry point and the PEB as arguments (see ntoy/process_layout.h). On Windows
 * the kernel first runs LdrInitializeThunk, which initialises the process (DLLs attached, TLS
 * set up) and then continues here, and this hands over to kernel32!BaseThreadInitThunk;
 * the net effect for a process's only thread is this: initialise, run the entry point, then
 * exit the process (DLLs detached) with its result. */
#include "loader.h"
#include "ntoy/ntdll_exports.h"

VOID RtlUserThreadStart(PTHREAD_START_ROUTINE StartAddress, PVOID Argument) {
    NTSTATUS status = ldrp_initialize();
    if (!NT_SUCCESS(status)) {
        /* As Windows: the process cannot start and ends with the status, detaching nothing. */
        for (;;) {
            NtTerminateProcess(NtCurrentProcess(), status);
        }
    }
    /* The entry point returning is its thread's end; the last thread's end is the
     * process's (RtlExitUserThread on Windows). */
    RtlExitUserProcess((NTSTATUS)StartAddress(Argument));
}
