/* What every kernel32 source includes: the types, our exports' prototypes, ntdll's, and the
 * few helpers shared inside the DLL. */
#ifndef NTOY_KERNEL32_PRIVATE_H
#define NTOY_KERNEL32_PRIVATE_H

#include "ntoy/nt_status.h"
#include "ntoy/nt_types.h"
#include "ntoy/ntdll_exports.h"
#include "ntoy/teb.h"
#include "ntoy/win32_error.h"
#include "win32_types.h"

#include "kernel32_exports.h"

/* Sets the thread's last error from a failed NTSTATUS (Windows' BaseSetLastNTError). */
static inline void set_last_nt_error(NTSTATUS status) {
    RtlSetLastWin32Error(RtlNtStatusToDosError(status));
}

/* The system's allocation granularity, or 0 when the kernel will not say (system_info.c). */
DWORD ntoy_allocation_granularity(void);

#endif
