/* Files by name with UTF-16 names (<wchar.h>, <direct.h>, <io.h>, <sys/utime.h>), over the
 * kernel32 calls msvcrt uses, with Win32 errors turned into errno by _dosmaperr: _wstat64,
 * _wchdir, _wgetcwd, _wfullpath, _wmkdir, _wchmod, _wutime64; remove and _unlink; the
 * _find and _wfind families over FindFirstFile (the handle is kernel32's find handle); and
 * _assert. */
#include "msvcrt_private.h"

IMPORT BOOL WINAPI SetCurrentDirectoryW(const WCHAR* path);
IMPORT DWORD WINAPI GetCurrentDirectoryW(DWORD size, WCHAR* buffer);
IMPORT DWORD WINAPI GetFullPathNameW(const WCHAR* name, DWORD size, WCHAR* buffer,
                                     WCHAR** file_part);
IMPORT BOOL WINAPI CreateDirectoryW(const WCHAR* path, void* security);
IMPORT DWORD WINAPI GetFileAttributesW(const WCHAR* path);
IMPORT BOOL WINAPI SetFileAttributesW(const WCHAR* path, DWORD attributes);
IMPORT BOOL WINAPI GetFileAttributesExW(const WCHAR* path, int level, void* data);
IMPORT BOOL WINAPI DeleteFileA(const char* path);
IMPORT HANDLE WINAPI FindFirstFileW(const WCHAR* pattern, void* data);
IMPORT BOOL WINAPI FindNextFileW(HANDLE find, void* data);
IMPORT BOOL WINAPI FindClose(HANDLE find);
IMPORT int WINAPI MultiByteToWideChar(unsigned code_page, DWORD flags, const char* in, int in_count,
                                      WCHAR* out, int out_count);
IMPORT int WINAPI WideCharToMultiByte(unsigned code_page, DWORD flags, const WCHAR* in,
                                      int in_count, char* out, int out_count,
                                      const char* default_char, BOOL* used_default);
IMPORT BOOL WINAPI SetFileTime(HANDLE file, const FILETIME* created, const FILETIME* accessed,
                               const FILETIME* written);

#define FILE_ATTRIBUTE_READONLY 0x1
#define FILE_ATTRIBUTE_DIRECTORY 0x10
#define INVALID_FILE_ATTRIBUTES 0xFFFFFFFFUL
#define ERROR_NOT_SUPPORTED 50
#define CRT_S_IREAD 0x0100
#define CRT_S_IWRITE 0x0080
#define CRT_S_IEXEC 0x0040

typedef struct {
    DWORD dwFileAttributes;
    FILETIME ftCreationTime;
    FILETIME ftLastAccessTime;
    FILETIME ftLastWriteTime;
    DWORD nFileSizeHigh;
    DWORD nFileSizeLow;
} WIN32_FILE_ATTRIBUTE_DATA;

/* Owner permission bits repeated for group and other, as msvcrt's stat reports them. */
static unsigned short everyone(unsigned short bits) {
    return (unsigned short)(bits | bits >> 3 | bits >> 6);
}

void crt_fill_stat(struct crt_stat64* buffer, DWORD attributes, const FILETIME* created,
                   const FILETIME* accessed, const FILETIME* written, int64_t size) {
    unsigned short bits = CRT_S_IREAD;
    if (!(attributes & FILE_ATTRIBUTE_READONLY)) {
        bits |= CRT_S_IWRITE;
    }
    if (attributes & FILE_ATTRIBUTE_DIRECTORY) {
        bits |= CRT_S_IEXEC;
    }
    buffer->st_mode =
        (unsigned short)(((attributes & FILE_ATTRIBUTE_DIRECTORY) ? CRT_S_IFDIR : CRT_S_IFREG) |
                         everyone(bits));
    buffer->st_size = size;
    buffer->st_mtime = crt_filetime_to_time(written);
    buffer->st_atime = crt_filetime_to_time(accessed);
    buffer->st_ctime = crt_filetime_to_time(created);
    if (buffer->st_atime == 0) {
        buffer->st_atime = buffer->st_mtime;
    }
    if (buffer->st_ctime == 0) {
        buffer->st_ctime = buffer->st_mtime;
    }
}

