/* FindFirstFile and its kin over NtQueryDirectoryFile, as kernelbase builds them: the
 * pattern's folder is opened for listing and the file part becomes the query's mask, with
 * Windows' DOS wildcard translation ("*.*" is "*"; '?' becomes DOS_QM, a '*' before a '.'
 * DOS_STAR, a '.' before a wildcard or at the end DOS_DOT), so that "*.txt" does not match
 * "a.txt.bak" and "*." matches names without an extension. A find handle is a heap block with
 * the directory handle and a buffer of entries; ANSI names are UTF-8, ntoy's ANSI code page. */
#include "path.h"

#define SHARE_ALL (FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
#define FIND_MAGIC 0x646E6946u /* "Find" */
#define FIND_BUFFER_BYTES 8192
#define DOS_STAR L'<'
#define DOS_QM L'>'
#define DOS_DOT L'"'

typedef struct FindHandle {
    ULONG magic;
    HANDLE directory;
    ULONG used;   /* bytes of entries in buffer */
    ULONG offset; /* the next entry's */
    ULONGLONG buffer[FIND_BUFFER_BYTES / sizeof(ULONGLONG)];
} FindHandle;

/* The mask as FindFirstFile hands it to the file system; its length. */
static SIZE_T translate_mask(LPCWSTR in, SIZE_T length, PWSTR out) {
    if (length == 3 && in[0] == L'*' && in[1] == L'.' && in[2] == L'*') {
        out[0] = L'*';
        out[1] = 0;
        return 1;
    }
    for (SIZE_T i = 0; i < length; ++i) {
        WCHAR c = in[i], next = i + 1 < length ? in[i + 1] : 0;
        if (c == L'?') {
            c = DOS_QM;
        } else if (c == L'*' && next == L'.') {
            c = DOS_STAR;
        } else if (c == L'.' && (next == L'?' || next == L'*' || next == 0)) {
            c = DOS_DOT;
        }
        out[i] = c;
    }
    out[length] = 0;
    return length;
}

static void copy_entry(const FILE_BOTH_DIR_INFORMATION* e, LPWIN32_FIND_DATAW data) {
    memset(data, 0, sizeof(*data));
    data->dwFileAttributes = e->FileAttributes;
    data->ftCreationTime.dwLowDateTime = e->CreationTime.u.LowPart;
    data->ftCreationTime.dwHighDateTime = (DWORD)e->CreationTime.u.HighPart;
    data->ftLastAccessTime.dwLowDateTime = e->LastAccessTime.u.LowPart;
    data->ftLastAccessTime.dwHighDateTime = (DWORD)e->LastAccessTime.u.HighPart;
    data->ftLastWriteTime.dwLowDateTime = e->LastWriteTime.u.LowPart;
    data->ftLastWriteTime.dwHighDateTime = (DWORD)e->LastWriteTime.u.HighPart;
    data->nFileSizeHigh = (DWORD)e->EndOfFile.u.HighPart;
    data->nFileSizeLow = e->EndOfFile.u.LowPart;
    SIZE_T chars = e->FileNameLength / sizeof(WCHAR);
    if (chars >= MAX_PATH) {
        chars = MAX_PATH - 1; /* names are at most 255 characters: never */
    }
    memcpy(data->cFileName, e->FileName, chars * sizeof(WCHAR));
    SIZE_T short_chars = (SIZE_T)(UCHAR)e->ShortNameLength / sizeof(WCHAR);
    if (short_chars > 13) {
        short_chars = 13;
    }
    memcpy(data->cAlternateFileName, e->ShortName, short_chars * sizeof(WCHAR));
}

/* The next buffered entry into DATA, querying for more when the buffer is spent. */
static BOOL next_entry(FindHandle* find, LPWIN32_FIND_DATAW data, BOOLEAN restart,
                       PUNICODE_STRING mask) {
    if (find->offset >= find->used) {
        IO_STATUS_BLOCK io;
        NTSTATUS status = NtQueryDirectoryFile(find->directory, NULL, NULL, NULL, &io, find->buffer,
                                               sizeof(find->buffer), FileBothDirectoryInformation,
                                               FALSE, mask, restart);
        if (!NT_SUCCESS(status)) {
            RtlSetLastWin32Error(status == STATUS_NO_MORE_FILES  ? ERROR_NO_MORE_FILES
                                 : status == STATUS_NO_SUCH_FILE ? ERROR_FILE_NOT_FOUND
                                                                 : RtlNtStatusToDosError(status));
            return FALSE;
        }
        find->used = (ULONG)io.Information;
        find->offset = 0;
    }
    const FILE_BOTH_DIR_INFORMATION* e =
        (const FILE_BOTH_DIR_INFORMATION*)((const BYTE*)find->buffer + find->offset);
    copy_entry(e, data);
    find->offset = e->NextEntryOffset != 0 ? find->offset + e->NextEntryOffset : find->used;
    return TRUE;
}

