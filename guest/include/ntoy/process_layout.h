/* The user-mode process environment the kernel builds and the guest DLLs read. Offsets are
 * those of 64-bit Windows, so code that reads the TEB or PEB directly behaves as it would
 * there. Plain C, shared by host and guest. */
#ifndef NTOY_PROCESS_LAYOUT_H
#define NTOY_PROCESS_LAYOUT_H

/* TEB, reached through the GS base. */
#define NTOY_TEB_EXCEPTION_LIST 0x00
#define NTOY_TEB_STACK_BASE 0x08
#define NTOY_TEB_STACK_LIMIT 0x10
#define NTOY_TEB_SELF 0x30
#define NTOY_TEB_CLIENT_ID 0x40
#define NTOY_TEB_PEB 0x60
#define NTOY_TEB_LAST_ERROR 0x68
#define NTOY_TEB_DEALLOCATION_STACK 0x1478
#define NTOY_TEB_SIZE 0x2000

/* PEB */
#define NTOY_PEB_IMAGE_BASE 0x10
#define NTOY_PEB_LDR 0x18
#define NTOY_PEB_PROCESS_PARAMETERS 0x20
#define NTOY_PEB_PROCESS_HEAP 0x30
#define NTOY_PEB_NUMBER_OF_PROCESSORS 0xB8
#define NTOY_PEB_NT_GLOBAL_FLAG 0xBC /* FLG_HEAP_PAGE_ALLOCS (ntoy run --pageheap) */
/* The process's heaps, as Windows lists them: ProcessHeaps points to an array of
 * MaximumNumberOfHeaps handles, of which the first NumberOfHeaps are live (ntdll keeps it;
 * the debugger and reports read it to tell heap memory from other private memory). */
#define NTOY_PEB_NUMBER_OF_HEAPS 0xE8
#define NTOY_PEB_MAXIMUM_NUMBER_OF_HEAPS 0xEC
#define NTOY_PEB_PROCESS_HEAPS 0xF0
#define NTOY_PEB_SIZE 0x1000

/* RTL_USER_PROCESS_PARAMETERS */
#define NTOY_PARAMS_MAXIMUM_LENGTH 0x00
#define NTOY_PARAMS_LENGTH 0x04
#define NTOY_PARAMS_FLAGS 0x08
#define NTOY_PARAMS_STANDARD_INPUT 0x20
#define NTOY_PARAMS_STANDARD_OUTPUT 0x28
#define NTOY_PARAMS_STANDARD_ERROR 0x30
#define NTOY_PARAMS_CURRENT_DIRECTORY 0x38 /* CURDIR: UNICODE_STRING DosPath, then HANDLE */
#define NTOY_PARAMS_IMAGE_PATH_NAME 0x60   /* UNICODE_STRING */
#define NTOY_PARAMS_COMMAND_LINE 0x70      /* UNICODE_STRING */
/* NAME=VALUE\0...\0\0 in UTF-16; NULL for none. kernel32 replaces the block (and its size)
 * when the process changes a variable, so the kernel reads both at process creation only. */
#define NTOY_PARAMS_ENVIRONMENT 0x80
#define NTOY_PARAMS_ENVIRONMENT_SIZE 0x3F0 /* SIZE_T, bytes, both final NULs included */
#define NTOY_PARAMS_SIZE 0x400

/* The console handles the kernel puts in a new process's handle table. */
#define NTOY_HANDLE_STDIN 0x4
#define NTOY_HANDLE_STDOUT 0x8
#define NTOY_HANDLE_STDERR 0xC

/* Every thread starts at ntdll!RtlUserThreadStart(start = rcx, argument = rdx), with its own
 * TEB (GS base; StackBase, StackLimit, DeallocationStack, ClientId, Self and the PEB filled
 * in) and its own stack.
 *
 * The initial thread gets the executable's entry point and the PEB, as on Windows; it
 * initialises the process (ntdll's loader: DLLs attached, DLL_PROCESS_ATTACH) and calls
 * entry(PEB). Every later thread (NtCreateThreadEx: StartRoutine, Argument) first gets its
 * static TLS and DLL_THREAD_ATTACH, then calls start(argument). ntdll tells the two apart by
 * itself: the first thread to arrive is the initial one.
 *
 * Whichever returns ends through RtlExitUserThread(status), as on Windows: if the kernel
 * says (NtQueryInformationThread, ThreadAmILastThread) that it is the process's last thread,
 * the process exits with that status (DLL_PROCESS_DETACH); otherwise DLL_THREAD_DETACH runs,
 * its TLS is freed and NtTerminateThread(NtCurrentThread(), status) ends it. Should a last
 * thread end by NtTerminateThread anyway (TerminateThread, say), the kernel ends the process
 * with that thread's status. */
#define NTOY_THREAD_START_EXPORT "RtlUserThreadStart"

/* User APCs. An APC queued by NtQueueApcThread(thread, routine, argument1, argument2,
 * argument3) is delivered when the thread is in an alertable wait (which then ends with
 * STATUS_USER_APC) or calls NtTestAlert. The kernel pushes the thread's state on its user
 * stack and enters ntdll!KiUserApcDispatcher with
 *
 *     RSP  a CONTEXT (0x4D0 bytes, RSP 16-byte aligned): the interrupted state, with RAX the
 *          status the wait returns (STATUS_USER_APC); nothing follows it
 *     RCX  the routine      RDX  argument1      R8  argument2      R9  argument3
 *
 * The dispatcher calls routine(argument1, argument2, argument3) and then
 * NtContinue(context, TRUE): TRUE tests for alerts, so the kernel delivers the next queued APC
 * the same way before the thread resumes the context. */
#define NTOY_APC_DISPATCHER_EXPORT "KiUserApcDispatcher"

#endif