static int ends_with(const WCHAR* name, size_t length, const char* suffix) {
    size_t n = strlen(suffix);
    if (length < n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        WCHAR c = name[length - n + i];
        if (c >= 'A' && c <= 'Z') {
            c = (WCHAR)(c + 32);
        }
        if (c != (unsigned char)suffix[i]) {
            return 0;
        }
    }
    return 1;
}

/* _wstat64: wildcards are refused (ENOENT); st_dev and st_rdev are the drive's number (A: 0,
 * C: 2); .exe, .com, .bat and .cmd files are executable. */
int _wstat64(const WCHAR* path, struct crt_stat64* buffer) {
    if (path == NULL || buffer == NULL) {
        crt_errno = EINVAL;
        return -1;
    }
    size_t length = wcslen(path);
    for (size_t i = 0; i < length; i++) {
        if (path[i] == '*' || path[i] == '?') {
            crt_errno = ENOENT;
            *__doserrno() = 0;
            return -1;
        }
    }
    WIN32_FILE_ATTRIBUTE_DATA data;
    if (!GetFileAttributesExW(path, 0 /* GetFileExInfoStandard */, &data)) {
        _dosmaperr(GetLastError());
        return -1;
    }
    WCHAR full[520];
    DWORD full_length = GetFullPathNameW(path, 520, full, NULL);
    int drive = 2;
    if (full_length >= 2 && full_length < 520 && full[1] == ':') {
        WCHAR letter = full[0] >= 'a' ? (WCHAR)(full[0] - 32) : full[0];
        drive = letter - 'A';
    }
    memset(buffer, 0, sizeof *buffer);
    crt_fill_stat(buffer, data.dwFileAttributes, &data.ftCreationTime, &data.ftLastAccessTime,
                  &data.ftLastWriteTime, ((int64_t)data.nFileSizeHigh << 32) | data.nFileSizeLow);
    if (!(data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) &&
        (ends_with(path, length, ".exe") || ends_with(path, length, ".com") ||
         ends_with(path, length, ".bat") || ends_with(path, length, ".cmd"))) {
        buffer->st_mode |= everyone(CRT_S_IEXEC);
    }
    buffer->st_nlink = 1;
    buffer->st_dev = buffer->st_rdev = (unsigned)drive;
    return 0;
}

/* remove and _unlink: DeleteFileA, so a directory is refused (EACCES) as on Windows. */
int _unlink(const char* path) {
    if (path == NULL) {
        crt_errno = EINVAL;
        return -1;
    }
    if (!DeleteFileA(path)) {
        _dosmaperr(GetLastError());
        return -1;
    }
    return 0;
}

int remove(const char* path) {
    return _unlink(path);
}

int _wchdir(const WCHAR* path) {
    if (path == NULL) {
        crt_errno = EINVAL;
        return -1;
    }
    if (!SetCurrentDirectoryW(path)) {
        _dosmaperr(GetLastError());
        return -1;
    }
    return 0;
}

int _wmkdir(const WCHAR* path) {
    if (path == NULL) {
        crt_errno = EINVAL;
        return -1;
    }
    if (!CreateDirectoryW(path, NULL)) {
        _dosmaperr(GetLastError());
        return -1;
    }
    return 0;
}

/* _wchmod: only _S_IWRITE matters on Windows: without it the file becomes read-only. */
int _wchmod(const WCHAR* path, int mode) {
    if (path == NULL) {
        crt_errno = EINVAL;
        return -1;
    }
    DWORD attributes = GetFileAttributesW(path);
    if (attributes == INVALID_FILE_ATTRIBUTES) {
        _dosmaperr(GetLastError());
        return -1;
    }
    if (mode & CRT_S_IWRITE) {
        attributes &= ~(DWORD)FILE_ATTRIBUTE_READONLY;
    } else {
        attributes |= FILE_ATTRIBUTE_READONLY;
    }
    if (!SetFileAttributesW(path, attributes)) {
        _dosmaperr(GetLastError());
        return -1;
    }
    return 0;
}

