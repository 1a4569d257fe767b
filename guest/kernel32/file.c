/* Files by name and by handle over the NT file calls, as Windows' kernelbase does: CreateFile,
 * DeleteFile, CreateDirectory, RemoveDirectory, GetFileAttributes(Ex), the file pointer and
 * size, SetEndOfFile, FlushFileBuffers and GetFileType. Names become NT paths in path.c; the
 * kernel confines them to the guest's drive C:. The ANSI forms take UTF-8. */
#include "path.h"

#define CREATE_NEW 1
#define CREATE_ALWAYS 2
#define OPEN_EXISTING 3
#define OPEN_ALWAYS 4
#define TRUNCATE_EXISTING 5

#define FILE_FLAG_WRITE_THROUGH 0x80000000UL
#define FILE_FLAG_OVERLAPPED 0x40000000UL
#define FILE_FLAG_NO_BUFFERING 0x20000000UL
#define FILE_FLAG_RANDOM_ACCESS 0x10000000UL
#define FILE_FLAG_SEQUENTIAL_SCAN 0x08000000UL
#define FILE_FLAG_DELETE_ON_CLOSE 0x04000000UL
#define FILE_FLAG_BACKUP_SEMANTICS 0x02000000UL
#define FILE_FLAG_OPEN_REPARSE_POINT 0x00200000UL

#define FILE_BEGIN 0
#define FILE_CURRENT 1
#define FILE_END 2
#define INVALID_SET_FILE_POINTER ((DWORD)-1)
#define INVALID_FILE_SIZE ((DWORD)0xFFFFFFFF)
#define INVALID_FILE_ATTRIBUTES ((DWORD)-1)

#define FILE_TYPE_UNKNOWN 0
#define FILE_TYPE_DISK 1
#define FILE_TYPE_CHAR 2
#define FILE_TYPE_PIPE 3

#define SHARE_ALL (FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)

HANDLE CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                   LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition,
                   DWORD dwFlagsAndAttributes, HANDLE hTemplateFile) {
    (void)hTemplateFile; /* its attributes would go to a new file; ntoy keeps none */
    ULONG disposition;
    switch (dwCreationDisposition) {
        case CREATE_NEW:
            disposition = FILE_CREATE;
            break;
        case CREATE_ALWAYS:
            disposition = FILE_OVERWRITE_IF;
            break;
        case OPEN_EXISTING:
            disposition = FILE_OPEN;
            break;
        case OPEN_ALWAYS:
            disposition = FILE_OPEN_IF;
            break;
        case TRUNCATE_EXISTING:
            disposition = FILE_OVERWRITE;
            break;
        default:
            RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
            return INVALID_HANDLE_VALUE;
    }
    if (lpFileName == NULL) {
        RtlSetLastWin32Error(ERROR_PATH_NOT_FOUND);
        return INVALID_HANDLE_VALUE;
    }
    NtoyPath path;
    if (!ntoy_nt_path(lpFileName, &path)) {
        return INVALID_HANDLE_VALUE;
    }
    if (lpSecurityAttributes != NULL && lpSecurityAttributes->bInheritHandle) {
        path.attributes.Attributes |= OBJ_INHERIT;
    }
    ACCESS_MASK access = dwDesiredAccess | SYNCHRONIZE | FILE_READ_ATTRIBUTES;
    ULONG options = 0;
    if (!(dwFlagsAndAttributes & FILE_FLAG_BACKUP_SEMANTICS)) {
        options |= FILE_NON_DIRECTORY_FILE;
    } else {
        options |= FILE_OPEN_FOR_BACKUP_INTENT;
    }
    if (!(dwFlagsAndAttributes & FILE_FLAG_OVERLAPPED)) {
        options |= FILE_SYNCHRONOUS_IO_NONALERT;
    }
    if (dwFlagsAndAttributes & FILE_FLAG_WRITE_THROUGH) {
        options |= FILE_WRITE_THROUGH;
    }
    if (dwFlagsAndAttributes & FILE_FLAG_NO_BUFFERING) {
        options |= FILE_NO_INTERMEDIATE_BUFFERING;
    }
    if (dwFlagsAndAttributes & FILE_FLAG_RANDOM_ACCESS) {
        options |= FILE_RANDOM_ACCESS;
    }
    if (dwFlagsAndAttributes & FILE_FLAG_SEQUENTIAL_SCAN) {
        options |= FILE_SEQUENTIAL_ONLY;
    }
    if (dwFlagsAndAttributes & FILE_FLAG_DELETE_ON_CLOSE) {
        options |= FILE_DELETE_ON_CLOSE;
        access |= DELETE;
    }
    if (dwFlagsAndAttributes & FILE_FLAG_OPEN_REPARSE_POINT) {
        options |= FILE_OPEN_REPARSE_POINT;
    }
    ULONG attributes =
        dwFlagsAndAttributes & (FILE_ATTRIBUTE_VALID_FLAGS & ~FILE_ATTRIBUTE_DIRECTORY);

    HANDLE handle = INVALID_HANDLE_VALUE;
    IO_STATUS_BLOCK io = {{STATUS_PENDING}, 0};
    NTSTATUS status = NtCreateFile(&handle, access, &path.attributes, &io, NULL, attributes,
                                   dwShareMode, disposition, options, NULL, 0);
    if (!NT_SUCCESS(status)) {
        if (status == STATUS_OBJECT_NAME_COLLISION && dwCreationDisposition == CREATE_NEW) {
            RtlSetLastWin32Error(ERROR_FILE_EXISTS);
        } else {
            set_last_nt_error(status);
        }
        return INVALID_HANDLE_VALUE;
    }
    /* Success over an existing file still says so, for CREATE_ALWAYS and OPEN_ALWAYS. */
    if ((dwCreationDisposition == CREATE_ALWAYS && io.Information == FILE_OVERWRITTEN) ||
        (dwCreationDisposition == OPEN_ALWAYS && io.Information == FILE_OPENED)) {
        RtlSetLastWin32Error(ERROR_ALREADY_EXISTS);
    } else {
        RtlSetLastWin32Error(ERROR_SUCCESS);
    }
    return handle;
}

