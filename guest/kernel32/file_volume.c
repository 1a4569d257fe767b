/* Files and volumes by handle and by name beyond file.c, over the NT calls as kernelbase
 * makes them: GetFileInformationByHandle, SetFileAttributesW, SetFileTime, MoveFileExW,
 * CreateHardLinkW, GetDiskFreeSpaceExW, GetVolumeInformationW, GetTempPathW and
 * GetTimeZoneInformation, and the volume enumeration. Whatever the kernel does not support
 * (say, an information class it refuses) fails with the error its status maps to. ntoy has
 * no mount manager, so FindFirstVolumeW fails with ERROR_NOT_SUPPORTED and no volume find
 * handle ever exists. */
#include "path.h"

#define SHARE_ALL (FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
#define MOVEFILE_REPLACE_EXISTING 0x1
#define MOVEFILE_COPY_ALLOWED 0x2
#define MOVEFILE_DELAY_UNTIL_REBOOT 0x4
#define MOVEFILE_WRITE_THROUGH 0x8
#define TIME_ZONE_ID_UNKNOWN 0

static FILETIME filetime_of(LARGE_INTEGER time) {
    FILETIME out = {time.u.LowPart, (DWORD)time.u.HighPart};
    return out;
}

BOOL GetFileInformationByHandle(HANDLE hFile, LPBY_HANDLE_FILE_INFORMATION lpFileInformation) {
    HANDLE file = translate_std_handle(hFile);
    IO_STATUS_BLOCK io;
    FILE_FS_VOLUME_INFORMATION volume;
    FILE_BASIC_INFORMATION basic;
    FILE_STANDARD_INFORMATION standard;
    FILE_INTERNAL_INFORMATION internal;
    NTSTATUS status =
        NtQueryVolumeInformationFile(file, &io, &volume, sizeof(volume), FileFsVolumeInformation);
    if (NT_SUCCESS(status)) {
        status = NtQueryInformationFile(file, &io, &basic, sizeof(basic), FileBasicInformation);
    }
    if (NT_SUCCESS(status)) {
        status =
            NtQueryInformationFile(file, &io, &standard, sizeof(standard), FileStandardInformation);
    }
    if (NT_SUCCESS(status)) {
        status =
            NtQueryInformationFile(file, &io, &internal, sizeof(internal), FileInternalInformation);
    }
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    lpFileInformation->dwFileAttributes = basic.FileAttributes;
    lpFileInformation->ftCreationTime = filetime_of(basic.CreationTime);
    lpFileInformation->ftLastAccessTime = filetime_of(basic.LastAccessTime);
    lpFileInformation->ftLastWriteTime = filetime_of(basic.LastWriteTime);
    lpFileInformation->dwVolumeSerialNumber = volume.VolumeSerialNumber;
    lpFileInformation->nFileSizeHigh = (DWORD)standard.EndOfFile.u.HighPart;
    lpFileInformation->nFileSizeLow = standard.EndOfFile.u.LowPart;
    lpFileInformation->nNumberOfLinks = standard.NumberOfLinks;
    lpFileInformation->nFileIndexHigh = (DWORD)internal.IndexNumber.u.HighPart;
    lpFileInformation->nFileIndexLow = internal.IndexNumber.u.LowPart;
    return TRUE;
}

/* Opens NAME (file or directory) with ACCESS for a set-information call. */
static HANDLE open_by_name(LPCWSTR name, ACCESS_MASK access) {
    NtoyPath path;
    if (name == NULL) {
        RtlSetLastWin32Error(ERROR_PATH_NOT_FOUND);
        return NULL;
    }
    if (!ntoy_nt_path(name, &path)) {
        return NULL;
    }
    HANDLE handle;
    IO_STATUS_BLOCK io;
    NTSTATUS status = NtOpenFile(&handle, access | SYNCHRONIZE, &path.attributes, &io, SHARE_ALL,
                                 FILE_SYNCHRONOUS_IO_NONALERT | FILE_OPEN_FOR_BACKUP_INTENT);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return NULL;
    }
    return handle;
}

static BOOL set_basic(HANDLE handle, const FILE_BASIC_INFORMATION* basic) {
    IO_STATUS_BLOCK io;
    NTSTATUS status =
        NtSetInformationFile(handle, &io, (PVOID)basic, sizeof(*basic), FileBasicInformation);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    return TRUE;
}

/* Zero times leave a file's times as they are; attributes 0 become FILE_ATTRIBUTE_NORMAL. */
BOOL SetFileAttributesW(LPCWSTR lpFileName, DWORD dwFileAttributes) {
    HANDLE handle = open_by_name(lpFileName, FILE_WRITE_ATTRIBUTES);
    if (handle == NULL) {
        return FALSE;
    }
    FILE_BASIC_INFORMATION basic;
    memset(&basic, 0, sizeof(basic));
    basic.FileAttributes = dwFileAttributes == 0 ? FILE_ATTRIBUTE_NORMAL : dwFileAttributes;
    BOOL ok = set_basic(handle, &basic);
    NtClose(handle);
    return ok;
}

