/* The command line, as the kernel stored it in the process parameters (UTF-16), and an
 * ANSI copy for GetCommandLineA. */
#include "kernel32_private.h"

static PUNICODE_STRING process_command_line(void) {
    return &NTOY_FIELD(ntoy_process_parameters(), NTOY_PARAMS_COMMAND_LINE, UNICODE_STRING);
}

LPWSTR GetCommandLineW(VOID) {
    return process_command_line()->Buffer;
}

/* Built on first use; Windows builds it at process start, so callers expect it to neither
 * fail nor change the last error, and to stay valid for the life of the process. */
static LPSTR ansi_command_line;

/* What GetCommandLineA returns if no memory is left for the copy. */
static CHAR empty_command_line[1];

LPSTR GetCommandLineA(VOID) {
    LPSTR existing = __atomic_load_n(&ansi_command_line, __ATOMIC_ACQUIRE);
    if (existing != NULL) {
        return existing;
    }

    PUNICODE_STRING line = process_command_line();
    SIZE_T length = line->Buffer != NULL ? line->Length / sizeof(WCHAR) : 0;
    PVOID copy = NULL;
    SIZE_T copy_size = length + 1;
    /* NtAllocateVirtualMemory rather than VirtualAlloc: a failure must not touch the last
     * error. */
    NTSTATUS status = NtAllocateVirtualMemory(NtCurrentProcess(), &copy, 0, &copy_size,
                                              MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (!NT_SUCCESS(status)) {
        return empty_command_line;
    }

    /* The ANSI code page here is ASCII; other characters become '?', as unmappable ones do
     * in any Windows code page. */
    LPSTR text = copy;
    for (SIZE_T i = 0; i < length; ++i) {
        WCHAR c = line->Buffer[i];
        text[i] = c < 0x80 ? (CHAR)c : '?';
    }
    text[length] = '\0';

    LPSTR expected = NULL;
    if (!__atomic_compare_exchange_n(&ansi_command_line, &expected, text, FALSE, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        /* Another thread published its copy first; use that one. */
        SIZE_T no_size = 0;
        NtFreeVirtualMemory(NtCurrentProcess(), &copy, &no_size, MEM_RELEASE);
        return expected;
    }
    return text;
}
