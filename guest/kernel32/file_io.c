/* WriteFile and ReadFile over NtWriteFile and NtReadFile, on the console and on files. */
#include "kernel32_private.h"
#include "ntoy/nt_file.h"

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

/* ReadFile over NtReadFile, the mirror of WriteFile. The end of a file is not a failure for
 * a synchronous read: TRUE with 0 bytes read, as on Windows (STATUS_END_OF_FILE). With an
 * OVERLAPPED it is FALSE and ERROR_HANDLE_EOF. */
BOOL ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead,
              LPDWORD lpNumberOfBytesRead, LPOVERLAPPED lpOverlapped) {
    HANDLE file = translate_std_handle(hFile);
    if (lpNumberOfBytesRead != NULL) {
        *lpNumberOfBytesRead = 0;
    }

    if (lpOverlapped != NULL) {
        LARGE_INTEGER offset;
        offset.u.LowPart = lpOverlapped->u.s.Offset;
        offset.u.HighPart = (LONG)lpOverlapped->u.s.OffsetHigh;
        lpOverlapped->Internal = (ULONG_PTR)STATUS_PENDING;
        NTSTATUS status = NtReadFile(file, lpOverlapped->hEvent, NULL,
                                     ((ULONG_PTR)lpOverlapped->hEvent & 1) ? NULL : lpOverlapped,
                                     (PIO_STATUS_BLOCK)lpOverlapped, lpBuffer, nNumberOfBytesToRead,
                                     &offset, NULL);
        if (NT_SUCCESS(status) && status != STATUS_PENDING) {
            if (lpNumberOfBytesRead != NULL) {
                *lpNumberOfBytesRead = (DWORD)lpOverlapped->InternalHigh;
            }
            return TRUE;
        }
        set_last_nt_error(status);
        return FALSE;
    }

    IO_STATUS_BLOCK io_status = {{STATUS_PENDING}, 0};
    NTSTATUS status =
        NtReadFile(file, NULL, NULL, NULL, &io_status, lpBuffer, nNumberOfBytesToRead, NULL, NULL);
    if (status == STATUS_END_OF_FILE) {
        return TRUE;
    }
    if (NT_SUCCESS(status)) {
        if (lpNumberOfBytesRead != NULL) {
            *lpNumberOfBytesRead = (DWORD)io_status.Information;
        }
        return TRUE;
    }
    if (NT_WARNING(status) && lpNumberOfBytesRead != NULL) {
        *lpNumberOfBytesRead = (DWORD)io_status.Information;
    }
    set_last_nt_error(status);
    return FALSE;
}
