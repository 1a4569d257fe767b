/* The per-thread Win32 error and last NTSTATUS, kept in the TEB where Windows keeps them, so
 * code that reads them directly from the TEB sees the same values. */
#include "ntoy/ntdll_exports.h"
#include "ntoy/teb.h"

DWORD RtlGetLastWin32Error(VOID) {
    return NTOY_FIELD(ntoy_current_teb(), NTOY_TEB_LAST_ERROR, DWORD);
}

VOID RtlSetLastWin32Error(DWORD Win32Error) {
    NTOY_FIELD(ntoy_current_teb(), NTOY_TEB_LAST_ERROR, DWORD) = Win32Error;
}

NTSTATUS RtlGetLastNtStatus(VOID) {
    return NTOY_FIELD(ntoy_current_teb(), NTOY_TEB_LAST_STATUS_VALUE, NTSTATUS);
}
