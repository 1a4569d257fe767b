/* DOS paths to full paths and NT paths, as Windows' RtlGetFullPathName_U and
 * RtlDosPathNameToNtPathName_U do, and the current directory's setter.
 *
 * A full path is drive-absolute ("C:\dir\file"): relative names resolve against the current
 * directory, a rooted name ("\dir") against its drive, '/' is a separator like '\', repeated
 * separators collapse, "." goes, ".." removes the component before it but never the drive's
 * root (so "C:\..\.." is "C:\"), and trailing dots and spaces leave the last component. A
 * DOS device name as the last component (CON, NUL, AUX, PRN, COM1-9, LPT1-9, with any
 * extension) is the device itself, "\\.\NUL". "\\?\" names pass unchanged; "\\.\" names
 * and UNC names ("\\server\share") keep their form. The NT path is "\??\" before the full
 * path ("\??\UNC\server\share" for UNC): the kernel then decides what exists, and refuses
 * every NT path that is not under its drive C:.
 *
 * Names longer than NTOY_PATH_CHARS characters are ERROR_FILENAME_EXCED_RANGE. The ANSI
 * functions take and give UTF-8. */
#include "path.h"
#include "kernel32_private.h"

static BOOL is_separator(WCHAR c) {
    return c == L'\\' || c == L'/';
}

static WCHAR upcase(WCHAR c) {
    return c >= L'a' && c <= L'z' ? (WCHAR)(c - L'a' + L'A') : c;
}

static SIZE_T wide_length(LPCWSTR s) {
    SIZE_T n = 0;
    while (s[n] != L'\0') {
        ++n;
    }
    return n;
}

static BOOL is_drive_letter(WCHAR c) {
    c = upcase(c);
    return c >= L'A' && c <= L'Z';
}

/* Whether `name` (n characters, a last component) is a DOS device name: CON, PRN, AUX, NUL,
 * COM1-9 or LPT1-9, before any extension or trailing spaces. */
static BOOL is_dos_device(LPCWSTR name, SIZE_T n) {
    SIZE_T base = 0;
    while (base < n && name[base] != L'.' && name[base] != L':') {
        ++base;
    }
    while (base > 0 && name[base - 1] == L' ') {
        --base;
    }
    WCHAR up[4];
    if (base == 3 || base == 4) {
        for (SIZE_T i = 0; i < base; ++i) {
            up[i] = upcase(name[i]);
        }
    } else {
        return FALSE;
    }
    if (base == 3) {
        static const WCHAR devices[4][3] = {
            {L'C', L'O', L'N'}, {L'P', L'R', L'N'}, {L'A', L'U', L'X'}, {L'N', L'U', L'L'}};
        for (int d = 0; d < 4; ++d) {
            if (up[0] == devices[d][0] && up[1] == devices[d][1] && up[2] == devices[d][2]) {
                return TRUE;
            }
        }
        return FALSE;
    }
    BOOL com = up[0] == L'C' && up[1] == L'O' && up[2] == L'M';
    BOOL lpt = up[0] == L'L' && up[1] == L'P' && up[2] == L'T';
    return (com || lpt) && up[3] >= L'1' && up[3] <= L'9';
}

/* Appends the components of `rest` to `out` (which holds `length` characters and ends at a
 * root of `root_length` characters or a component), resolving "." and "..". Returns the new
 * length, or (SIZE_T)-1 when it would not fit. */
static SIZE_T append_components(PWSTR out, SIZE_T length, SIZE_T root_length, LPCWSTR rest,
                                SIZE_T capacity) {
    while (*rest != L'\0') {
        while (is_separator(*rest)) {
            ++rest;
        }
        if (*rest == L'\0') {
            break;
        }
        SIZE_T n = 0;
        while (rest[n] != L'\0' && !is_separator(rest[n])) {
            ++n;
        }
        BOOL last = rest[n] == L'\0';
        if (n == 1 && rest[0] == L'.') {
            /* nothing */
        } else if (n == 2 && rest[0] == L'.' && rest[1] == L'.') {
            while (length > root_length && out[length - 1] != L'\\') {
                --length;
            }
            if (length > root_length) {
                --length; /* the separator before the removed component */
            }
        } else {
            SIZE_T keep = n;
            if (last) {
                while (keep > 0 && (rest[keep - 1] == L'.' || rest[keep - 1] == L' ')) {
                    --keep;
                }
            }
            if (keep > 0) {
                if (length + 1 + keep >= capacity) {
                    return (SIZE_T)-1;
                }
                if (length > 0 && out[length - 1] != L'\\') {
                    out[length++] = L'\\';
                }
                for (SIZE_T i = 0; i < keep; ++i) {
                    out[length++] = rest[i];
                }
            }
        }
        rest += n;
    }
    return length;
}