BOOL SetFileAttributesA(LPCSTR lpFileName, DWORD dwFileAttributes) {
    WCHAR name[NTOY_PATH_CHARS];
    if (lpFileName == NULL) {
        RtlSetLastWin32Error(ERROR_PATH_NOT_FOUND);
        return FALSE;
    }
    if (!ntoy_utf8_to_wide(lpFileName, name, NTOY_PATH_CHARS)) {
        return FALSE;
    }
    return SetFileAttributesW(name, dwFileAttributes);
}

BOOL SetFileTime(HANDLE hFile, const FILETIME* lpCreationTime, const FILETIME* lpLastAccessTime,
                 const FILETIME* lpLastWriteTime) {
    FILE_BASIC_INFORMATION basic;
    memset(&basic, 0, sizeof(basic));
    if (lpCreationTime != NULL) {
        basic.CreationTime.u.LowPart = lpCreationTime->dwLowDateTime;
        basic.CreationTime.u.HighPart = (LONG)lpCreationTime->dwHighDateTime;
    }
    if (lpLastAccessTime != NULL) {
        basic.LastAccessTime.u.LowPart = lpLastAccessTime->dwLowDateTime;
        basic.LastAccessTime.u.HighPart = (LONG)lpLastAccessTime->dwHighDateTime;
    }
    if (lpLastWriteTime != NULL) {
        basic.LastWriteTime.u.LowPart = lpLastWriteTime->dwLowDateTime;
        basic.LastWriteTime.u.HighPart = (LONG)lpLastWriteTime->dwHighDateTime;
    }
    return set_basic(translate_std_handle(hFile), &basic);
}

/* Renames or links (CLASS) the file open as HANDLE to the DOS name NEW_NAME. */
static BOOL set_name(HANDLE handle, LPCWSTR new_name, BOOLEAN replace, ULONG info_class) {
    NtoyPath* target = RtlAllocateHeap(GetProcessHeap(), 0, sizeof(NtoyPath));
    ULONG size = (ULONG)offsetof(FILE_RENAME_INFORMATION, FileName) +
                 (NTOY_PATH_CHARS + 8) * (ULONG)sizeof(WCHAR);
    FILE_RENAME_INFORMATION* info = RtlAllocateHeap(GetProcessHeap(), 0, size);
    BOOL ok = FALSE;
    if (target == NULL || info == NULL) {
        RtlSetLastWin32Error(ERROR_NOT_ENOUGH_MEMORY);
    } else if (ntoy_nt_path(new_name, target)) {
        info->ReplaceIfExists = replace;
        info->RootDirectory = NULL;
        info->FileNameLength = target->string.Length;
        memcpy(info->FileName, target->string.Buffer, target->string.Length);
        IO_STATUS_BLOCK io;
        NTSTATUS status = NtSetInformationFile(
            handle, &io, info,
            (ULONG)offsetof(FILE_RENAME_INFORMATION, FileName) + target->string.Length,
            (FILE_INFORMATION_CLASS)info_class);
        if (NT_SUCCESS(status)) {
            ok = TRUE;
        } else if (status == STATUS_OBJECT_NAME_COLLISION) {
            RtlSetLastWin32Error(ERROR_ALREADY_EXISTS);
        } else {
            set_last_nt_error(status);
        }
    }
    RtlFreeHeap(GetProcessHeap(), 0, info);
    RtlFreeHeap(GetProcessHeap(), 0, target);
    return ok;
}

/* MoveFileExW: a rename on the volume. Delaying until a reboot needs the registry ntoy lacks
 * (ERROR_NOT_SUPPORTED); a move that would copy across volumes cannot happen, as ntoy has
 * one. */
BOOL MoveFileExW(LPCWSTR lpExistingFileName, LPCWSTR lpNewFileName, DWORD dwFlags) {
    if (dwFlags & MOVEFILE_DELAY_UNTIL_REBOOT) {
        RtlSetLastWin32Error(ERROR_NOT_SUPPORTED);
        return FALSE;
    }
    if (lpNewFileName == NULL) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    HANDLE handle = open_by_name(lpExistingFileName, DELETE);
    if (handle == NULL) {
        return FALSE;
    }
    BOOL ok = set_name(handle, lpNewFileName, (dwFlags & MOVEFILE_REPLACE_EXISTING) != 0,
                       FileRenameInformation);
    if (ok && (dwFlags & MOVEFILE_WRITE_THROUGH)) {
        IO_STATUS_BLOCK io;
        NtFlushBuffersFile(handle, &io);
    }
    NtClose(handle);
    return ok;
}

