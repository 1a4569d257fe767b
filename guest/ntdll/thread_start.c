/* The first instruction of every thread, and the end of every thread (ntoy/process_layout.h).
 *
 * The kernel starts every thread at RtlUserThreadStart(start, argument). On Windows it first
 * runs LdrInitializeThunk, which initialises the process on its first thread (DLLs attached,
 * TLS set up) or the thread on any later one (its TLS, DLL_THREAD_ATTACH), and then continues
 * here, which hands over to kernel32!BaseThreadInitThunk; the net effect is this: initialise,
 * run start(argument), then RtlExitUserThread with its result. */
#include "loader.h"
#include "ntoy/nt_status.h"
#include "ntoy/ntdll_exports.h"
#include "unhandled_filter.h"

/* Set by the first thread to arrive, which is the process's initial thread: nothing else can
 * start a thread in the process before its initial thread runs. */
static volatile LONG process_started;

VOID RtlUserThreadStart(PTHREAD_START_ROUTINE StartAddress, PVOID Argument) {
    if (__atomic_exchange_n(&process_started, 1, __ATOMIC_ACQ_REL) == 0) {
        NTSTATUS status = ldrp_initialize();
        if (!NT_SUCCESS(status)) {
            /* As Windows: the process cannot start and ends with the status, detaching
             * nothing. */
            for (;;) {
                NtTerminateProcess(NtCurrentProcess(), status);
            }
        }
    } else {
        /* A thread started while the initial one still initialises the process (from a
         * DllMain, say) waits here for the loader lock until it is done. */
        NTSTATUS status = ldrp_initialize_thread();
        if (!NT_SUCCESS(status)) {
            for (;;) {
                NtTerminateThread(NtCurrentThread(), status);
            }
        }
    }
    RtlExitUserThread((NTSTATUS)ntoy_run_thread_start(StartAddress, Argument));
}

/* Whether the kernel says the calling thread is its process's last. A kernel without
 * NtQueryInformationThread (STATUS_INVALID_SYSTEM_SERVICE) has no NtCreateThreadEx either and
 * runs one thread per process, so "yes" is exact there. Any other failure says "no": the
 * thread then ends by NtTerminateThread, and if it was the last the kernel ends the process
 * with its status (only DLL_PROCESS_DETACH is missed), where a wrong "yes" would end threads
 * that are still running. */
static BOOLEAN is_last_thread(void) {
    ULONG last = 0;
    NTSTATUS status =
        NtQueryInformationThread(NtCurrentThread(), ThreadAmILastThread, &last, sizeof(last), NULL);
    if (status == STATUS_INVALID_SYSTEM_SERVICE) {
        return TRUE;
    }
    return NT_SUCCESS(status) && last != 0;
}

VOID RtlExitUserThread(NTSTATUS ExitStatus) {
    if (is_last_thread()) {
        RtlExitUserProcess(ExitStatus);
    }
    ldrp_shutdown_thread();
    /* Terminating ourselves does not return; loop rather than run on if it did. */
    for (;;) {
        NtTerminateThread(NtCurrentThread(), ExitStatus);
    }
}
