/* The command line, as the kernel stored it in the process parameters (UTF-16), and an
 * ANSI copy for GetCommandLineA. */
#include "kernel32_private.h"

static PUNICODE_STRING process_command_line(void) {
    return &NTOY_FIELD(ntoy_process_parameters(), NTOY_PARAMS_COMMAND_LINE, UNICODE_STRING);
}

LPWSTR GetCommandLineW(VOID) {
    return process_command_line()->Buffer;
}

/* Built on first use into kernel32's own data: Windows builds it at process start, so
 * callers expect it to neither fail nor change the last error, and to stay valid for the life
 * of the process. A static buffer (UNICODE_STRING lengths cap a command line at 32767
 * characters) keeps it from allocating: the guest's own page-fault counts stay exact. */
static CHAR ansi_command_line[32768];
static LONG ansi_command_line_ready;

LPSTR GetCommandLineA(VOID) {
    if (__atomic_load_n(&ansi_command_line_ready, __ATOMIC_ACQUIRE)) {
        return ansi_command_line;
    }
    PUNICODE_STRING line = process_command_line();
    SIZE_T length = line->Buffer != NULL ? line->Length / sizeof(WCHAR) : 0;
    if (length >= sizeof ansi_command_line) {
        length = sizeof ansi_command_line - 1;
    }
    /* In the ANSI code page (1252), whose characters are one byte each; those it lacks
     * become '?'. Threads racing here write the same bytes. */
    if (length > 0) {
        WideCharToMultiByte(CP_ACP, 0, line->Buffer, (int)length, ansi_command_line, (int)length,
                            NULL, NULL);
    }
    ansi_command_line[length] = '\0';
    __atomic_store_n(&ansi_command_line_ready, 1, __ATOMIC_RELEASE);
    return ansi_command_line;
}
