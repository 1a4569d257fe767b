/* The environment and the current directory, which live in the process parameters where the
 * kernel (or, on Windows, the parent process) put them: Environment is a block of
 * NAME=VALUE strings in UTF-16, each NUL-terminated, with one more NUL at the end, and
 * EnvironmentSize its size in bytes; CurrentDirectory.DosPath the directory, ending in a
 * backslash.
 *
 * SetEnvironmentVariable builds a new block and points the parameters at it (then frees the
 * block it replaced, unless that was the kernel's), as Windows' RtlSetEnvironmentVariable
 * does, keeping the names sorted case-insensitively. Readers and writers hold one lock (the
 * PEB lock on Windows). Blocks, and the copies GetEnvironmentStrings hands out, are whole
 * allocations of pages: kernel32 has no heap. The ANSI code page is ASCII, as for
 * GetCommandLineA: other characters become '?'. */
#include "kernel32_private.h"
#include "path.h"

static volatile LONG environment_lock;
static PWSTR allocated_block; /* the block kernel32 made, if the parameters point to it */

#define LOCK_SPINS_BEFORE_YIELD 64

static void lock_environment(void) {
    ULONG spins = 0;
    while (__atomic_exchange_n(&environment_lock, 1, __ATOMIC_ACQUIRE) != 0) {
        if (++spins % LOCK_SPINS_BEFORE_YIELD == 0) {
            NtYieldExecution();
        } else {
            __builtin_ia32_pause();
        }
    }
}

static void unlock_environment(void) {
    __atomic_store_n(&environment_lock, 0, __ATOMIC_RELEASE);
}

static PVOID allocate_pages(SIZE_T bytes) {
    PVOID base = NULL;
    SIZE_T size = bytes;
    if (!NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &size,
                                            MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE))) {
        return NULL;
    }
    return base;
}

static BOOL free_pages(PVOID base) {
    SIZE_T size = 0;
    return NT_SUCCESS(NtFreeVirtualMemory(NtCurrentProcess(), &base, &size, MEM_RELEASE));
}

static PWSTR current_block(void) {
    return NTOY_FIELD(ntoy_process_parameters(), NTOY_PARAMS_ENVIRONMENT, PWSTR);
}

static SIZE_T string_length(LPCWSTR text) {
    SIZE_T length = 0;
    while (text[length] != L'\0') {
        ++length;
    }
    return length;
}

/* Characters in BLOCK up to and including its final NUL (1 for an empty block). */
static SIZE_T block_length(LPCWSTR block) {
    if (block == NULL) {
        return 1;
    }
    SIZE_T length = 0;
    while (block[length] != L'\0') {
        length += string_length(block + length) + 1;
    }
    return length + 1;
}

static WCHAR upper(WCHAR c) {
    return c >= L'a' && c <= L'z' ? (WCHAR)(c - L'a' + L'A') : c;
}

/* Where ENTRY's name ends: at its first '=' after the first character (names of the hidden
 * per-drive directories, "=C:", start with one). */
static SIZE_T name_length(LPCWSTR entry) {
    SIZE_T length = entry[0] != L'\0' ? 1 : 0;
    while (entry[length] != L'\0' && entry[length] != L'=') {
        ++length;
    }
    return length;
}

/* The case-insensitive order of NAME (LENGTH characters) and ENTRY's name. */
static int compare_name(LPCWSTR name, SIZE_T length, LPCWSTR entry) {
    SIZE_T entry_length = name_length(entry);
    for (SIZE_T i = 0; i < length && i < entry_length; ++i) {
        WCHAR a = upper(name[i]);
        WCHAR b = upper(entry[i]);
        if (a != b) {
            return a < b ? -1 : 1;
        }
    }
    return length == entry_length ? 0 : (length < entry_length ? -1 : 1);
}

/* The entry named NAME in BLOCK, or NULL. */
static LPCWSTR find_entry(LPCWSTR block, LPCWSTR name, SIZE_T length) {
    if (block == NULL) {
        return NULL;
    }
    for (LPCWSTR entry = block; *entry != L'\0'; entry += string_length(entry) + 1) {
        if (compare_name(name, length, entry) == 0) {
            return entry;
        }
    }
    return NULL;
}

/* ---- Reading ----------------------------------------------------------------------------- */

LPWCH GetEnvironmentStringsW(VOID) {
    lock_environment();
    LPCWSTR block = current_block();
    SIZE_T length = block_length(block);
    /* A block ends in two NULs even when it is empty. */
    PWSTR copy = allocate_pages((length + 1) * sizeof(WCHAR));
    if (copy != NULL) {
        if (block != NULL) {
            memcpy(copy, block, length * sizeof(WCHAR));
        }
        copy[length] = L'\0';
    }
    unlock_environment();
    if (copy == NULL) {
        RtlSetLastWin32Error(ERROR_NOT_ENOUGH_MEMORY);
    }
    return copy;
}

