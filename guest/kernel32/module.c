/* Modules: GetModuleHandle, LoadLibrary, FreeLibrary and GetProcAddress over ntdll's loader
 * (LdrGetDllHandle, LdrLoadDll, LdrUnloadDll, LdrGetProcedureAddress), which owns PEB->Ldr
 * and the matching rules; failures become the thread's last error, as in Windows. */
#include "kernel32_private.h"

#define MAX_PATH 260

/* NAME widened into BUFFER (MAX_PATH characters); FALSE, with Windows' error, if it does
 * not fit. */
static BOOL widen_name(LPCSTR name, WCHAR* buffer, UNICODE_STRING* string) {
    SIZE_T length = 0;
    for (; name[length] != '\0'; ++length) {
        if (length == MAX_PATH - 1) {
            RtlSetLastWin32Error(ERROR_FILENAME_EXCED_RANGE);
            return FALSE;
        }
        buffer[length] = (WCHAR)(BYTE)name[length];
    }
    buffer[length] = L'\0';
    string->Length = (USHORT)(length * sizeof(WCHAR));
    string->MaximumLength = (USHORT)((length + 1) * sizeof(WCHAR));
    string->Buffer = buffer;
    return TRUE;
}

static void init_unicode_string(UNICODE_STRING* string, LPCWSTR text) {
    SIZE_T length = 0;
    while (text[length] != L'\0') {
        ++length;
    }
    if (length > 0x7FFE) { /* longer than a UNICODE_STRING holds: no module has that name */
        length = 0x7FFE;
    }
    string->Length = (USHORT)(length * sizeof(WCHAR));
    string->MaximumLength = (USHORT)(string->Length + sizeof(WCHAR));
    string->Buffer = (PWSTR)text;
}

static HMODULE executable_base(void) {
    return NTOY_FIELD(ntoy_current_peb(), NTOY_PEB_IMAGE_BASE, HMODULE);
}

HMODULE GetModuleHandleW(LPCWSTR lpModuleName) {
    if (lpModuleName == NULL) {
        return executable_base();
    }
    UNICODE_STRING name;
    init_unicode_string(&name, lpModuleName);
    PVOID base = NULL;
    NTSTATUS status = LdrGetDllHandle(NULL, NULL, &name, &base);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return NULL;
    }
    return base;
}

HMODULE GetModuleHandleA(LPCSTR lpModuleName) {
    if (lpModuleName == NULL) {
        return executable_base();
    }
    WCHAR buffer[MAX_PATH];
    UNICODE_STRING name;
    if (!widen_name(lpModuleName, buffer, &name)) {
        return NULL;
    }
    return GetModuleHandleW(buffer);
}

HMODULE LoadLibraryW(LPCWSTR lpLibFileName) {
    if (lpLibFileName == NULL) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    UNICODE_STRING name;
    init_unicode_string(&name, lpLibFileName);
    PVOID base = NULL;
    NTSTATUS status = LdrLoadDll(NULL, NULL, &name, &base);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return NULL;
    }
    return base;
}

HMODULE LoadLibraryA(LPCSTR lpLibFileName) {
    if (lpLibFileName == NULL) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    WCHAR buffer[MAX_PATH];
    UNICODE_STRING name;
    if (!widen_name(lpLibFileName, buffer, &name)) {
        return NULL;
    }
    return LoadLibraryW(buffer);
}

BOOL FreeLibrary(HMODULE hLibModule) {
    NTSTATUS status = LdrUnloadDll(hLibModule);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    return TRUE;
}

/* A name whose pointer has no bits above the low word is an ordinal (MAKEINTRESOURCE). A
 * NULL module means the executable, as Windows maps it. */
FARPROC GetProcAddress(HMODULE hModule, LPCSTR lpProcName) {
    if (hModule == NULL) {
        hModule = executable_base();
    }
    PVOID address = NULL;
    NTSTATUS status;
    if (((ULONG_PTR)lpProcName >> 16) == 0) {
        status = LdrGetProcedureAddress(hModule, NULL, (ULONG)(ULONG_PTR)lpProcName, &address);
    } else {
        SIZE_T length = 0;
        while (lpProcName[length] != '\0' && length < 0xFFFF) {
            ++length;
        }
        ANSI_STRING name = {(USHORT)length, (USHORT)length, (CHAR*)lpProcName};
        status = LdrGetProcedureAddress(hModule, &name, 0, &address);
    }
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return NULL;
    }
    return (FARPROC)address;
}
