/* Handles: CloseHandle and DuplicateHandle over NtClose and NtDuplicateObject. The kernel
 * checks every handle and right; a failure becomes the last error (STATUS_INVALID_HANDLE is
 * ERROR_INVALID_HANDLE, STATUS_ACCESS_DENIED is ERROR_ACCESS_DENIED). */
#include "kernel32_private.h"

BOOL CloseHandle(HANDLE hObject) {
    NTSTATUS status = NtClose(translate_std_handle(hObject));
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    return TRUE;
}

BOOL DuplicateHandle(HANDLE hSourceProcessHandle, HANDLE hSourceHandle, HANDLE hTargetProcessHandle,
                     LPHANDLE lpTargetHandle, DWORD dwDesiredAccess, BOOL bInheritHandle,
                     DWORD dwOptions) {
    NTSTATUS status = NtDuplicateObject(hSourceProcessHandle, translate_std_handle(hSourceHandle),
                                        hTargetProcessHandle, lpTargetHandle, dwDesiredAccess,
                                        bInheritHandle ? OBJ_INHERIT : 0, dwOptions);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    return TRUE;
}