HANDLE CreateFileA(LPCSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                   LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition,
                   DWORD dwFlagsAndAttributes, HANDLE hTemplateFile) {
    WCHAR name[NTOY_PATH_CHARS];
    if (lpFileName == NULL) {
        RtlSetLastWin32Error(ERROR_PATH_NOT_FOUND);
        return INVALID_HANDLE_VALUE;
    }
    if (!ntoy_utf8_to_wide(lpFileName, name, NTOY_PATH_CHARS)) {
        return INVALID_HANDLE_VALUE;
    }
    return CreateFileW(name, dwDesiredAccess, dwShareMode, lpSecurityAttributes,
                       dwCreationDisposition, dwFlagsAndAttributes, hTemplateFile);
}

/* Opens `name` for DELETE (a file, or with FILE_DIRECTORY_FILE a directory) and marks it for
 * deletion; the name goes when the handle closes, as in Windows' DeleteFile. */
static BOOL delete_by_name(LPCWSTR name, ULONG kind) {
    NtoyPath path;
    if (name == NULL) {
        RtlSetLastWin32Error(ERROR_PATH_NOT_FOUND);
        return FALSE;
    }
    if (!ntoy_nt_path(name, &path)) {
        return FALSE;
    }
    HANDLE handle;
    IO_STATUS_BLOCK io;
    NTSTATUS status = NtOpenFile(&handle, DELETE | SYNCHRONIZE, &path.attributes, &io, SHARE_ALL,
                                 kind | FILE_SYNCHRONOUS_IO_NONALERT | FILE_OPEN_REPARSE_POINT);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    FILE_DISPOSITION_INFORMATION disposition = {TRUE};
    status = NtSetInformationFile(handle, &io, &disposition, sizeof(disposition),
                                  FileDispositionInformation);
    NtClose(handle);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    return TRUE;
}

BOOL DeleteFileW(LPCWSTR lpFileName) {
    return delete_by_name(lpFileName, FILE_NON_DIRECTORY_FILE);
}

BOOL RemoveDirectoryW(LPCWSTR lpPathName) {
    return delete_by_name(lpPathName, FILE_DIRECTORY_FILE);
}