LPCH GetEnvironmentStrings(VOID) {
    lock_environment();
    LPCWSTR block = current_block();
    SIZE_T length = block_length(block);
    LPCH copy = allocate_pages(length + 1);
    if (copy != NULL) {
        for (SIZE_T i = 0; block != NULL && i < length; ++i) {
            copy[i] = block[i] < 0x80 ? (CHAR)block[i] : '?';
        }
        copy[length] = '\0';
    }
    unlock_environment();
    if (copy == NULL) {
        RtlSetLastWin32Error(ERROR_NOT_ENOUGH_MEMORY);
    }
    return copy;
}

BOOL FreeEnvironmentStringsW(LPWCH penv) {
    if (!free_pages(penv)) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    return TRUE;
}

BOOL FreeEnvironmentStringsA(LPCH penv) {
    return FreeEnvironmentStringsW((LPWCH)penv);
}

/* The value's length in characters when it fits in nSize with its NUL; else the size it
 * needs, NUL included; 0 with ERROR_ENVVAR_NOT_FOUND when there is no such variable. */
DWORD GetEnvironmentVariableW(LPCWSTR lpName, LPWSTR lpBuffer, DWORD nSize) {
    SIZE_T length = string_length(lpName);
    lock_environment();
    LPCWSTR entry = find_entry(current_block(), lpName, length);
    DWORD result = 0;
    if (entry != NULL) {
        LPCWSTR value = entry + name_length(entry) + 1;
        SIZE_T value_length = string_length(value);
        if (value_length < nSize) {
            memcpy(lpBuffer, value, (value_length + 1) * sizeof(WCHAR));
            result = (DWORD)value_length;
        } else {
            result = (DWORD)(value_length + 1);
        }
    }
    unlock_environment();
    if (entry == NULL) {
        RtlSetLastWin32Error(ERROR_ENVVAR_NOT_FOUND);
    }
    return result;
}

/* ---- Changing ---------------------------------------------------------------------------- */

