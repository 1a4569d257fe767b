/* FormatMessageA/W: a message from a string (FORMAT_MESSAGE_FROM_STRING) or from the system's
 * message table (FORMAT_MESSAGE_FROM_SYSTEM: the English texts of the common Win32 errors,
 * exactly as Windows has them, "\r\n" included), with its inserts (%1 to %99, with an optional
 * printf-style !format!) taken from a va_list or, with FORMAT_MESSAGE_ARGUMENT_ARRAY, an
 * array; FORMAT_MESSAGE_IGNORE_INSERTS copies them as they are. The escapes %0 (end, no line
 * break), %n (CR LF), %r (CR), %t (tab), %space, %., %!, %% work as documented.
 * FORMAT_MESSAGE_ALLOCATE_BUFFER returns a LocalAlloc'd buffer of at least nSize characters.
 *
 * Not supported: line widths other than 0 (as written) and FORMAT_MESSAGE_MAX_WIDTH_MASK
 * (ERROR_INVALID_PARAMETER), "*" widths in insert formats (ignored), and message tables in
 * modules (no ntoy module has one, so FORMAT_MESSAGE_FROM_HMODULE alone is
 * ERROR_RESOURCE_TYPE_NOT_FOUND, as for a module without one on Windows). An id the system table
 * lacks is ERROR_MR_MID_NOT_FOUND. */
#include "kernel32_private.h"

#define FORMAT_MESSAGE_ALLOCATE_BUFFER 0x00000100
#define FORMAT_MESSAGE_IGNORE_INSERTS 0x00000200
#define FORMAT_MESSAGE_FROM_STRING 0x00000400
#define FORMAT_MESSAGE_FROM_HMODULE 0x00000800
#define FORMAT_MESSAGE_FROM_SYSTEM 0x00001000
#define FORMAT_MESSAGE_ARGUMENT_ARRAY 0x00002000
#define FORMAT_MESSAGE_MAX_WIDTH_MASK 0x000000FF

#define ERROR_RESOURCE_TYPE_NOT_FOUND 1813
#define ERROR_RESOURCE_LANG_NOT_FOUND 1815

typedef struct SystemMessage {
    DWORD Id;
    const char* Text;
} SystemMessage;

static const SystemMessage system_messages[] = {
    {0, "The operation completed successfully.\r\n"},
    {1, "Incorrect function.\r\n"},
    {2, "The system cannot find the file specified.\r\n"},
    {3, "The system cannot find the path specified.\r\n"},
    {4, "The system cannot open the file.\r\n"},
    {5, "Access is denied.\r\n"},
    {6, "The handle is invalid.\r\n"},
    {8, "Not enough memory resources are available to process this command.\r\n"},
    {14, "Not enough memory resources are available to complete this operation.\r\n"},
    {18, "There are no more files.\r\n"},
    {31, "A device attached to the system is not functioning.\r\n"},
    {32, "The process cannot access the file because it is being used by another process.\r\n"},
    {38, "Reached the end of the file.\r\n"},
    {50, "The request is not supported.\r\n"},
    {80, "The file exists.\r\n"},
    {87, "The parameter is incorrect.\r\n"},
    {109, "The pipe has been ended.\r\n"},
    {112, "There is not enough space on the disk.\r\n"},
    {122, "The data area passed to a system call is too small.\r\n"},
    {123, "The filename, directory name, or volume label syntax is incorrect.\r\n"},
    {126, "The specified module could not be found.\r\n"},
    {127, "The specified procedure could not be found.\r\n"},
    {161, "The specified path is invalid.\r\n"},
    {183, "Cannot create a file when that file already exists.\r\n"},
    {193, "%1 is not a valid Win32 application.\r\n"},
    {203, "The system could not find the environment option that was entered.\r\n"},
    {206, "The filename or extension is too long.\r\n"},
    {234, "More data is available.\r\n"},
    {259, "No more data is available.\r\n"},
    {267, "The directory name is invalid.\r\n"},
    {288, "Attempt to release mutex not owned by caller.\r\n"},
    {298, "Too many posts were made to a semaphore.\r\n"},
    {299, "Only part of a ReadProcessMemory or WriteProcessMemory request was completed.\r\n"},
    {487, "Attempt to access invalid address.\r\n"},
    {995,
     "The I/O operation has been aborted because of either a thread exit or an application "
     "request.\r\n"},
    {997, "Overlapped I/O operation is in progress.\r\n"},
    {998, "Invalid access to memory location.\r\n"},
    {1004, "Invalid flags.\r\n"},
    {1113, "No mapping for the Unicode character exists in the target multi-byte code page.\r\n"},
    {1114, "A dynamic link library (DLL) initialization routine failed.\r\n"},
    {1168, "Element not found.\r\n"},
    {1455, "The paging file is too small for this operation to complete.\r\n"},
    {1460, "This operation returned because the timeout period expired.\r\n"},
    {1816, "Not enough quota is available to process this command.\r\n"},
};

