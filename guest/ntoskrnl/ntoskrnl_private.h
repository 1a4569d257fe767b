/* ntoskrnl.exe's internals: the kernel-service stubs (ntoy/kernel_services.h), one per entry,
 * each `mov r10, rcx; mov eax, number; syscall; ret` at CPL0. */
#ifndef NTOSKRNL_PRIVATE_H
#define NTOSKRNL_PRIVATE_H

#define NTOY_BUILDING_NTOSKRNL 1
#include "ntoy/kernel_services.h"
#include "ntoy/ntddk.h"

#define NTOY_KS_DECLARE(number, name, argument_count) ULONG64 name();
NTOY_KERNEL_SERVICES(NTOY_KS_DECLARE)
#undef NTOY_KS_DECLARE

/* The address a function returns to: the driver's code that called it, which the kernel
 * names in what it prints (DbgPrint's prefix) and records (who allocated a pool block). */
#define NTOY_CALLER() ((ULONG64)__builtin_return_address(0))

#endif