BOOL CreateHardLinkW(LPCWSTR lpFileName, LPCWSTR lpExistingFileName,
                     LPSECURITY_ATTRIBUTES lpSecurityAttributes) {
    (void)lpSecurityAttributes; /* a link shares the file's security */
    if (lpFileName == NULL) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    HANDLE handle = open_by_name(lpExistingFileName, FILE_WRITE_ATTRIBUTES);
    if (handle == NULL) {
        return FALSE;
    }
    BOOL ok = set_name(handle, lpFileName, FALSE, FileLinkInformation);
    NtClose(handle);
    return ok;
}

/* Opens the directory NAME (the current one when NULL) for a volume query. */
static HANDLE open_directory(LPCWSTR name) {
    WCHAR current[NTOY_PATH_CHARS];
    if (name == NULL) {
        if (GetCurrentDirectoryW(NTOY_PATH_CHARS, current) == 0) {
            return NULL;
        }
        name = current;
    }
    NtoyPath path;
    if (!ntoy_nt_path(name, &path)) {
        return NULL;
    }
    HANDLE handle;
    IO_STATUS_BLOCK io;
    NTSTATUS status = NtOpenFile(
        &handle, FILE_LIST_DIRECTORY | SYNCHRONIZE, &path.attributes, &io, SHARE_ALL,
        FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT | FILE_OPEN_FOR_BACKUP_INTENT);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return NULL;
    }
    return handle;
}

BOOL GetDiskFreeSpaceExW(LPCWSTR lpDirectoryName, PULARGE_INTEGER lpFreeBytesAvailableToCaller,
                         PULARGE_INTEGER lpTotalNumberOfBytes,
                         PULARGE_INTEGER lpTotalNumberOfFreeBytes) {
    HANDLE handle = open_directory(lpDirectoryName);
    if (handle == NULL) {
        return FALSE;
    }
    IO_STATUS_BLOCK io;
    FILE_FS_FULL_SIZE_INFORMATION size;
    NTSTATUS status =
        NtQueryVolumeInformationFile(handle, &io, &size, sizeof(size), FileFsFullSizeInformation);
    NtClose(handle);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    ULONGLONG unit = (ULONGLONG)size.SectorsPerAllocationUnit * size.BytesPerSector;
    if (lpFreeBytesAvailableToCaller != NULL) {
        lpFreeBytesAvailableToCaller->QuadPart =
            (ULONGLONG)size.CallerAvailableAllocationUnits.QuadPart * unit;
    }
    if (lpTotalNumberOfBytes != NULL) {
        lpTotalNumberOfBytes->QuadPart = (ULONGLONG)size.TotalAllocationUnits.QuadPart * unit;
    }
    if (lpTotalNumberOfFreeBytes != NULL) {
        lpTotalNumberOfFreeBytes->QuadPart =
            (ULONGLONG)size.ActualAvailableAllocationUnits.QuadPart * unit;
    }
    return TRUE;
}

/* Copies COUNT bytes of UTF-16 text into OUT of SIZE characters with a NUL; FALSE with
 * ERROR_BAD_LENGTH when it does not fit, as GetVolumeInformationW reports. */
static BOOL copy_name(LPWSTR out, DWORD size, const WCHAR* text, ULONG bytes) {
    ULONG chars = bytes / sizeof(WCHAR);
    if (out == NULL) {
        return TRUE;
    }
    if (chars + 1 > size) {
        RtlSetLastWin32Error(ERROR_BAD_LENGTH);
        return FALSE;
    }
    memcpy(out, text, chars * sizeof(WCHAR));
    out[chars] = 0;
    return TRUE;
}