/* The output as it grows, on the process heap. */
typedef struct Output {
    WCHAR* Text;
    SIZE_T Length;
    SIZE_T Capacity;
    BOOL Failed;
} Output;

static void put(Output* out, WCHAR c) {
    if (out->Failed) {
        return;
    }
    if (out->Length == out->Capacity) {
        SIZE_T capacity = out->Capacity == 0 ? 256 : out->Capacity * 2;
        WCHAR* grown =
            out->Text == NULL
                ? RtlAllocateHeap(GetProcessHeap(), 0, capacity * sizeof(WCHAR))
                : RtlReAllocateHeap(GetProcessHeap(), 0, out->Text, capacity * sizeof(WCHAR));
        if (grown == NULL) {
            out->Failed = TRUE;
            return;
        }
        out->Text = grown;
        out->Capacity = capacity;
    }
    out->Text[out->Length++] = c;
}

/* One insert's argument formatted by SPEC (between the !s: flags, width, precision, size and
 * conversion), as printf would; ANSI says what %s means (FormatMessageA's strings). */
static void put_argument(Output* out, const WCHAR* spec, SIZE_T spec_length, ULONG_PTR argument,
                         BOOL ansi) {
    BOOL left = FALSE, zero = FALSE, plus = FALSE, space = FALSE, alternate = FALSE;
    SIZE_T i = 0;
    for (; i < spec_length; ++i) {
        if (spec[i] == L'-') {
            left = TRUE;
        } else if (spec[i] == L'0') {
            zero = TRUE;
        } else if (spec[i] == L'+') {
            plus = TRUE;
        } else if (spec[i] == L' ') {
            space = TRUE;
        } else if (spec[i] == L'#') {
            alternate = TRUE;
        } else {
            break;
        }
    }
    SIZE_T width = 0;
    for (; i < spec_length && spec[i] >= L'0' && spec[i] <= L'9'; ++i) {
        width = width * 10 + (spec[i] - L'0');
    }
    SIZE_T precision = (SIZE_T)-1;
    if (i < spec_length && spec[i] == L'.') {
        precision = 0;
        for (++i; i < spec_length && spec[i] >= L'0' && spec[i] <= L'9'; ++i) {
            precision = precision * 10 + (spec[i] - L'0');
        }
    }
    BOOL wide_string = !ansi, is64 = FALSE, is16 = FALSE;
    for (; i + 1 < spec_length; ++i) {
        if (spec[i] == L'l' || spec[i] == L'w') {
            wide_string = TRUE;
        } else if (spec[i] == L'h') {
            wide_string = FALSE;
            is16 = TRUE;
        } else if (spec[i] == L'I' && i + 3 < spec_length + 1 && spec[i + 1] == L'6' &&
                   spec[i + 2] == L'4') {
            is64 = TRUE;
            i += 2;
        }
    }
    WCHAR conversion = i < spec_length ? spec[i] : L's';
    WCHAR digits[72];
    SIZE_T count = 0;
    const void* text = NULL;
    BOOL text_wide = TRUE;
    WCHAR sign = 0;
    switch (conversion) {
        case L's':
        case L'S':
            text = (const void*)argument;
            text_wide = conversion == L's' ? wide_string : !wide_string;
            if (text == NULL) {
                text = L"(null)";
                text_wide = TRUE;
            }
            break;
        case L'c':
        case L'C':
            digits[count++] = (WCHAR)(argument & 0xFFFF);
            break;
        default: {
            ULONGLONG value = argument;
            if (!is64 && conversion != L'p') {
                value = is16 ? (value & 0xFFFF) : (value & 0xFFFFFFFF);
            }
            ULONG base = 10;
            if (conversion == L'd' || conversion == L'i') {
                LONGLONG signed_value = is64   ? (LONGLONG)value
                                        : is16 ? (SHORT)value
                                               : (LONG)(ULONG)value;
                if (signed_value < 0) {
                    sign = L'-';
                    value = (ULONGLONG)(-signed_value);
                } else if (plus || space) {
                    sign = plus ? L'+' : L' ';
                }
            } else if (conversion == L'x' || conversion == L'X' || conversion == L'p') {
                base = 16;
            } else if (conversion == L'o') {
                base = 8;
            }
            const char* alphabet = conversion == L'x' ? "0123456789abcdef" : "0123456789ABCDEF";
            WCHAR reversed[64];
            SIZE_T n = 0;
            do {
                reversed[n++] = (WCHAR)alphabet[value % base];
                value /= base;
            } while (value != 0);
            SIZE_T minimum = conversion == L'p' ? 16 : precision == (SIZE_T)-1 ? 1 : precision;
            while (n < minimum && n < 64) {
                reversed[n++] = L'0';
            }
            if (alternate && base == 16 && argument != 0) {
                digits[count++] = L'0';
                digits[count++] = conversion == L'X' ? L'X' : L'x';
            }
            while (n > 0) {
                digits[count++] = reversed[--n];
            }
            break;
        }
    }
    SIZE_T length = 0;
    if (text != NULL) {
        while ((text_wide ? ((const WCHAR*)text)[length] : ((const CHAR*)text)[length]) != 0 &&
               length < precision) {
            ++length;
        }
    } else {
        length = count + (sign != 0);
    }
    SIZE_T pad = width > length ? width - length : 0;
    if (!left && !(zero && text == NULL)) {
        for (SIZE_T p = 0; p < pad; ++p) {
            put(out, L' ');
        }
    }
    if (sign != 0) {
        put(out, sign);
    }
    if (!left && zero && text == NULL) {
        for (SIZE_T p = 0; p < pad; ++p) {
            put(out, L'0');
        }
    }
    if (text != NULL) {
        if (text_wide) {
            for (SIZE_T c = 0; c < length; ++c) {
                put(out, ((const WCHAR*)text)[c]);
            }
        } else {
            for (SIZE_T c = 0; c < length; ++c) {
                WCHAR w;
                MultiByteToWideChar(CP_ACP, 0, (const CHAR*)text + c, 1, &w, 1);
                put(out, w);
            }
        }
    } else {
        for (SIZE_T c = 0; c < count; ++c) {
            put(out, digits[c]);
        }
    }
    if (left) {
        for (SIZE_T p = 0; p < pad; ++p) {
            put(out, L' ');
        }
    }
}