/* The current directory in BUFFER of SIZE characters, or in a malloc'd one of at least SIZE
 * characters when BUFFER is NULL; NULL with ERANGE when it does not fit. */
WCHAR* _wgetcwd(WCHAR* buffer, int size) {
    DWORD needed = GetCurrentDirectoryW(0, NULL);
    if (needed == 0) {
        _dosmaperr(GetLastError());
        return NULL;
    }
    if (buffer == NULL) {
        size_t count = (size_t)size > needed ? (size_t)size : needed;
        buffer = malloc(count * sizeof(WCHAR));
        if (buffer == NULL) {
            crt_errno = ENOMEM;
            return NULL;
        }
        GetCurrentDirectoryW((DWORD)count, buffer);
        return buffer;
    }
    if (size <= 0) {
        crt_errno = EINVAL;
        return NULL;
    }
    if ((DWORD)size < needed) {
        crt_errno = ERANGE;
        return NULL;
    }
    GetCurrentDirectoryW((DWORD)size, buffer);
    return buffer;
}

/* The absolute form of PATH (the current directory for NULL or ""), in BUFFER of SIZE
 * characters or, when BUFFER is NULL, in a malloc'd one. */
WCHAR* _wfullpath(WCHAR* buffer, const WCHAR* path, size_t size) {
    if (path == NULL || *path == 0) {
        return _wgetcwd(buffer, (int)size);
    }
    DWORD needed = GetFullPathNameW(path, 0, NULL, NULL);
    if (needed == 0) {
        _dosmaperr(GetLastError());
        return NULL;
    }
    WCHAR* out = buffer;
    if (out == NULL) {
        out = malloc((size_t)needed * sizeof(WCHAR));
        if (out == NULL) {
            crt_errno = ENOMEM;
            return NULL;
        }
        size = needed;
    } else if (size < needed) {
        crt_errno = ERANGE;
        return NULL;
    }
    DWORD length = GetFullPathNameW(path, (DWORD)size, out, NULL);
    if (length == 0 || length >= size) {
        _dosmaperr(GetLastError());
        if (buffer == NULL) {
            free(out);
        }
        return NULL;
    }
    return out;
}

struct crt_utimbuf64 {
    int64_t actime;
    int64_t modtime;
};

static FILETIME filetime_of(int64_t seconds) {
    int64_t value = seconds * 10000000 + 116444736000000000LL;
    FILETIME time = {(DWORD)value, (DWORD)((uint64_t)value >> 32)};
    return time;
}

int64_t _time64(int64_t* out);
int _wopen(const WCHAR* path, int oflag, ...);

/* _wutime64: the access and modification times from TIMES, or both now when TIMES is NULL,
 * set through a descriptor opened for writing, as msvcrt does. */
int _wutime64(const WCHAR* path, const struct crt_utimbuf64* times) {
    int64_t now = _time64(NULL);
    int64_t accessed = times != NULL ? times->actime : now;
    int64_t modified = times != NULL ? times->modtime : now;
    if (accessed < 0 || modified < 0) {
        crt_errno = EINVAL;
        return -1;
    }
    int fd = _wopen(path, 0x8002 /* _O_RDWR | _O_BINARY */);
    if (fd < 0) {
        return -1;
    }
    FILETIME access_time = filetime_of(accessed);
    FILETIME write_time = filetime_of(modified);
    int result = 0;
    if (!SetFileTime((HANDLE)_get_osfhandle(fd), NULL, &access_time, &write_time)) {
        _dosmaperr(GetLastError());
        result = -1;
    }
    _close(fd);
    return result;
}

/* The _find families: struct _wfinddata64_t and _finddata64_t (times as 64-bit time_t). */
typedef struct {
    DWORD dwFileAttributes;
    FILETIME ftCreationTime, ftLastAccessTime, ftLastWriteTime;
    DWORD nFileSizeHigh, nFileSizeLow, dwReserved0, dwReserved1;
    WCHAR cFileName[260];
    WCHAR cAlternateFileName[14];
} FindDataW;

