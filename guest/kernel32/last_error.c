/* GetLastError/SetLastError: the TEB's LastErrorValue, through ntdll as on Windows. */
#include "kernel32_private.h"

DWORD GetLastError(VOID) {
    return RtlGetLastWin32Error();
}

VOID SetLastError(DWORD dwErrCode) {
    RtlSetLastWin32Error(dwErrCode);
}