/* Formats SOURCE into OUT; FALSE (with the last error) when an insert has no argument. */
static BOOL format(Output* out, const WCHAR* source, DWORD flags, const ULONG_PTR* arguments,
                   BOOL ansi) {
    for (const WCHAR* p = source; *p != 0;) {
        if (*p != L'%') {
            put(out, *p++);
            continue;
        }
        const WCHAR* start = p++;
        if (*p >= L'1' && *p <= L'9') {
            ULONG number = (ULONG)(*p++ - L'0');
            if (*p >= L'0' && *p <= L'9') {
                number = number * 10 + (ULONG)(*p++ - L'0');
            }
            const WCHAR* spec = L"s";
            SIZE_T spec_length = 1;
            if (*p == L'!') {
                const WCHAR* end = p + 1;
                while (*end != 0 && *end != L'!') {
                    ++end;
                }
                if (*end == L'!') {
                    spec = p + 1;
                    spec_length = (SIZE_T)(end - spec);
                    p = end + 1;
                }
            }
            if (flags & FORMAT_MESSAGE_IGNORE_INSERTS) {
                for (const WCHAR* c = start; c < p; ++c) {
                    put(out, *c);
                }
                continue;
            }
            if (arguments == NULL) {
                SetLastError(ERROR_INVALID_PARAMETER);
                return FALSE;
            }
            put_argument(out, spec, spec_length, arguments[number - 1], ansi);
            continue;
        }
        switch (*p) {
            case 0:
                return TRUE; /* a lone % at the end */
            case L'0':
                return TRUE;
            case L'n':
                put(out, L'\r');
                put(out, L'\n');
                break;
            case L'r':
                put(out, L'\r');
                break;
            case L't':
                put(out, L'\t');
                break;
            default: /* %%, %space, %., %! and any other: the character itself */
                put(out, *p);
                break;
        }
        ++p;
    }
    return TRUE;
}