/* What _wfinddata64_t and _finddata64_t begin with; the name follows. */
struct crt_find_header {
    unsigned attrib;
    int64_t time_create, time_access, time_write;
    int64_t size;
};
struct crt_wfinddata64 {
    struct crt_find_header header;
    WCHAR name[260];
};
_Static_assert(sizeof(struct crt_wfinddata64) == 560, "_wfinddata64_t size");
struct crt_finddata64 {
    struct crt_find_header header;
    char name[260];
};
_Static_assert(sizeof(struct crt_finddata64) == 304, "_finddata64_t size");

#define FIND_ATTRIBUTE_NORMAL 0x80
#define CP_ACP 0

/* msvcrt reports FILE_ATTRIBUTE_NORMAL as 0 (_A_NORMAL). */
static void fill_find(const FindDataW* in, struct crt_find_header* out) {
    out->attrib = in->dwFileAttributes == FIND_ATTRIBUTE_NORMAL ? 0 : in->dwFileAttributes;
    out->time_create = crt_filetime_to_time(&in->ftCreationTime);
    out->time_access = crt_filetime_to_time(&in->ftLastAccessTime);
    out->time_write = crt_filetime_to_time(&in->ftLastWriteTime);
    out->size = ((int64_t)in->nFileSizeHigh << 32) | in->nFileSizeLow;
}

/* The copy of a find's data into the caller's _wfinddata64_t or _finddata64_t. */
typedef void (*FindCopy)(const FindDataW* in, void* out);

static void copy_wide(const FindDataW* in, void* data) {
    struct crt_wfinddata64* out = data;
    fill_find(in, &out->header);
    memcpy(out->name, in->cFileName, sizeof(out->name));
}

static void copy_narrow(const FindDataW* in, void* data) {
    struct crt_finddata64* out = data;
    fill_find(in, &out->header);
    if (WideCharToMultiByte(CP_ACP, 0, in->cFileName, -1, out->name, sizeof(out->name), NULL,
                            NULL) == 0) {
        out->name[0] = 0;
    }
}

/* The first match into DATA: its handle, or -1 with errno set (ENOENT when nothing matches
 * or the folder is missing). */
static int64_t find_first(const WCHAR* pattern, void* data, FindCopy copy) {
    FindDataW found;
    if (pattern == NULL || data == NULL) {
        crt_errno = EINVAL;
        return -1;
    }
    HANDLE find = FindFirstFileW(pattern, &found);
    if (find == INVALID_HANDLE_VALUE) {
        _dosmaperr(GetLastError());
        return -1;
    }
    copy(&found, data);
    return (intptr_t)find;
}

static int find_next(int64_t handle, void* data, FindCopy copy) {
    FindDataW found;
    if (data == NULL) {
        crt_errno = EINVAL;
        return -1;
    }
    if (!FindNextFileW((HANDLE)(intptr_t)handle, &found)) {
        _dosmaperr(GetLastError());
        return -1;
    }
    copy(&found, data);
    return 0;
}

int64_t _wfindfirst64(const WCHAR* pattern, void* data) {
    return find_first(pattern, data, copy_wide);
}

int _wfindnext64(int64_t handle, void* data) {
    return find_next(handle, data, copy_wide);
}

int64_t _findfirst64(const char* pattern, void* data) {
    WCHAR wide[1024];
    if (pattern == NULL || data == NULL) {
        crt_errno = EINVAL;
        return -1;
    }
    if (MultiByteToWideChar(CP_ACP, 0, pattern, -1, wide, 1024) == 0) {
        crt_errno = ENOENT;
        return -1;
    }
    return find_first(wide, data, copy_narrow);
}

int _findnext64(int64_t handle, void* data) {
    return find_next(handle, data, copy_narrow);
}

int _findclose(int64_t handle) {
    if (!FindClose((HANDLE)(intptr_t)handle)) {
        _dosmaperr(GetLastError());
        return -1;
    }
    return 0;
}

int fprintf(FILE* f, const char* format, ...);
__attribute__((noreturn)) void abort(void);

/* assert()'s failure in a console program: the message on stderr, then abort. */
__attribute__((noreturn)) void _assert(const char* expression, const char* file, unsigned line) {
    fprintf(&_iob[2], "Assertion failed: %s, file %s, line %u\n", expression, file, line);
    fflush(&_iob[2]);
    abort();
}
