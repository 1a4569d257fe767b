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

/* Set by the first thread to arrive, which is the process's initial thread: nothing else can
 * start a thread in the process before its initial thread runs. */
static volatile LONG process_started;

/* RtlUserThreadStart itself is assembly, so that the thread's outermost frame is its own and
 * carries the exception handler that runs the top-level filter (unhandled_filter.c), as
 * Windows' does: it initialises (below), calls start(argument) with the frame in place, and
 * ends the thread with the result. The start routine's caller is RtlUserThreadStart, as on
 * Windows, so a stack trace ends there. An exception the filter executes a handler for
 * unwinds to ntoy_thread_start_except, which ends the process with the code (RAX). */
__attribute__((used)) void ntoy_initialize_thread(void);

__asm__(
    "\t.text\n"
    "\t.p2align 4\n"
    "\t.globl RtlUserThreadStart\n"
    "\t.def RtlUserThreadStart; .scl 2; .type 32; .endef\n"
    "\t.seh_proc RtlUserThreadStart\n"
    "RtlUserThreadStart:\n"
    "\tsubq $0x38, %rsp\n"
    "\t.seh_stackalloc 0x38\n"
    "\t.seh_endprologue\n"
    "\t.seh_handler ntoy_thread_start_handler, @except\n"
    "\tmovq %rcx, 0x20(%rsp)\n"
    "\tmovq %rdx, 0x28(%rsp)\n"
    "\tcall ntoy_initialize_thread\n"
    "\tmovq 0x28(%rsp), %rcx\n"
    "\tcall *0x20(%rsp)\n"
    "\tnop\n"
    "\tmovl %eax, %ecx\n"
    "\tcall RtlExitUserThread\n"
    "\tud2\n"
    "\t.globl ntoy_thread_start_except\n"
    "ntoy_thread_start_except:\n"
    "\tmovl %eax, %edx\n"
    "\tmovq $-1, %rcx\n"
    "\tcall NtTerminateProcess\n"
    "\tud2\n"
    "\t.seh_endproc\n");

void ntoy_initialize_thread(void) {
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