/* The message text as UTF-16 in *TEXT (on the process heap), or FALSE with the last error. */
static BOOL find_source(DWORD flags, LPCVOID source, DWORD id, DWORD language, BOOL ansi,
                        WCHAR** text) {
    if (flags & FORMAT_MESSAGE_FROM_STRING) {
        if (source == NULL) {
            SetLastError(ERROR_INVALID_PARAMETER);
            return FALSE;
        }
        if (!ansi) {
            SIZE_T length = 0;
            while (((const WCHAR*)source)[length] != 0) {
                ++length;
            }
            *text = RtlAllocateHeap(GetProcessHeap(), 0, (length + 1) * sizeof(WCHAR));
            if (*text == NULL) {
                SetLastError(ERROR_NOT_ENOUGH_MEMORY);
                return FALSE;
            }
            memcpy(*text, source, (length + 1) * sizeof(WCHAR));
            return TRUE;
        }
        int length = MultiByteToWideChar(CP_ACP, 0, source, -1, NULL, 0);
        *text = RtlAllocateHeap(GetProcessHeap(), 0, (SIZE_T)length * sizeof(WCHAR));
        if (*text == NULL) {
            SetLastError(ERROR_NOT_ENOUGH_MEMORY);
            return FALSE;
        }
        MultiByteToWideChar(CP_ACP, 0, source, -1, *text, length);
        return TRUE;
    }
    if ((flags & FORMAT_MESSAGE_FROM_SYSTEM) == 0) {
        SetLastError((flags & FORMAT_MESSAGE_FROM_HMODULE) ? ERROR_RESOURCE_TYPE_NOT_FOUND
                                                           : ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    /* Neutral (primary language 0) or English (9). */
    DWORD primary = language & 0x3FF;
    if (primary != 0 && primary != 9) {
        SetLastError(ERROR_RESOURCE_LANG_NOT_FOUND);
        return FALSE;
    }
    for (SIZE_T i = 0; i < sizeof(system_messages) / sizeof(system_messages[0]); ++i) {
        if (system_messages[i].Id == id) {
            int length = MultiByteToWideChar(CP_ACP, 0, system_messages[i].Text, -1, NULL, 0);
            *text = RtlAllocateHeap(GetProcessHeap(), 0, (SIZE_T)length * sizeof(WCHAR));
            if (*text == NULL) {
                SetLastError(ERROR_NOT_ENOUGH_MEMORY);
                return FALSE;
            }
            MultiByteToWideChar(CP_ACP, 0, system_messages[i].Text, -1, *text, length);
            return TRUE;
        }
    }
    SetLastError(ERROR_MR_MID_NOT_FOUND);
    return FALSE;
}

/* The formatted message as UTF-16 (heap), its length in *LENGTH; NULL with the last error. */
static WCHAR* format_message(DWORD flags, LPCVOID source, DWORD id, DWORD language,
                             va_list* arguments, BOOL ansi, SIZE_T* length) {
    DWORD width = flags & FORMAT_MESSAGE_MAX_WIDTH_MASK;
    if (width != 0) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    WCHAR* text = NULL;
    if (!find_source(flags, source, id, language, ansi, &text)) {
        return NULL;
    }
    /* On x64 a va_list walks 8-byte slots, so either way the arguments are an array. */
    const ULONG_PTR* array = arguments == NULL ? NULL
                             : (flags & FORMAT_MESSAGE_ARGUMENT_ARRAY)
                                 ? (const ULONG_PTR*)arguments
                                 : (const ULONG_PTR*)*arguments;
    Output out = {NULL, 0, 0, FALSE};
    BOOL ok = format(&out, text, flags, array, ansi);
    RtlFreeHeap(GetProcessHeap(), 0, text);
    put(&out, 0);
    if (!ok || out.Failed) {
        if (out.Failed) {
            SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        }
        RtlFreeHeap(GetProcessHeap(), 0, out.Text);
        return NULL;
    }
    *length = out.Length - 1;
    return out.Text;
}

DWORD FormatMessageW(DWORD dwFlags, LPCVOID lpSource, DWORD dwMessageId, DWORD dwLanguageId,
                     LPWSTR lpBuffer, DWORD nSize, va_list* Arguments) {
    if (lpBuffer == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return 0;
    }
    SIZE_T length = 0;
    WCHAR* text =
        format_message(dwFlags, lpSource, dwMessageId, dwLanguageId, Arguments, FALSE, &length);
    if (text == NULL) {
        return 0;
    }
    WCHAR* target = lpBuffer;
    if (dwFlags & FORMAT_MESSAGE_ALLOCATE_BUFFER) {
        SIZE_T size = length + 1 > nSize ? length + 1 : nSize;
        target = LocalAlloc(LMEM_FIXED, size * sizeof(WCHAR));
        if (target == NULL) {
            RtlFreeHeap(GetProcessHeap(), 0, text);
            SetLastError(ERROR_NOT_ENOUGH_MEMORY);
            return 0;
        }
        *(LPWSTR*)lpBuffer = target;
    } else if (length + 1 > nSize) {
        RtlFreeHeap(GetProcessHeap(), 0, text);
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return 0;
    }
    memcpy(target, text, (length + 1) * sizeof(WCHAR));
    RtlFreeHeap(GetProcessHeap(), 0, text);
    return (DWORD)length;
}

DWORD FormatMessageA(DWORD dwFlags, LPCVOID lpSource, DWORD dwMessageId, DWORD dwLanguageId,
                     LPSTR lpBuffer, DWORD nSize, va_list* Arguments) {
    if (lpBuffer == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return 0;
    }
    SIZE_T length = 0;
    WCHAR* text =
        format_message(dwFlags, lpSource, dwMessageId, dwLanguageId, Arguments, TRUE, &length);
    if (text == NULL) {
        return 0;
    }
    /* One byte per character in the ANSI code page. */
    CHAR* target = lpBuffer;
    if (dwFlags & FORMAT_MESSAGE_ALLOCATE_BUFFER) {
        SIZE_T size = length + 1 > nSize ? length + 1 : nSize;
        target = LocalAlloc(LMEM_FIXED, size);
        if (target == NULL) {
            RtlFreeHeap(GetProcessHeap(), 0, text);
            SetLastError(ERROR_NOT_ENOUGH_MEMORY);
            return 0;
        }
        *(LPSTR*)lpBuffer = target;
    } else if (length + 1 > nSize) {
        RtlFreeHeap(GetProcessHeap(), 0, text);
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return 0;
    }
    WideCharToMultiByte(CP_ACP, 0, text, (int)length + 1, target, (int)length + 1, NULL, NULL);
    RtlFreeHeap(GetProcessHeap(), 0, text);
    return (DWORD)length;
}