BOOL CreateDirectoryW(LPCWSTR lpPathName, LPSECURITY_ATTRIBUTES lpSecurityAttributes) {
    NtoyPath path;
    if (lpPathName == NULL) {
        RtlSetLastWin32Error(ERROR_PATH_NOT_FOUND);
        return FALSE;
    }
    if (!ntoy_nt_path(lpPathName, &path)) {
        return FALSE;
    }
    if (lpSecurityAttributes != NULL && lpSecurityAttributes->bInheritHandle) {
        path.attributes.Attributes |= OBJ_INHERIT;
    }
    HANDLE handle;
    IO_STATUS_BLOCK io;
    NTSTATUS status =
        NtCreateFile(&handle, FILE_LIST_DIRECTORY | SYNCHRONIZE, &path.attributes, &io, NULL,
                     FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_CREATE,
                     FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    NtClose(handle);
    return TRUE;
}

/* The ANSI name of a by-name call, as UTF-16 in `wide`. */
static BOOL widen_name(LPCSTR name, PWSTR wide) {
    if (name == NULL) {
        RtlSetLastWin32Error(ERROR_PATH_NOT_FOUND);
        return FALSE;
    }
    return ntoy_utf8_to_wide(name, wide, NTOY_PATH_CHARS);
}

BOOL DeleteFileA(LPCSTR lpFileName) {
    WCHAR name[NTOY_PATH_CHARS];
    return widen_name(lpFileName, name) && DeleteFileW(name);
}

BOOL RemoveDirectoryA(LPCSTR lpPathName) {
    WCHAR name[NTOY_PATH_CHARS];
    return widen_name(lpPathName, name) && RemoveDirectoryW(name);
}

BOOL CreateDirectoryA(LPCSTR lpPathName, LPSECURITY_ATTRIBUTES lpSecurityAttributes) {
    WCHAR name[NTOY_PATH_CHARS];
    return widen_name(lpPathName, name) && CreateDirectoryW(name, lpSecurityAttributes);
}

DWORD GetFileAttributesW(LPCWSTR lpFileName) {
    NtoyPath path;
    if (lpFileName == NULL) {
        RtlSetLastWin32Error(ERROR_PATH_NOT_FOUND);
        return INVALID_FILE_ATTRIBUTES;
    }
    if (!ntoy_nt_path(lpFileName, &path)) {
        return INVALID_FILE_ATTRIBUTES;
    }
    FILE_BASIC_INFORMATION info;
    NTSTATUS status = NtQueryAttributesFile(&path.attributes, &info);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return INVALID_FILE_ATTRIBUTES;
    }
    return info.FileAttributes;
}

DWORD GetFileAttributesA(LPCSTR lpFileName) {
    WCHAR name[NTOY_PATH_CHARS];
    return widen_name(lpFileName, name) ? GetFileAttributesW(name) : INVALID_FILE_ATTRIBUTES;
}

static void to_filetime(LARGE_INTEGER time, FILETIME* out) {
    out->dwLowDateTime = time.u.LowPart;
    out->dwHighDateTime = (DWORD)time.u.HighPart;
}

BOOL GetFileAttributesExW(LPCWSTR lpFileName, GET_FILEEX_INFO_LEVELS fInfoLevelId,
                          LPVOID lpFileInformation) {
    if (fInfoLevelId != GetFileExInfoStandard) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    NtoyPath path;
    if (lpFileName == NULL) {
        RtlSetLastWin32Error(ERROR_PATH_NOT_FOUND);
        return FALSE;
    }
    if (!ntoy_nt_path(lpFileName, &path)) {
        return FALSE;
    }
    FILE_NETWORK_OPEN_INFORMATION info;
    NTSTATUS status = NtQueryFullAttributesFile(&path.attributes, &info);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    WIN32_FILE_ATTRIBUTE_DATA* data = lpFileInformation;
    data->dwFileAttributes = info.FileAttributes;
    to_filetime(info.CreationTime, &data->ftCreationTime);
    to_filetime(info.LastAccessTime, &data->ftLastAccessTime);
    to_filetime(info.LastWriteTime, &data->ftLastWriteTime);
    data->nFileSizeHigh = (DWORD)info.EndOfFile.u.HighPart;
    data->nFileSizeLow = info.EndOfFile.u.LowPart;
    return TRUE;
}

BOOL GetFileAttributesExA(LPCSTR lpFileName, GET_FILEEX_INFO_LEVELS fInfoLevelId,
                          LPVOID lpFileInformation) {
    WCHAR name[NTOY_PATH_CHARS];
    return widen_name(lpFileName, name) &&
           GetFileAttributesExW(name, fInfoLevelId, lpFileInformation);
}

BOOL SetFilePointerEx(HANDLE hFile, LARGE_INTEGER liDistanceToMove, PLARGE_INTEGER lpNewFilePointer,
                      DWORD dwMoveMethod) {
    HANDLE file = translate_std_handle(hFile);
    IO_STATUS_BLOCK io;
    LONGLONG base;
    NTSTATUS status;
    switch (dwMoveMethod) {
        case FILE_BEGIN:
            base = 0;
            break;
        case FILE_CURRENT: {
            FILE_POSITION_INFORMATION position;
            status = NtQueryInformationFile(file, &io, &position, sizeof(position),
                                            FilePositionInformation);
            if (!NT_SUCCESS(status)) {
                set_last_nt_error(status);
                return FALSE;
            }
            base = position.CurrentByteOffset.QuadPart;
            break;
        }
        case FILE_END: {
            FILE_STANDARD_INFORMATION standard;
            status = NtQueryInformationFile(file, &io, &standard, sizeof(standard),
                                            FileStandardInformation);
            if (!NT_SUCCESS(status)) {
                set_last_nt_error(status);
                return FALSE;
            }
            base = standard.EndOfFile.QuadPart;
            break;
        }
        default:
            RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
            return FALSE;
    }
    LONGLONG target = base + liDistanceToMove.QuadPart;
    if (target < 0) {
        RtlSetLastWin32Error(ERROR_NEGATIVE_SEEK);
        return FALSE;
    }
    FILE_POSITION_INFORMATION position;
    position.CurrentByteOffset.QuadPart = target;
    status = NtSetInformationFile(file, &io, &position, sizeof(position), FilePositionInformation);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    if (lpNewFilePointer != NULL) {
        lpNewFilePointer->QuadPart = target;
    }
    return TRUE;
}

