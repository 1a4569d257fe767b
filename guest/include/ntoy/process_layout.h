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
#define NTOY_PEB_SIZE 0x1000

/* RTL_USER_PROCESS_PARAMETERS */
#define NTOY_PARAMS_MAXIMUM_LENGTH 0x00
#define NTOY_PARAMS_LENGTH 0x04
#define NTOY_PARAMS_FLAGS 0x08
#define NTOY_PARAMS_STANDARD_INPUT 0x20
#define NTOY_PARAMS_STANDARD_OUTPUT 0x28
#define NTOY_PARAMS_STANDARD_ERROR 0x30
#define NTOY_PARAMS_CURRENT_DIRECTORY 0x38 /* CURDIR: UNICODE_STRING DosPath, HANDLE */
#define NTOY_PARAMS_IMAGE_PATH_NAME 0x60 /* UNICODE_STRING */
#define NTOY_PARAMS_COMMAND_LINE 0x70    /* UNICODE_STRING */
#define NTOY_PARAMS_ENVIRONMENT 0x80      /* PWSTR */
#define NTOY_PARAMS_ENVIRONMENT_SIZE 0x3F0 /* SIZE_T, bytes */
#define NTOY_PARAMS_SIZE 0x400

/* The console handles the kernel puts in a new process's handle table. */
#define NTOY_HANDLE_STDIN 0x4
#define NTOY_HANDLE_STDOUT 0x8
#define NTOY_HANDLE_STDERR 0xC

/* The initial thread starts at ntdll!RtlUserThreadStart(entry = rcx, argument = rdx), with
 * the PEB as the argument, as on Windows; it initialises the process (ntdll's loader: DLLs
 * attached), calls entry(argument) and exits the process with the value returned. */
#define NTOY_THREAD_START_EXPORT "RtlUserThreadStart"

#endif
