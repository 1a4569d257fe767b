/* GetStartupInfoA/W: the STARTUPINFO the process was started with, read back from its
 * RTL_USER_PROCESS_PARAMETERS as Windows does (WindowTitle, DesktopInfo, ShellInfo, the
 * window fields, RuntimeData for the C runtime's inherited descriptors). The standard handles
 * are reported only when the flags say the creator gave them (STARTF_USESTDHANDLES and the
 * two flags that reuse those fields); without, they are INVALID_HANDLE_VALUE, which Windows
 * documents as "ignored" and callers fall back to GetStdHandle on. */
#include "kernel32_private.h"

/* RTL_USER_PROCESS_PARAMETERS fields past what process_layout.h names (x64 offsets). */
#define PARAMS_STARTING_X 0x88
#define PARAMS_STARTING_Y 0x8C
#define PARAMS_COUNT_X 0x90
#define PARAMS_COUNT_Y 0x94
#define PARAMS_COUNT_CHARS_X 0x98
#define PARAMS_COUNT_CHARS_Y 0x9C
#define PARAMS_FILL_ATTRIBUTE 0xA0
#define PARAMS_WINDOW_FLAGS 0xA4
#define PARAMS_SHOW_WINDOW_FLAGS 0xA8
#define PARAMS_WINDOW_TITLE 0xB0
#define PARAMS_DESKTOP_INFO 0xC0
#define PARAMS_SHELL_INFO 0xD0
#define PARAMS_RUNTIME_DATA 0xE0

VOID GetStartupInfoW(LPSTARTUPINFOW lpStartupInfo) {
    BYTE* params = ntoy_process_parameters();
    lpStartupInfo->cb = sizeof(*lpStartupInfo);
    lpStartupInfo->lpReserved = NTOY_FIELD(params, PARAMS_SHELL_INFO, UNICODE_STRING).Buffer;
    lpStartupInfo->lpDesktop = NTOY_FIELD(params, PARAMS_DESKTOP_INFO, UNICODE_STRING).Buffer;
    lpStartupInfo->lpTitle = NTOY_FIELD(params, PARAMS_WINDOW_TITLE, UNICODE_STRING).Buffer;
    lpStartupInfo->dwX = NTOY_FIELD(params, PARAMS_STARTING_X, DWORD);
    lpStartupInfo->dwY = NTOY_FIELD(params, PARAMS_STARTING_Y, DWORD);
    lpStartupInfo->dwXSize = NTOY_FIELD(params, PARAMS_COUNT_X, DWORD);
    lpStartupInfo->dwYSize = NTOY_FIELD(params, PARAMS_COUNT_Y, DWORD);
    lpStartupInfo->dwXCountChars = NTOY_FIELD(params, PARAMS_COUNT_CHARS_X, DWORD);
    lpStartupInfo->dwYCountChars = NTOY_FIELD(params, PARAMS_COUNT_CHARS_Y, DWORD);
    lpStartupInfo->dwFillAttribute = NTOY_FIELD(params, PARAMS_FILL_ATTRIBUTE, DWORD);
    lpStartupInfo->dwFlags = NTOY_FIELD(params, PARAMS_WINDOW_FLAGS, DWORD);
    lpStartupInfo->wShowWindow = (WORD)NTOY_FIELD(params, PARAMS_SHOW_WINDOW_FLAGS, DWORD);
    const UNICODE_STRING* runtime = &NTOY_FIELD(params, PARAMS_RUNTIME_DATA, UNICODE_STRING);
    lpStartupInfo->cbReserved2 = runtime->Length;
    lpStartupInfo->lpReserved2 = runtime->Length != 0 ? (BYTE*)runtime->Buffer : NULL;
    if (lpStartupInfo->dwFlags & (STARTF_USESTDHANDLES | STARTF_USEHOTKEY | STARTF_SHELLPRIVATE)) {
        lpStartupInfo->hStdInput = NTOY_FIELD(params, NTOY_PARAMS_STANDARD_INPUT, HANDLE);
        lpStartupInfo->hStdOutput = NTOY_FIELD(params, NTOY_PARAMS_STANDARD_OUTPUT, HANDLE);
        lpStartupInfo->hStdError = NTOY_FIELD(params, NTOY_PARAMS_STANDARD_ERROR, HANDLE);
    } else {
        lpStartupInfo->hStdInput = INVALID_HANDLE_VALUE;
        lpStartupInfo->hStdOutput = INVALID_HANDLE_VALUE;
        lpStartupInfo->hStdError = INVALID_HANDLE_VALUE;
    }
}

/* The strings narrowed once into kernel32's data, as Windows keeps one ANSI copy for the
 * process (BaseAnsiStartupInfo): callers keep the pointers. */
static CHAR ansi_strings[3][1024];

static LPSTR narrow(LPCWSTR text, CHAR* buffer) {
    if (text == NULL) {
        return NULL;
    }
    if (WideCharToMultiByte(CP_ACP, 0, text, -1, buffer, sizeof ansi_strings[0], NULL, NULL) == 0) {
        buffer[sizeof ansi_strings[0] - 1] = '\0';
    }
    return buffer;
}

VOID GetStartupInfoA(LPSTARTUPINFOA lpStartupInfo) {
    STARTUPINFOW wide;
    GetStartupInfoW(&wide);
    DWORD error = GetLastError();
    /* Same layout but for the three string pointers. */
    memcpy(lpStartupInfo, &wide, sizeof(*lpStartupInfo));
    lpStartupInfo->lpReserved = narrow(wide.lpReserved, ansi_strings[0]);
    lpStartupInfo->lpDesktop = narrow(wide.lpDesktop, ansi_strings[1]);
    lpStartupInfo->lpTitle = narrow(wide.lpTitle, ansi_strings[2]);
    SetLastError(error);
}
