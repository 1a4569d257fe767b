/* What a program learns about itself at start-up: GetStartupInfoA/W, GetModuleFileNameA/W
 * (the executable's path as the process parameters' ImagePathName has it), GetModuleHandleEx
 * and GetCommandLineA/W. */
#include <windows.h>
#include <winternl.h>

#include "../framework/ntoy_test.h"

static BOOL ends_with_ignoring_case(const WCHAR* text, const WCHAR* suffix) {
    int length = 0, suffix_length = 0;
    while (text[length] != 0) {
        ++length;
    }
    while (suffix[suffix_length] != 0) {
        ++suffix_length;
    }
    if (suffix_length > length) {
        return FALSE;
    }
    for (int i = 0; i < suffix_length; ++i) {
        WCHAR a = text[length - suffix_length + i], b = suffix[i];
        a = a >= 'A' && a <= 'Z' ? a + 32 : a;
        b = b >= 'A' && b <= 'Z' ? b + 32 : b;
        if (a != b) {
            return FALSE;
        }
    }
    return TRUE;
}

static void test_startup_info(void) {
    STARTUPINFOW wide;
    wide.cb = 0;
    GetStartupInfoW(&wide);
    CHECK_DEC("GetStartupInfoW: cb", wide.cb, sizeof(STARTUPINFOW));
    CHECK_TRUE("GetStartupInfoW: lpReserved2 only with cbReserved2",
               wide.cbReserved2 != 0 || wide.lpReserved2 == NULL);
    STARTUPINFOA ansi;
    ansi.cb = 0;
    GetStartupInfoA(&ansi);
    CHECK_DEC("GetStartupInfoA: cb", ansi.cb, sizeof(STARTUPINFOA));
    CHECK_EQ("GetStartupInfoA: dwFlags as W's", ansi.dwFlags, wide.dwFlags);
    CHECK_EQ("GetStartupInfoA: wShowWindow as W's", ansi.wShowWindow, wide.wShowWindow);
    if (wide.dwFlags & STARTF_USESTDHANDLES) {
        CHECK_EQ("STARTF_USESTDHANDLES: hStdOutput as A's", (ULONG_PTR)ansi.hStdOutput,
                 (ULONG_PTR)wide.hStdOutput);
    }
}

static void test_module_file_name(void) {
    WCHAR path[MAX_PATH];
    SetLastError(0);
    DWORD length = GetModuleFileNameW(NULL, path, MAX_PATH);
    CHECK_TRUE("GetModuleFileNameW(NULL) succeeds", length > 0 && length < MAX_PATH);
    CHECK_DEC("GetModuleFileNameW: NUL at the length", path[length], 0);
    CHECK_TRUE("GetModuleFileNameW(NULL) names process_info.exe",
               ends_with_ignoring_case(path, L"process_info.exe"));
    /* The PEB from the TEB (gs:0x60): NtCurrentTeb trips gcc 12's -Warray-bounds. */
    PEB* peb;
    __asm__("movq %%gs:0x60, %0" : "=r"(peb));
    const UNICODE_STRING* image = &peb->ProcessParameters->ImagePathName;
    BOOL same = image->Length == length * sizeof(WCHAR);
    for (DWORD i = 0; same && i < length; ++i) {
        same = image->Buffer[i] == path[i];
    }
    CHECK_TRUE("GetModuleFileNameW(NULL) is ImagePathName", same);
    CHECK_DEC("GetModuleFileNameW(exe base) is the same length",
              GetModuleFileNameW(GetModuleHandleW(NULL), path, MAX_PATH), length);

    WCHAR small[5];
    SetLastError(0);
    CHECK_DEC("too small a buffer: returns its size", GetModuleFileNameW(NULL, small, 5), 5);
    CHECK_DEC("too small: ERROR_INSUFFICIENT_BUFFER", GetLastError(), 122);
    CHECK_DEC("too small: NUL-terminated", small[4], 0);
    CHECK_EQ("too small: the start of the path", small[0], path[0]);

    char ansi[MAX_PATH];
    CHECK_DEC("GetModuleFileNameA(NULL): the same length", GetModuleFileNameA(NULL, ansi, MAX_PATH),
              length);
    CHECK_EQ("GetModuleFileNameA: the same last character", (BYTE)ansi[length - 1],
             path[length - 1]);
    char ansi_small[3];
    SetLastError(0);
    CHECK_DEC("A, too small: returns its size", GetModuleFileNameA(NULL, ansi_small, 3), 3);
    CHECK_DEC("A, too small: ERROR_INSUFFICIENT_BUFFER", GetLastError(), 122);
    CHECK_DEC("A, too small: NUL-terminated", ansi_small[2], 0);

    length = GetModuleFileNameW(GetModuleHandleW(L"kernel32.dll"), path, MAX_PATH);
    CHECK_TRUE("GetModuleFileNameW(kernel32) names kernel32.dll",
               length > 0 && ends_with_ignoring_case(path, L"kernel32.dll"));
    SetLastError(0);
    CHECK_DEC("GetModuleFileNameW(not a module) fails",
              GetModuleFileNameW((HMODULE)(ULONG_PTR)0x10000, path, MAX_PATH), 0);
    CHECK_DEC("not a module: ERROR_MOD_NOT_FOUND", GetLastError(), 126);
}