BOOL SetEnvironmentVariableW(LPCWSTR lpName, LPCWSTR lpValue) {
    SIZE_T length = lpName != NULL ? string_length(lpName) : 0;
    if (length == 0 || name_length(lpName) != length) { /* empty, or an '=' inside */
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    SIZE_T value_length = lpValue != NULL ? string_length(lpValue) : 0;
    lock_environment();
    PWSTR old_block = current_block();
    SIZE_T old_length = block_length(old_block);
    PWSTR block = allocate_pages((old_length + length + value_length + 2) * sizeof(WCHAR));
    if (block == NULL) {
        unlock_environment();
        RtlSetLastWin32Error(ERROR_NOT_ENOUGH_MEMORY);
        return FALSE;
    }
    /* Every entry but the one replaced, in order, with the new one where its name sorts. */
    SIZE_T out = 0;
    BOOL placed = lpValue == NULL;
    for (LPCWSTR entry = old_block; entry != NULL && *entry != L'\0';) {
        SIZE_T entry_length = string_length(entry);
        int order = compare_name(lpName, length, entry);
        if (order <= 0 && !placed) {
            memcpy(block + out, lpName, length * sizeof(WCHAR));
            out += length;
            block[out++] = L'=';
            memcpy(block + out, lpValue, value_length * sizeof(WCHAR));
            out += value_length;
            block[out++] = L'\0';
            placed = TRUE;
        }
        if (order != 0) {
            memcpy(block + out, entry, (entry_length + 1) * sizeof(WCHAR));
            out += entry_length + 1;
        }
        entry += entry_length + 1;
    }
    if (!placed) {
        memcpy(block + out, lpName, length * sizeof(WCHAR));
        out += length;
        block[out++] = L'=';
        memcpy(block + out, lpValue, value_length * sizeof(WCHAR));
        out += value_length;
        block[out++] = L'\0';
    }
    block[out++] = L'\0';
    BYTE* parameters = ntoy_process_parameters();
    NTOY_FIELD(parameters, NTOY_PARAMS_ENVIRONMENT, PWSTR) = block;
    NTOY_FIELD(parameters, NTOY_PARAMS_ENVIRONMENT_SIZE, SIZE_T) = out * sizeof(WCHAR);
    if (old_block != NULL && old_block == allocated_block) {
        free_pages(old_block);
    }
    allocated_block = block;
    unlock_environment();
    return TRUE;
}

/* ---- The ANSI forms ---------------------------------------------------------------------- */

/* TEXT widened into a new allocation, or NULL (with the last error) when out of memory. A
 * NULL TEXT gives NULL without an error: test TEXT before calling. */
static PWSTR widen(LPCSTR text) {
    SIZE_T length = 0;
    while (text[length] != '\0') {
        ++length;
    }
    PWSTR wide = allocate_pages((length + 1) * sizeof(WCHAR));
    if (wide == NULL) {
        RtlSetLastWin32Error(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    for (SIZE_T i = 0; i <= length; ++i) {
        wide[i] = (WCHAR)(BYTE)text[i];
    }
    return wide;
}

/* The longest value a variable can have, in characters with its NUL (UNICODE_STRING's
 * limit). */
#define MAX_VALUE 32767

DWORD GetEnvironmentVariableA(LPCSTR lpName, LPSTR lpBuffer, DWORD nSize) {
    PWSTR name = widen(lpName);
    PWSTR value = name != NULL ? allocate_pages(MAX_VALUE * sizeof(WCHAR)) : NULL;
    if (value == NULL) {
        if (name != NULL) {
            free_pages(name);
            RtlSetLastWin32Error(ERROR_NOT_ENOUGH_MEMORY);
        }
        return 0;
    }
    DWORD result = GetEnvironmentVariableW(name, value, MAX_VALUE);
    if (result != 0 && result < MAX_VALUE) {
        if (result < nSize) {
            for (DWORD i = 0; i <= result; ++i) {
                lpBuffer[i] = value[i] < 0x80 ? (CHAR)value[i] : '?';
            }
        } else {
            result += 1; /* the size it needs, NUL included */
        }
    }
    free_pages(value);
    free_pages(name);
    return result;
}

BOOL SetEnvironmentVariableA(LPCSTR lpName, LPCSTR lpValue) {
    if (lpName == NULL) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    PWSTR name = widen(lpName);
    if (name == NULL) {
        return FALSE;
    }
    PWSTR value = NULL;
    if (lpValue != NULL) {
        value = widen(lpValue);
        if (value == NULL) {
            free_pages(name);
            return FALSE;
        }
    }
    BOOL result = SetEnvironmentVariableW(name, value);
    if (value != NULL) {
        free_pages(value);
    }
    free_pages(name);
    return result;
}

/* ---- The current directory --------------------------------------------------------------- */

/* The directory without its trailing backslash, unless it is a root ("C:\\"); its length
 * in characters when it fits in nBufferLength with its NUL, else the size it needs, NUL
 * included. */
DWORD GetCurrentDirectoryW(DWORD nBufferLength, LPWSTR lpBuffer) {
    lock_environment();
    const UNICODE_STRING* path =
        &NTOY_FIELD(ntoy_process_parameters(), NTOY_PARAMS_CURRENT_DIRECTORY, UNICODE_STRING);
    SIZE_T length = path->Buffer != NULL ? path->Length / sizeof(WCHAR) : 0;
    if (length > 3 && path->Buffer[length - 1] == L'\\') {
        --length;
    }
    DWORD result;
    if (length < nBufferLength) {
        memcpy(lpBuffer, path->Buffer, length * sizeof(WCHAR));
        lpBuffer[length] = L'\0';
        result = (DWORD)length;
    } else {
        result = (DWORD)(length + 1);
    }
    unlock_environment();
    return result;
}

DWORD GetCurrentDirectoryA(DWORD nBufferLength, LPSTR lpBuffer) {
    PWSTR wide = allocate_pages(MAX_VALUE * sizeof(WCHAR));
    if (wide == NULL) {
        RtlSetLastWin32Error(ERROR_NOT_ENOUGH_MEMORY);
        return 0;
    }
    DWORD result = GetCurrentDirectoryW(MAX_VALUE, wide);
    if (result < MAX_VALUE) {
        if (result < nBufferLength) {
            for (DWORD i = 0; i <= result; ++i) {
                lpBuffer[i] = wide[i] < 0x80 ? (CHAR)wide[i] : '?';
            }
        } else {
            result += 1;
        }
    }
    free_pages(wide);
    return result;
}

/* SetCurrentDirectory's store (path.c checks the directory): the parameters' DosPath then
 * points at kernel32's own buffer, allocated once and reused. */
static PWSTR directory_buffer;
#define DIRECTORY_BUFFER_CHARS NTOY_PATH_CHARS

BOOL ntoy_store_current_directory(LPCWSTR dos, SIZE_T length) {
    if (length + 1 > DIRECTORY_BUFFER_CHARS || (length + 1) * sizeof(WCHAR) > 0xFFFF) {
        RtlSetLastWin32Error(ERROR_FILENAME_EXCED_RANGE);
        return FALSE;
    }
    lock_environment();
    if (directory_buffer == NULL) {
        directory_buffer = allocate_pages(DIRECTORY_BUFFER_CHARS * sizeof(WCHAR));
    }
    if (directory_buffer == NULL) {
        unlock_environment();
        RtlSetLastWin32Error(ERROR_NOT_ENOUGH_MEMORY);
        return FALSE;
    }
    memcpy(directory_buffer, dos, length * sizeof(WCHAR));
    directory_buffer[length] = L'\0';
    UNICODE_STRING* path =
        &NTOY_FIELD(ntoy_process_parameters(), NTOY_PARAMS_CURRENT_DIRECTORY, UNICODE_STRING);
    path->Buffer = directory_buffer;
    path->Length = (USHORT)(length * sizeof(WCHAR));
    path->MaximumLength = (USHORT)(DIRECTORY_BUFFER_CHARS * sizeof(WCHAR) > 0xFFFE
                                       ? 0xFFFE
                                       : DIRECTORY_BUFFER_CHARS * sizeof(WCHAR));
    unlock_environment();
    return TRUE;
}