SIZE_T ntoy_full_path(LPCWSTR name, PWSTR out, SIZE_T capacity, DWORD* error) {
    SIZE_T name_length = wide_length(name);
    *error = ERROR_SUCCESS;
    if (name_length == 0) {
        *error = ERROR_PATH_NOT_FOUND;
        return 0;
    }
    if (name_length >= capacity) {
        *error = ERROR_FILENAME_EXCED_RANGE;
        return 0;
    }
    /* "\\?\": taken as it is. */
    if (is_separator(name[0]) && is_separator(name[1]) && name[2] == L'?' &&
        is_separator(name[3])) {
        for (SIZE_T i = 0; i <= name_length; ++i) {
            out[i] = name[i];
        }
        return name_length;
    }
    /* A DOS device as the last component ("NUL", "C:\\dir\\con.txt") is the device. */
    SIZE_T last = name_length;
    while (last > 0 && !is_separator(name[last - 1])) {
        --last;
    }
    if (last == 0 && name_length >= 2 && name[1] == L':') {
        last = 2;
    }
    if (!(is_separator(name[0]) && is_separator(name[1])) && last < name_length &&
        is_dos_device(name + last, name_length - last)) {
        static const WCHAR prefix[] = L"\\\\.\\";
        SIZE_T n = 0;
        for (; prefix[n] != L'\0'; ++n) {
            out[n] = prefix[n];
        }
        for (SIZE_T i = last;
             i < name_length && name[i] != L'.' && name[i] != L':' && name[i] != L' '; ++i) {
            out[n++] = upcase(name[i]);
        }
        out[n] = L'\0';
        return n;
    }

    SIZE_T length = 0, root_length = 0;
    LPCWSTR rest = name;
    if (is_separator(name[0]) && is_separator(name[1])) {
        /* UNC "\\server\share\..." or a device "\\.\name": the prefix and the first two
         * components are the root. */
        out[0] = L'\\';
        out[1] = L'\\';
        length = 2;
        rest = name + 2;
        for (int part = 0; part < 2 && *rest != L'\0'; ++part) {
            while (*rest != L'\0' && !is_separator(*rest)) {
                out[length++] = *rest++;
            }
            if (*rest != L'\0') {
                out[length++] = L'\\';
                ++rest;
            }
        }
        root_length = length;
        if (length > 2 && out[length - 1] == L'\\' && *rest == L'\0') {
            out[length] = L'\0';
            return length;
        }
    } else if (name_length >= 2 && name[1] == L':' && is_drive_letter(name[0]) &&
               is_separator(name[2])) {
        out[0] = upcase(name[0]);
        out[1] = L':';
        out[2] = L'\\';
        length = root_length = 3;
        rest = name + 3;
    } else {
        /* Relative to the current directory, or to its drive's root. */
        DWORD current = GetCurrentDirectoryW((DWORD)capacity, out);
        if (current == 0 || current >= capacity) {
            *error = ERROR_FILENAME_EXCED_RANGE;
            return 0;
        }
        root_length = 3;
        if (name_length >= 2 && name[1] == L':' && is_drive_letter(name[0])) {
            if (upcase(name[0]) != upcase(out[0])) { /* another drive: its root */
                out[0] = upcase(name[0]);
                current = 3;
            }
            rest = name + 2;
        } else if (is_separator(name[0])) {
            current = 3;
            rest = name;
        }
        out[1] = L':';
        out[2] = L'\\';
        length = current;
        if (length > root_length && out[length - 1] == L'\\') {
            --length;
        }
    }
    BOOL trailing = is_separator(name[name_length - 1]);
    length = append_components(out, length, root_length, rest, capacity);
    if (length == (SIZE_T)-1 || length + 2 >= capacity) {
        *error = ERROR_FILENAME_EXCED_RANGE;
        return 0;
    }
    if (trailing && length > root_length && out[length - 1] != L'\\') {
        out[length++] = L'\\';
    }
    out[length] = L'\0';
    return length;
}

