/* The kernel services: how ntoy's guest ntoskrnl.exe enters the hosted kernel from ring 0, as
 * ntdll.dll enters it from ring 3 (ntoy/syscalls.h). A SYSCALL at CPL0 is a kernel service,
 * numbered from this table; its arguments are those of the x64 calling convention (the first
 * in R10, as the stub moves it there, then RDX, R8, R9 and the stack), its result is RAX.
 * Plain C, shared by the host kernel (kernel/ke/KernelServices.cpp) and ntoskrnl.
 *
 *   X(number, name, argument count) */
#ifndef NTOY_KERNEL_SERVICES_H
#define NTOY_KERNEL_SERVICES_H

/* clang-format off */
#define NTOY_KERNEL_SERVICES(X)                                                                 \
    X(0, NtoyKsEndSystemThread, 1)  /* (status): the thread's start routine returned */        \
    X(1, NtoyKsDebugPrint, 3)       /* (text, length, caller): DbgPrint's line */               \
    X(2, NtoyKsAllocatePool, 4)     /* (POOL_FLAG_*, bytes, tag, caller) -> block or NULL */    \
    X(3, NtoyKsAllocatePoolType, 4) /* (POOL_TYPE, bytes, tag, caller) -> block or NULL */      \
    X(4, NtoyKsFreePool, 3)         /* (block, tag or 0 for ExFreePool, caller) */              \
    X(5, NtoyKsBugCheck, 6)         /* (code, p1, p2, p3, p4, caller): never returns */         \
    X(6, NtoyKsCurrentIds, 1)       /* (0: process id, 1: thread id) */                         \
    X(7, NtoyKsIsAddressValid, 1)   /* (address) -> 1 if a read there would not fault */        \
    X(8, NtoyKsCreateDevice, 6)     /* (driver, extension, name, type, flags, &device) */      \
    X(9, NtoyKsDeleteDevice, 1)     /* (device) */                                             \
    X(10, NtoyKsSymbolicLink, 2)    /* (link name, device name or NULL to delete) */           \
    X(11, NtoyKsCompleteRequest, 1) /* (irp) */                                                \
    X(12, NtoyKsRoutineDone, 1)     /* (result): a routine run in a thread's context ended */   \
    X(13, NtoyKsQueueDpc, 1)        /* (dpc) -> 1 if queued, 0 if it was already */          \
    X(14, NtoyKsProbeAndLockPages, 4) /* (mdl, access mode, operation, caller) -> status */   \
    X(15, NtoyKsUnlockPages, 2)     /* (mdl, caller) */                                        \
    X(16, NtoyKsMapLockedPages, 2)  /* (mdl, caller) -> system address or NULL */              \
    X(17, NtoyKsUnmapLockedPages, 3) /* (address, mdl, caller) */                              \
    X(18, NtoyKsBuildMdlForNonPagedPool, 2) /* (mdl, caller) */                                \
    X(19, NtoyKsFreeMdl, 2)         /* (mdl, caller): IoFreeMdl's check */                   \
    X(20, NtoyKsCreateSystemThread, 5) /* (routine, a, b, &handle, &client id) -> status */    \
    X(21, NtoyKsClose, 1)           /* (kernel handle) -> status */                            \
    X(22, NtoyKsDelay, 2)           /* (interval, as NT timeouts go; alertable) -> status */  \
    X(23, NtoyKsImageBase, 1)       /* (address) -> base of the loaded image holding it, or 0 */ \
    X(24, NtoyKsStackBounds, 1)     /* (0: lowest address, 1: top) of this thread's stack */    \
    X(25, NtoyKsContinue, 1)        /* (CONTEXT): resumes it at CPL0, never returns */          \
    X(26, NtoyKsUnhandledException, 2) /* (record, CONTEXT): KMODE_EXCEPTION_NOT_HANDLED */
/* clang-format on */

#define NTOY_KS_CURRENT_PROCESS_ID 0
#define NTOY_KS_CURRENT_THREAD_ID 1
#define NTOY_KS_CURRENT_PROCESS 2 /* its EPROCESS */
#define NTOY_KS_CURRENT_THREAD 3  /* its ETHREAD */

/* ntoskrnl's entry for a system thread the kernel starts (a driver's DriverEntry, its unload
 * routine, PsCreateSystemThread's start routine): calls ROUTINE(A, B) and ends the thread with
 * what it returned. Exported under this name for the kernel to find. */
#define NTOY_SYSTEM_THREAD_START_EXPORT "NtoySystemThreadStart"

/* ntoskrnl's entry for a driver routine the kernel runs in a thread's context (a dispatch
 * routine for an IRP the thread's system call made): calls ROUTINE(A, B), then
 * NtoyKsRoutineDone with what it returned. */
#define NTOY_CALL_ROUTINE_EXPORT "NtoyCallDriverRoutine"

/* The routine the kernel runs (through NtoyCallDriverRoutine, at DISPATCH_LEVEL) for a queued
 * KDPC: calls its DeferredRoutine with its context and arguments. */
#define NTOY_RUN_DPC_EXPORT "NtoyRunDpc"

/* Where the kernel resumes a thread that took an exception at CPL0, with a CONTEXT and an
 * EXCEPTION_RECORD pushed on its kernel stack as for user mode (ntdll/exception_entry.h). */
#define NTOY_KERNEL_EXCEPTION_EXPORT "NtoyKernelExceptionDispatcher"

/* Where a DRIVER_OBJECT's MajorFunction slots point until the driver sets them. */
#define NTOY_INVALID_REQUEST_EXPORT "NtoyInvalidDeviceRequest"

#endif