HANDLE FindFirstFileExW(LPCWSTR lpFileName, FINDEX_INFO_LEVELS fInfoLevelId, LPVOID lpFindFileData,
                        FINDEX_SEARCH_OPS fSearchOp, LPVOID lpSearchFilter,
                        DWORD dwAdditionalFlags) {
    /* Limiting to directories is advisory on Windows too; case sensitivity needs a per-
     * directory flag ntoy's volume never has. */
    (void)dwAdditionalFlags;
    if (lpFileName == NULL || lpFindFileData == NULL || lpSearchFilter != NULL ||
        (fInfoLevelId != FindExInfoStandard && fInfoLevelId != FindExInfoBasic) ||
        (fSearchOp != FindExSearchNameMatch && fSearchOp != FindExSearchLimitToDirectories)) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return INVALID_HANDLE_VALUE;
    }
    WCHAR* full = RtlAllocateHeap(GetProcessHeap(), 0, NTOY_PATH_CHARS * sizeof(WCHAR));
    NtoyPath* path = RtlAllocateHeap(GetProcessHeap(), 0, sizeof(NtoyPath));
    FindHandle* find = RtlAllocateHeap(GetProcessHeap(), 0, sizeof(FindHandle));
    HANDLE result = INVALID_HANDLE_VALUE;
    if (full == NULL || path == NULL || find == NULL) {
        RtlSetLastWin32Error(ERROR_NOT_ENOUGH_MEMORY);
        goto done;
    }
    DWORD length = GetFullPathNameW(lpFileName, NTOY_PATH_CHARS, full, NULL);
    if (length == 0 || length >= NTOY_PATH_CHARS) {
        if (length != 0) {
            RtlSetLastWin32Error(ERROR_FILENAME_EXCED_RANGE);
        }
        goto done;
    }
    /* The folder is the full path's, less its last component ("C:\dir\*.txt" is "C:\dir",
     * "C:\x" is "C:\"). The mask is the file part as given: the full path drops trailing dots,
     * which "*." needs. A pattern ending in a separator names no file. */
    SIZE_T slash = length;
    while (slash > 0 && full[slash - 1] != L'\\') {
        --slash;
    }
    SIZE_T given = 0, start = 0;
    while (lpFileName[given] != 0) {
        if (lpFileName[given] == L'\\' || lpFileName[given] == L'/' ||
            (given == 1 && lpFileName[1] == L':')) {
            start = given + 1;
        }
        ++given;
    }
    if (slash == length || start == given) {
        RtlSetLastWin32Error(ERROR_FILE_NOT_FOUND);
        goto done;
    }
    WCHAR mask_chars[MAX_PATH + 1];
    SIZE_T mask_length = given - start;
    if (mask_length > MAX_PATH) {
        RtlSetLastWin32Error(ERROR_FILENAME_EXCED_RANGE);
        goto done;
    }
    mask_length = translate_mask(lpFileName + start, mask_length, mask_chars);
    full[slash > 3 ? slash - 1 : slash] = 0; /* keep the root's "C:\" */
    if (!ntoy_nt_path(full, path)) {
        goto done;
    }
    IO_STATUS_BLOCK io;
    NTSTATUS status = NtOpenFile(
        &find->directory, FILE_LIST_DIRECTORY | SYNCHRONIZE, &path->attributes, &io, SHARE_ALL,
        FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT | FILE_OPEN_FOR_BACKUP_INTENT);
    if (!NT_SUCCESS(status)) {
        /* A folder that is missing, or is a file, is a path not found. */
        RtlSetLastWin32Error(status == STATUS_OBJECT_NAME_NOT_FOUND ||
                                     status == STATUS_NOT_A_DIRECTORY
                                 ? ERROR_PATH_NOT_FOUND
                                 : RtlNtStatusToDosError(status));
        goto done;
    }
    find->magic = FIND_MAGIC;
    find->used = find->offset = 0;
    UNICODE_STRING mask;
    mask.Buffer = mask_chars;
    mask.Length = (USHORT)(mask_length * sizeof(WCHAR));
    mask.MaximumLength = mask.Length;
    if (!next_entry(find, lpFindFileData, TRUE, &mask)) {
        NtClose(find->directory);
        goto done;
    }
    result = find;
    find = NULL;