static void test_module_handle_ex(void) {
    HMODULE module = (HMODULE)1;
    CHECK_TRUE("GetModuleHandleExW(FROM_ADDRESS) of our own code",
               GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                                      GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                                  (LPCWSTR)(void*)test_module_handle_ex, &module));
    CHECK_EQ("FROM_ADDRESS: the executable", (ULONG_PTR)module, (ULONG_PTR)GetModuleHandleW(NULL));
    HMODULE kernel32 = GetModuleHandleW(L"kernel32.dll");
    CHECK_TRUE("GetModuleHandleExW(FROM_ADDRESS) of a kernel32 function",
               GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                                      GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                                  (LPCWSTR)(void*)GetProcAddress(kernel32, "GetACP"), &module));
    CHECK_EQ("FROM_ADDRESS: kernel32", (ULONG_PTR)module, (ULONG_PTR)kernel32);
    CHECK_TRUE("GetModuleHandleExA(0, \"kernel32.dll\")",
               GetModuleHandleExA(0, "kernel32.dll", &module));
    CHECK_EQ("GetModuleHandleExA: kernel32", (ULONG_PTR)module, (ULONG_PTR)kernel32);
    CHECK_TRUE("the reference it took is given back", FreeLibrary(module));
    SetLastError(0);
    module = (HMODULE)1;
    CHECK_TRUE("GetModuleHandleExW of a DLL not loaded fails",
               !GetModuleHandleExW(0, L"not_loaded_anywhere.dll", &module));
    CHECK_DEC("not loaded: ERROR_MOD_NOT_FOUND", GetLastError(), 126);
    CHECK_EQ("not loaded: *phModule is NULL", (ULONG_PTR)module, 0);
    SetLastError(0);
    CHECK_TRUE("GetModuleHandleExW without phModule fails", !GetModuleHandleExW(0, NULL, NULL));
    CHECK_DEC("without phModule: ERROR_INVALID_PARAMETER", GetLastError(), 87);
    SetLastError(0);
    CHECK_TRUE("PIN with UNCHANGED_REFCOUNT fails",
               !GetModuleHandleExW(
                   GET_MODULE_HANDLE_EX_FLAG_PIN | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                   NULL, &module));
    CHECK_DEC("PIN with UNCHANGED_REFCOUNT: ERROR_INVALID_PARAMETER", GetLastError(), 87);
}

static void test_command_line(void) {
    const WCHAR* wide = GetCommandLineW();
    const char* ansi = GetCommandLineA();
    BOOL same = TRUE;
    int i = 0;
    for (; same && wide[i] != 0; ++i) {
        same = wide[i] < 0x80 ? (BYTE)ansi[i] == wide[i] : ansi[i] != 0;
    }
    CHECK_TRUE("GetCommandLineA is GetCommandLineW in the ANSI code page", same && ansi[i] == 0);
    CHECK_EQ("GetCommandLineA: the same pointer each time", (ULONG_PTR)GetCommandLineA(),
             (ULONG_PTR)ansi);
}

int start(void) {
    test_startup_info();
    test_module_file_name();
    test_module_handle_ex();
    test_command_line();
    return test_done();
}