DWORD SetFilePointer(HANDLE hFile, LONG lDistanceToMove, PLONG lpDistanceToMoveHigh,
                     DWORD dwMoveMethod) {
    LARGE_INTEGER distance, position;
    if (lpDistanceToMoveHigh != NULL) {
        distance.u.LowPart = (DWORD)lDistanceToMove;
        distance.u.HighPart = *lpDistanceToMoveHigh;
    } else {
        distance.QuadPart = lDistanceToMove; /* sign-extended: a 32-bit move either way */
    }
    if (!SetFilePointerEx(hFile, distance, &position, dwMoveMethod)) {
        return INVALID_SET_FILE_POINTER;
    }
    if (lpDistanceToMoveHigh != NULL) {
        *lpDistanceToMoveHigh = position.u.HighPart;
    }
    /* A position whose low part looks like the failure value: the caller tells them apart
     * by GetLastError, which must then say there was no error. */
    if (position.u.LowPart == INVALID_SET_FILE_POINTER) {
        RtlSetLastWin32Error(ERROR_SUCCESS);
    }
    return position.u.LowPart;
}

BOOL GetFileSizeEx(HANDLE hFile, PLARGE_INTEGER lpFileSize) {
    IO_STATUS_BLOCK io;
    FILE_STANDARD_INFORMATION standard;
    NTSTATUS status = NtQueryInformationFile(translate_std_handle(hFile), &io, &standard,
                                             sizeof(standard), FileStandardInformation);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    *lpFileSize = standard.EndOfFile;
    return TRUE;
}

DWORD GetFileSize(HANDLE hFile, LPDWORD lpFileSizeHigh) {
    LARGE_INTEGER size;
    if (!GetFileSizeEx(hFile, &size)) {
        return INVALID_FILE_SIZE;
    }
    if (lpFileSizeHigh != NULL) {
        *lpFileSizeHigh = (DWORD)size.u.HighPart;
    }
    if (size.u.LowPart == INVALID_FILE_SIZE) {
        RtlSetLastWin32Error(ERROR_SUCCESS);
    }
    return size.u.LowPart;
}

BOOL SetEndOfFile(HANDLE hFile) {
    HANDLE file = translate_std_handle(hFile);
    IO_STATUS_BLOCK io;
    FILE_POSITION_INFORMATION position;
    NTSTATUS status =
        NtQueryInformationFile(file, &io, &position, sizeof(position), FilePositionInformation);
    if (NT_SUCCESS(status)) {
        FILE_END_OF_FILE_INFORMATION end;
        end.EndOfFile = position.CurrentByteOffset;
        status = NtSetInformationFile(file, &io, &end, sizeof(end), FileEndOfFileInformation);
    }
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    return TRUE;
}

BOOL FlushFileBuffers(HANDLE hFile) {
    IO_STATUS_BLOCK io;
    NTSTATUS status = NtFlushBuffersFile(translate_std_handle(hFile), &io);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    return TRUE;
}

DWORD GetFileType(HANDLE hFile) {
    IO_STATUS_BLOCK io;
    FILE_FS_DEVICE_INFORMATION device;
    NTSTATUS status = NtQueryVolumeInformationFile(translate_std_handle(hFile), &io, &device,
                                                   sizeof(device), FileFsDeviceInformation);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FILE_TYPE_UNKNOWN;
    }
    RtlSetLastWin32Error(ERROR_SUCCESS);
    switch (device.DeviceType) {
        case FILE_DEVICE_CONSOLE:
        case FILE_DEVICE_NULL:
        case FILE_DEVICE_UNKNOWN:
            return FILE_TYPE_CHAR;
        case FILE_DEVICE_NAMED_PIPE:
            return FILE_TYPE_PIPE;
        case FILE_DEVICE_DISK:
            return FILE_TYPE_DISK;
        default:
            return FILE_TYPE_UNKNOWN;
    }
}
