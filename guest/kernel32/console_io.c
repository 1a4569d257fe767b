/* The console functions over the standard handles. A handle is a console when the kernel
 * says its device is FILE_DEVICE_CONSOLE: a host terminal. A redirected handle (a pipe, a
 * file) is not one, and the console functions fail on it with ERROR_INVALID_HANDLE, as on
 * Windows, which is how C runtimes choose their buffering.
 *
 * The host terminal is UTF-8: GetConsoleCP and GetConsoleOutputCP say CP_UTF8, WriteConsoleA
 * sends its bytes as they are and WriteConsoleW converts UTF-16 to UTF-8 (an unpaired
 * surrogate becomes U+FFFD). ReadConsoleA reads bytes as ReadFile does.
 *
 * The modes are the process's record of what was set, for the input and for the output
 * (Windows' defaults at start); the host terminal keeps its own line editing and echo, which
 * they do not change. */
#include "path.h"

#define CP_UTF8 65001

#define ENABLE_PROCESSED_INPUT 0x0001
#define ENABLE_LINE_INPUT 0x0002
#define ENABLE_ECHO_INPUT 0x0004
#define ENABLE_INSERT_MODE 0x0020
#define ENABLE_QUICK_EDIT_MODE 0x0040
#define ENABLE_EXTENDED_FLAGS 0x0080
#define VALID_INPUT_MODES 0x03FF
#define ENABLE_PROCESSED_OUTPUT 0x0001
#define ENABLE_WRAP_AT_EOL_OUTPUT 0x0002
#define VALID_OUTPUT_MODES 0x001F

static DWORD input_mode = ENABLE_PROCESSED_INPUT | ENABLE_LINE_INPUT | ENABLE_ECHO_INPUT |
                          ENABLE_INSERT_MODE | ENABLE_QUICK_EDIT_MODE | ENABLE_EXTENDED_FLAGS;
static DWORD output_mode = ENABLE_PROCESSED_OUTPUT | ENABLE_WRAP_AT_EOL_OUTPUT;

/* Whether `handle` is a console, and if so whether it is the input; ERROR_INVALID_HANDLE
 * set when it is not a console. */
static BOOL console_of(HANDLE handle, BOOL* is_input) {
    IO_STATUS_BLOCK io;
    FILE_FS_DEVICE_INFORMATION device;
    NTSTATUS status =
        NtQueryVolumeInformationFile(handle, &io, &device, sizeof(device), FileFsDeviceInformation);
    if (!NT_SUCCESS(status) || device.DeviceType != FILE_DEVICE_CONSOLE) {
        RtlSetLastWin32Error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    FILE_ACCESS_INFORMATION access;
    status = NtQueryInformationFile(handle, &io, &access, sizeof(access), FileAccessInformation);
    if (!NT_SUCCESS(status)) {
        RtlSetLastWin32Error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    *is_input = (access.AccessFlags & FILE_READ_DATA) != 0;
    return TRUE;
}

BOOL GetConsoleMode(HANDLE hConsoleHandle, LPDWORD lpMode) {
    BOOL is_input;
    if (!console_of(hConsoleHandle, &is_input)) {
        return FALSE;
    }
    *lpMode = is_input ? input_mode : output_mode;
    return TRUE;
}

BOOL SetConsoleMode(HANDLE hConsoleHandle, DWORD dwMode) {
    BOOL is_input;
    if (!console_of(hConsoleHandle, &is_input)) {
        return FALSE;
    }
    if ((dwMode & ~(is_input ? VALID_INPUT_MODES : VALID_OUTPUT_MODES)) != 0) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if (is_input) {
        input_mode = dwMode;
    } else {
        output_mode = dwMode;
    }
    return TRUE;
}

UINT GetConsoleCP(VOID) {
    return CP_UTF8;
}

UINT GetConsoleOutputCP(VOID) {
    return CP_UTF8;
}

/* One write of `length` bytes to a console output. */
static BOOL write_bytes(HANDLE handle, const CHAR* bytes, DWORD length) {
    IO_STATUS_BLOCK io = {{STATUS_PENDING}, 0};
    NTSTATUS status = NtWriteFile(handle, NULL, NULL, NULL, &io, (PVOID)bytes, length, NULL, NULL);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    return TRUE;
}

BOOL WriteConsoleA(HANDLE hConsoleOutput, const VOID* lpBuffer, DWORD nNumberOfCharsToWrite,
                   LPDWORD lpNumberOfCharsWritten, LPVOID lpReserved) {
    (void)lpReserved;
    HANDLE handle = translate_std_handle(hConsoleOutput);
    BOOL is_input;
    if (lpNumberOfCharsWritten != NULL) {
        *lpNumberOfCharsWritten = 0;
    }
    if (!console_of(handle, &is_input)) {
        return FALSE;
    }
    if (!write_bytes(handle, lpBuffer, nNumberOfCharsToWrite)) {
        return FALSE;
    }
    if (lpNumberOfCharsWritten != NULL) {
        *lpNumberOfCharsWritten = nNumberOfCharsToWrite;
    }
    return TRUE;
}

BOOL WriteConsoleW(HANDLE hConsoleOutput, const VOID* lpBuffer, DWORD nNumberOfCharsToWrite,
                   LPDWORD lpNumberOfCharsWritten, LPVOID lpReserved) {
    (void)lpReserved;
    HANDLE handle = translate_std_handle(hConsoleOutput);
    BOOL is_input;
    if (lpNumberOfCharsWritten != NULL) {
        *lpNumberOfCharsWritten = 0;
    }
    if (!console_of(handle, &is_input)) {
        return FALSE;
    }
    /* In pieces that never split a surrogate pair: at most 4 bytes a character. */
    const WCHAR* text = lpBuffer;
    CHAR utf8[1024];
    DWORD done = 0;
    while (done < nNumberOfCharsToWrite) {
        DWORD count = nNumberOfCharsToWrite - done;
        if (count > sizeof(utf8) / 4) {
            count = sizeof(utf8) / 4;
        }
        if (count > 1 && text[done + count - 1] >= 0xD800 && text[done + count - 1] <= 0xDBFF) {
            --count;
        }
        SIZE_T bytes = ntoy_wide_to_utf8_n(text + done, count, utf8, sizeof(utf8));
        if (!write_bytes(handle, utf8, (DWORD)bytes)) {
            return FALSE;
        }
        done += count;
        if (lpNumberOfCharsWritten != NULL) {
            *lpNumberOfCharsWritten = done;
        }
    }
    return TRUE;
}

BOOL ReadConsoleA(HANDLE hConsoleInput, LPVOID lpBuffer, DWORD nNumberOfCharsToRead,
                  LPDWORD lpNumberOfCharsRead, LPVOID pInputControl) {
    (void)pInputControl; /* only for Unicode reads on Windows */
    HANDLE handle = translate_std_handle(hConsoleInput);
    BOOL is_input;
    if (lpNumberOfCharsRead != NULL) {
        *lpNumberOfCharsRead = 0;
    }
    if (!console_of(handle, &is_input)) {
        return FALSE;
    }
    IO_STATUS_BLOCK io = {{STATUS_PENDING}, 0};
    NTSTATUS status =
        NtReadFile(handle, NULL, NULL, NULL, &io, lpBuffer, nNumberOfCharsToRead, NULL, NULL);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    if (lpNumberOfCharsRead != NULL) {
        *lpNumberOfCharsRead = (DWORD)io.Information;
    }
    return TRUE;
}
