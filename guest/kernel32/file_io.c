/* WriteFile over NtWriteFile. */
#include "kernel32_private.h"

BOOL WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite,
               LPDWORD lpNumberOfBytesWritten, LPOVERLAPPED lpOverlapped) {
    HANDLE file = translate_std_handle(hFile);
    if (lpNumberOfBytesWritten != NULL) {
        *lpNumberOfBytesWritten = 0;
    }

    if (lpOverlapped != NULL) {
        /* The OVERLAPPED doubles as the IO_STATUS_BLOCK and carries the file offset. */
        LARGE_INTEGER offset;
        offset.u.LowPart = lpOverlapped->u.s.Offset;
        offset.u.HighPart = (LONG)lpOverlapped->u.s.OffsetHigh;
        lpOverlapped->Internal = (ULONG_PTR)STATUS_PENDING;
        NTSTATUS status = NtWriteFile(file, lpOverlapped->hEvent, NULL,
                                      ((ULONG_PTR)lpOverlapped->hEvent & 1) ? NULL : lpOverlapped,
                                      (PIO_STATUS_BLOCK)lpOverlapped, (PVOID)lpBuffer,
                                      nNumberOfBytesToWrite, &offset, NULL);
        if (NT_SUCCESS(status) && status != STATUS_PENDING) {
            if (lpNumberOfBytesWritten != NULL) {
                *lpNumberOfBytesWritten = (DWORD)lpOverlapped->InternalHigh;
            }
            return TRUE;
        }
        /* STATUS_PENDING becomes ERROR_IO_PENDING: the write is under way. */
        set_last_nt_error(status);
        return FALSE;
    }

    /* Without an OVERLAPPED the handle is synchronous and the kernel completes the write
     * before NtWriteFile returns, so the status block is final when we read it. */
    IO_STATUS_BLOCK io_status = {{STATUS_PENDING}, 0};
    NTSTATUS status = NtWriteFile(file, NULL, NULL, NULL, &io_status, (PVOID)lpBuffer,
                                  nNumberOfBytesToWrite, NULL, NULL);
    if (NT_SUCCESS(status)) {
        if (lpNumberOfBytesWritten != NULL) {
            *lpNumberOfBytesWritten = (DWORD)io_status.Information;
        }
        return TRUE;
    }
    /* A warning status still reports how much was written. */
    if (NT_WARNING(status) && lpNumberOfBytesWritten != NULL) {
        *lpNumberOfBytesWritten = (DWORD)io_status.Information;
    }
    set_last_nt_error(status);
    return FALSE;
}