BOOL ntoy_nt_path(LPCWSTR name, NtoyPath* path) {
    WCHAR full[NTOY_PATH_CHARS];
    DWORD error;
    SIZE_T length = ntoy_full_path(name, full, NTOY_PATH_CHARS, &error);
    if (length == 0) {
        RtlSetLastWin32Error(error);
        return FALSE;
    }
    SIZE_T n = 0, skip = 0;
    PWSTR out = path->buffer;
    out[n++] = L'\\';
    out[n++] = L'?';
    out[n++] = L'?';
    out[n++] = L'\\';
    if (full[0] == L'\\' && full[1] == L'\\') {
        if ((full[2] == L'?' || full[2] == L'.') && full[3] == L'\\') {
            skip = 4; /* "\\?\x" and "\\.\x" are "\??\x" */
        } else {
            static const WCHAR unc[] = L"UNC\\";
            for (SIZE_T i = 0; unc[i] != L'\0'; ++i) {
                out[n++] = unc[i];
            }
            skip = 2;
        }
    }
    if (n + length - skip + 1 > NTOY_PATH_CHARS + 8) {
        RtlSetLastWin32Error(ERROR_FILENAME_EXCED_RANGE);
        return FALSE;
    }
    for (SIZE_T i = skip; i <= length; ++i) {
        out[n++] = full[i];
    }
    path->string.Buffer = path->buffer;
    path->string.Length = (USHORT)((n - 1) * sizeof(WCHAR));
    path->string.MaximumLength = (USHORT)(n * sizeof(WCHAR));
    path->attributes.Length = sizeof(OBJECT_ATTRIBUTES);
    path->attributes.RootDirectory = NULL;
    path->attributes.ObjectName = &path->string;
    path->attributes.Attributes = OBJ_CASE_INSENSITIVE;
    path->attributes.SecurityDescriptor = NULL;
    path->attributes.SecurityQualityOfService = NULL;
    return TRUE;
}

DWORD GetFullPathNameW(LPCWSTR lpFileName, DWORD nBufferLength, LPWSTR lpBuffer,
                       LPWSTR* lpFilePart) {
    WCHAR full[NTOY_PATH_CHARS];
    DWORD error;
    if (lpFileName == NULL) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return 0;
    }
    SIZE_T length = ntoy_full_path(lpFileName, full, NTOY_PATH_CHARS, &error);
    if (length == 0) {
        RtlSetLastWin32Error(error);
        return 0;
    }
    if (length >= nBufferLength) {
        return (DWORD)(length + 1);
    }
    for (SIZE_T i = 0; i <= length; ++i) {
        lpBuffer[i] = full[i];
    }
    if (lpFilePart != NULL) {
        SIZE_T part = length;
        while (part > 0 && lpBuffer[part - 1] != L'\\') {
            --part;
        }
        *lpFilePart = part < length ? lpBuffer + part : NULL;
    }
    return (DWORD)length;
}

DWORD GetFullPathNameA(LPCSTR lpFileName, DWORD nBufferLength, LPSTR lpBuffer, LPSTR* lpFilePart) {
    WCHAR name[NTOY_PATH_CHARS];
    WCHAR full[NTOY_PATH_CHARS];
    if (lpFileName == NULL) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return 0;
    }
    if (!ntoy_utf8_to_wide(lpFileName, name, NTOY_PATH_CHARS)) {
        return 0;
    }
    DWORD length = GetFullPathNameW(name, NTOY_PATH_CHARS, full, NULL);
    if (length == 0 || length >= NTOY_PATH_CHARS) {
        return 0;
    }
    SIZE_T needed = ntoy_wide_to_utf8(full, NULL, 0);
    if (needed >= nBufferLength) {
        return (DWORD)(needed + 1);
    }
    ntoy_wide_to_utf8(full, lpBuffer, nBufferLength);
    if (lpFilePart != NULL) {
        SIZE_T part = needed;
        while (part > 0 && lpBuffer[part - 1] != '\\') {
            --part;
        }
        *lpFilePart = part < needed ? lpBuffer + part : NULL;
    }
    return (DWORD)needed;
}

BOOL SetCurrentDirectoryW(LPCWSTR lpPathName) {
    if (lpPathName == NULL) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    NtoyPath path;
    if (!ntoy_nt_path(lpPathName, &path)) {
        return FALSE;
    }
    /* It must be a directory that exists: open it as one. */
    HANDLE handle;
    IO_STATUS_BLOCK io;
    NTSTATUS status = NtOpenFile(&handle, SYNCHRONIZE | FILE_TRAVERSE, &path.attributes, &io,
                                 FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                 FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    NtClose(handle);
    /* The DOS form, ending in a backslash as the process parameters keep it. */
    LPCWSTR dos = path.buffer + 4;
    SIZE_T length = path.string.Length / sizeof(WCHAR) - 4;
    if (length > 0 && dos[length - 1] != L'\\') {
        path.buffer[4 + length] = L'\\';
        path.buffer[4 + length + 1] = L'\0';
        ++length;
    }
    return ntoy_store_current_directory(dos, length);
}

BOOL SetCurrentDirectoryA(LPCSTR lpPathName) {
    WCHAR name[NTOY_PATH_CHARS];
    if (lpPathName == NULL) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if (!ntoy_utf8_to_wide(lpPathName, name, NTOY_PATH_CHARS)) {
        return FALSE;
    }
    return SetCurrentDirectoryW(name);
}
