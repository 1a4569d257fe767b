/* DbgPrint: formatted as msvcrt's printf family formats (the same formatter, msvcrt/printf.c),
 * into a line the kernel writes to stderr, prefixed with the calling driver's name. At most
 * 512 bytes, as Windows' DbgPrint truncates. */
#include "ntoskrnl_private.h"

ULONG __cdecl vDbgPrintEx(ULONG64 caller, PCSTR Format, va_list args);

static ULONG print(ULONG64 caller, PCSTR format, va_list args) {
    char text[512];
    int n = _vsnprintf(text, sizeof text, format, args);
    size_t length = n < 0 ? sizeof text : (size_t)n;
    NtoyKsDebugPrint((ULONG64)text, (ULONG64)length, caller);
    return STATUS_SUCCESS;
}

ULONG __cdecl DbgPrint(PCSTR Format, ...) {
    va_list args;
    va_start(args, Format);
    ULONG status = print(NTOY_CALLER(), Format, args);
    va_end(args);
    return status;
}

/* DbgPrintEx(ComponentId, Level, Format, ...): every component and level is printed. */
ULONG __cdecl DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...) {
    (void)ComponentId;
    (void)Level;
    va_list args;
    va_start(args, Format);
    ULONG status = print(NTOY_CALLER(), Format, args);
    va_end(args);
    return status;
}
