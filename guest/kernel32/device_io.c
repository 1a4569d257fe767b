/* DeviceIoControl over NtDeviceIoControlFile: a control code to an open device, which its
 * driver's IRP_MJ_DEVICE_CONTROL routine serves. */
#include "kernel32_private.h"
#include "ntoy/nt_file.h"

BOOL DeviceIoControl(HANDLE hDevice, DWORD dwIoControlCode, LPVOID lpInBuffer, DWORD nInBufferSize,
                     LPVOID lpOutBuffer, DWORD nOutBufferSize, LPDWORD lpBytesReturned,
                     LPOVERLAPPED lpOverlapped) {
    if (lpOverlapped != NULL) {
        /* As ReadFile does: the OVERLAPPED doubles as the IO_STATUS_BLOCK. */
        lpOverlapped->Internal = (ULONG_PTR)STATUS_PENDING;
        NTSTATUS status =
            NtDeviceIoControlFile(hDevice, lpOverlapped->hEvent, NULL,
                                  ((ULONG_PTR)lpOverlapped->hEvent & 1) ? NULL : lpOverlapped,
                                  (PIO_STATUS_BLOCK)lpOverlapped, dwIoControlCode, lpInBuffer,
                                  nInBufferSize, lpOutBuffer, nOutBufferSize);
        if (NT_SUCCESS(status) && status != STATUS_PENDING) {
            if (lpBytesReturned != NULL)
                *lpBytesReturned = (DWORD)lpOverlapped->InternalHigh;
            return TRUE;
        }
        set_last_nt_error(status);
        return FALSE;
    }
    IO_STATUS_BLOCK iosb;
    iosb.Information = 0;
    NTSTATUS status = NtDeviceIoControlFile(hDevice, NULL, NULL, NULL, &iosb, dwIoControlCode,
                                            lpInBuffer, nInBufferSize, lpOutBuffer, nOutBufferSize);
    /* Windows reports the bytes returned for a warning (STATUS_BUFFER_OVERFLOW) too. */
    if (lpBytesReturned != NULL)
        *lpBytesReturned = NT_ERROR(status) ? 0 : (DWORD)iosb.Information;
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    return TRUE;
}