/* GetVolumeInformationW: the root must end in a backslash (ERROR_INVALID_NAME otherwise). */
BOOL GetVolumeInformationW(LPCWSTR lpRootPathName, LPWSTR lpVolumeNameBuffer, DWORD nVolumeNameSize,
                           LPDWORD lpVolumeSerialNumber, LPDWORD lpMaximumComponentLength,
                           LPDWORD lpFileSystemFlags, LPWSTR lpFileSystemNameBuffer,
                           DWORD nFileSystemNameSize) {
    WCHAR root[NTOY_PATH_CHARS];
    if (lpRootPathName == NULL) {
        DWORD error = 0;
        SIZE_T length = ntoy_full_path(L"\\", root, NTOY_PATH_CHARS, &error);
        if (length == 0) {
            RtlSetLastWin32Error(error);
            return FALSE;
        }
        lpRootPathName = root;
    }
    SIZE_T length = 0;
    while (lpRootPathName[length] != 0) {
        length++;
    }
    if (length == 0 || lpRootPathName[length - 1] != L'\\') {
        RtlSetLastWin32Error(ERROR_INVALID_NAME);
        return FALSE;
    }
    HANDLE handle = open_directory(lpRootPathName);
    if (handle == NULL) {
        return FALSE;
    }
    union {
        FILE_FS_VOLUME_INFORMATION volume;
        FILE_FS_ATTRIBUTE_INFORMATION attribute;
        BYTE bytes[sizeof(FILE_FS_VOLUME_INFORMATION) + 520];
    } info;
    IO_STATUS_BLOCK io;
    BOOL ok = FALSE;
    NTSTATUS status =
        NtQueryVolumeInformationFile(handle, &io, &info, sizeof(info), FileFsVolumeInformation);
    if (NT_SUCCESS(status)) {
        if (lpVolumeSerialNumber != NULL) {
            *lpVolumeSerialNumber = info.volume.VolumeSerialNumber;
        }
        ok = copy_name(lpVolumeNameBuffer, nVolumeNameSize, info.volume.VolumeLabel,
                       info.volume.VolumeLabelLength);
    }
    if (ok) {
        status = NtQueryVolumeInformationFile(handle, &io, &info, sizeof(info),
                                              FileFsAttributeInformation);
        ok = NT_SUCCESS(status);
        if (ok) {
            if (lpMaximumComponentLength != NULL) {
                *lpMaximumComponentLength = (DWORD)info.attribute.MaximumComponentNameLength;
            }
            if (lpFileSystemFlags != NULL) {
                *lpFileSystemFlags = info.attribute.FileSystemAttributes;
            }
            ok = copy_name(lpFileSystemNameBuffer, nFileSystemNameSize,
                           info.attribute.FileSystemName, info.attribute.FileSystemNameLength);
        }
    }
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
    }
    NtClose(handle);
    return ok;
}

HANDLE FindFirstVolumeW(LPWSTR lpszVolumeName, DWORD cchBufferLength) {
    (void)lpszVolumeName;
    (void)cchBufferLength;
    RtlSetLastWin32Error(ERROR_NOT_SUPPORTED); /* no mount manager to ask */
    return INVALID_HANDLE_VALUE;
}

BOOL FindNextVolumeW(HANDLE hFindVolume, LPWSTR lpszVolumeName, DWORD cchBufferLength) {
    (void)hFindVolume;
    (void)lpszVolumeName;
    (void)cchBufferLength;
    RtlSetLastWin32Error(ERROR_INVALID_HANDLE);
    return FALSE;
}

BOOL FindVolumeClose(HANDLE hFindVolume) {
    (void)hFindVolume;
    RtlSetLastWin32Error(ERROR_INVALID_HANDLE);
    return FALSE;
}

/* GetTempPathW: TMP, then TEMP, then USERPROFILE, then the Windows directory, made a full
 * path ending in a backslash. The length without the NUL, or the size needed with it when
 * the buffer is too small. */
DWORD GetTempPathW(DWORD nBufferLength, LPWSTR lpBuffer) {
    static const WCHAR* const names[] = {L"TMP", L"TEMP", L"USERPROFILE"};
    WCHAR value[NTOY_PATH_CHARS];
    DWORD length = 0;
    for (int i = 0; i < 3 && length == 0; i++) {
        length = GetEnvironmentVariableW(names[i], value, NTOY_PATH_CHARS);
        if (length >= NTOY_PATH_CHARS) {
            length = 0;
        }
    }
    if (length == 0) {
        static const WCHAR windows[] = L"C:\\Windows";
        memcpy(value, windows, sizeof(windows));
    }
    WCHAR full[NTOY_PATH_CHARS + 1];
    DWORD error = 0;
    SIZE_T full_length = ntoy_full_path(value, full, NTOY_PATH_CHARS, &error);
    if (full_length == 0) {
        RtlSetLastWin32Error(error);
        return 0;
    }
    if (full[full_length - 1] != L'\\') {
        full[full_length++] = L'\\';
        full[full_length] = 0;
    }
    if (lpBuffer == NULL || nBufferLength <= full_length) {
        return (DWORD)full_length + 1;
    }
    memcpy(lpBuffer, full, (full_length + 1) * sizeof(WCHAR));
    return (DWORD)full_length;
}

/* ntoy's guest clock runs in UTC with no time zone: what Windows answers for the zone
 * "Coordinated Universal Time", which has no daylight saving time. */
DWORD GetTimeZoneInformation(LPTIME_ZONE_INFORMATION lpTimeZoneInformation) {
    static const WCHAR name[] = L"Coordinated Universal Time";
    memset(lpTimeZoneInformation, 0, sizeof(*lpTimeZoneInformation));
    memcpy(lpTimeZoneInformation->StandardName, name, sizeof(name));
    memcpy(lpTimeZoneInformation->DaylightName, name, sizeof(name));
    return TIME_ZONE_ID_UNKNOWN;
}