done:
    RtlFreeHeap(GetProcessHeap(), 0, find);
    RtlFreeHeap(GetProcessHeap(), 0, path);
    RtlFreeHeap(GetProcessHeap(), 0, full);
    return result;
}

HANDLE FindFirstFileW(LPCWSTR lpFileName, LPWIN32_FIND_DATAW lpFindFileData) {
    return FindFirstFileExW(lpFileName, FindExInfoStandard, lpFindFileData, FindExSearchNameMatch,
                            NULL, 0);
}

/* The find handle HANDLE names, or NULL with ERROR_INVALID_HANDLE. Like kernelbase, which
 * reads it under an exception handler, a value that is no readable memory is only an invalid
 * handle, never a fault. */
static FindHandle* find_of(HANDLE handle) {
    FindHandle* find = handle;
    MEMORY_BASIC_INFORMATION region;
    BOOL readable =
        find != NULL && handle != INVALID_HANDLE_VALUE &&
        ((ULONG_PTR)find & (sizeof(ULONGLONG) - 1)) == 0 &&
        VirtualQuery(find, &region, sizeof(region)) == sizeof(region) &&
        region.State == MEM_COMMIT && (region.Protect & (PAGE_NOACCESS | PAGE_GUARD)) == 0 &&
        (ULONG_PTR)find + sizeof(find->magic) <= (ULONG_PTR)region.BaseAddress + region.RegionSize;
    if (!readable || find->magic != FIND_MAGIC) {
        RtlSetLastWin32Error(ERROR_INVALID_HANDLE);
        return NULL;
    }
    return find;
}

BOOL FindNextFileW(HANDLE hFindFile, LPWIN32_FIND_DATAW lpFindFileData) {
    FindHandle* find = find_of(hFindFile);
    return find != NULL && next_entry(find, lpFindFileData, FALSE, NULL);
}

BOOL FindClose(HANDLE hFindFile) {
    FindHandle* find = find_of(hFindFile);
    if (find == NULL) {
        return FALSE;
    }
    find->magic = 0;
    NtClose(find->directory);
    RtlFreeHeap(GetProcessHeap(), 0, find);
    return TRUE;
}

/* The ANSI forms: the wide data, names in UTF-8. */
static void narrow_data(const WIN32_FIND_DATAW* in, LPWIN32_FIND_DATAA out) {
    out->dwFileAttributes = in->dwFileAttributes;
    out->ftCreationTime = in->ftCreationTime;
    out->ftLastAccessTime = in->ftLastAccessTime;
    out->ftLastWriteTime = in->ftLastWriteTime;
    out->nFileSizeHigh = in->nFileSizeHigh;
    out->nFileSizeLow = in->nFileSizeLow;
    out->dwReserved0 = in->dwReserved0;
    out->dwReserved1 = in->dwReserved1;
    ntoy_wide_to_utf8(in->cFileName, out->cFileName, sizeof(out->cFileName));
    ntoy_wide_to_utf8(in->cAlternateFileName, out->cAlternateFileName,
                      sizeof(out->cAlternateFileName));
}

HANDLE FindFirstFileA(LPCSTR lpFileName, LPWIN32_FIND_DATAA lpFindFileData) {
    WCHAR name[NTOY_PATH_CHARS];
    WIN32_FIND_DATAW wide;
    if (lpFileName == NULL || lpFindFileData == NULL) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return INVALID_HANDLE_VALUE;
    }
    if (!ntoy_utf8_to_wide(lpFileName, name, NTOY_PATH_CHARS)) {
        return INVALID_HANDLE_VALUE;
    }
    HANDLE find = FindFirstFileW(name, &wide);
    if (find != INVALID_HANDLE_VALUE) {
        narrow_data(&wide, lpFindFileData);
    }
    return find;
}

BOOL FindNextFileA(HANDLE hFindFile, LPWIN32_FIND_DATAA lpFindFileData) {
    WIN32_FIND_DATAW wide;
    if (!FindNextFileW(hFindFile, &wide)) {
        return FALSE;
    }
    narrow_data(&wide, lpFindFileData);
    return TRUE;
}
