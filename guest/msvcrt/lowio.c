/* The file-descriptor layer (<io.h>): descriptors are indexes into a table of Win32 handles,
 * as in msvcrt. 0, 1 and 2 are the standard handles, opened in the mode _fmode says (text
 * unless the program chose binary). A text-mode descriptor writes "\n" as "\r\n", and reads
 * "\r\n" as "\n" and Ctrl-Z as the end of the file. */
#include "msvcrt_private.h"

#define FD_COUNT 256
#define FOPEN 0x01
#define FEOF 0x02
#define FAPPEND 0x20
#define FDEV 0x40
#define FTEXT 0x80

#define O_TEXT 0x4000
#define O_BINARY 0x8000
#define O_APPEND 0x0008
#define O_ACCMODE 0x0003 /* O_RDONLY 0, O_WRONLY 1, O_RDWR 2 */
#define O_CREAT 0x0100
#define O_TRUNC 0x0200
#define O_EXCL 0x0400
#define S_IWRITE 0x0080
#define FILE_TYPE_CHAR 2

typedef struct {
    HANDLE handle;
    unsigned char flags;
    /* A '\r' read at the end of one ReadFile whose partner may be the next one's first byte. */
    int pending_cr;
} fd_entry;

static fd_entry fds[FD_COUNT];
extern int _fmode;

/* msvcrt's _dosmaperr: the errno of a Win32 error. */
void _dosmaperr(unsigned long error) {
    int value;
    switch (error) {
        case 2:   /* ERROR_FILE_NOT_FOUND */
        case 3:   /* ERROR_PATH_NOT_FOUND */
        case 15:  /* ERROR_INVALID_DRIVE */
        case 18:  /* ERROR_NO_MORE_FILES */
        case 161: /* ERROR_BAD_PATHNAME */
        case 206: /* ERROR_FILENAME_EXCED_RANGE */
            value = ENOENT;
            break;
        case 4: /* ERROR_TOO_MANY_OPEN_FILES */
            value = EMFILE;
            break;
        case 5:  /* ERROR_ACCESS_DENIED */
        case 12: /* ERROR_INVALID_ACCESS */
        case 32: /* ERROR_SHARING_VIOLATION */
        case 33: /* ERROR_LOCK_VIOLATION */
            value = EACCES;
            break;
        case 6: /* ERROR_INVALID_HANDLE */
            value = EBADF;
            break;
        case 8:  /* ERROR_NOT_ENOUGH_MEMORY */
        case 14: /* ERROR_OUTOFMEMORY */
            value = ENOMEM;
            break;
        case 80:  /* ERROR_FILE_EXISTS */
        case 183: /* ERROR_ALREADY_EXISTS */
            value = EEXIST;
            break;
        case 109: /* ERROR_BROKEN_PIPE */
            value = EPIPE;
            break;
        case 112: /* ERROR_DISK_FULL */
            value = ENOSPC;
            break;
        default:
            value = EINVAL;
            break;
    }
    *__doserrno() = error;
    crt_errno = value;
}

static int is_device(HANDLE handle) {
    return GetFileType(handle) == FILE_TYPE_CHAR;
}

void crt_lowio_init(void) {
    static const DWORD standard[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
    for (int fd = 0; fd < 3; fd++) {
        HANDLE handle = GetStdHandle(standard[fd]);
        if (handle == NULL || handle == INVALID_HANDLE_VALUE) {
            continue;
        }
        fds[fd].handle = handle;
        fds[fd].flags = FOPEN | FTEXT | (is_device(handle) ? FDEV : 0);
    }
}

static fd_entry* lookup(int fd) {
    if (fd < 0 || fd >= FD_COUNT || !(fds[fd].flags & FOPEN)) {
        crt_errno = EBADF;
        *__doserrno() = 0;
        return NULL;
    }
    return &fds[fd];
}

/* Takes the lowest free descriptor for HANDLE; -1 (EMFILE) when the table is full. */
int crt_fd_allocate(HANDLE handle, int text, int append) {
    _lock(CRT_LOCK_IOB);
    for (int fd = 0; fd < FD_COUNT; fd++) {
        if (!(fds[fd].flags & FOPEN)) {
            fds[fd].handle = handle;
            fds[fd].pending_cr = 0;
            fds[fd].flags = FOPEN | (text ? FTEXT : 0) | (append ? FAPPEND : 0) |
                            (is_device(handle) ? FDEV : 0);
            _unlock(CRT_LOCK_IOB);
            return fd;
        }
    }
    _unlock(CRT_LOCK_IOB);
    crt_errno = EMFILE;
    return -1;
}

#define SEEK_END_ 2

/* The new position, or -1 (errno EBADF, EINVAL for a position before the start). */
int64_t _lseeki64(int fd, int64_t offset, int origin) {
    fd_entry* entry = lookup(fd);
    if (entry == NULL) {
        return -1;
    }
    if (origin < 0 || origin > SEEK_END_) {
        crt_errno = EINVAL;
        return -1;
    }
    int64_t position;
    if (!SetFilePointerEx(entry->handle, offset, &position, (DWORD)origin)) {
        _dosmaperr(GetLastError());
        return -1;
    }
    entry->flags &= (unsigned char)~FEOF;
    entry->pending_cr = 0;
    return position;
}

long _lseek(int fd, long offset, int origin) {
    int64_t position = _lseeki64(fd, offset, origin);
    if (position > 0x7FFFFFFF) {
        crt_errno = EINVAL; /* msvcrt: the position does not fit a long */
        return -1;
    }
    return (long)position;
}

/* Writes all of BUFFER; returns 0, or -1 with errno set. */
static int write_all(fd_entry* entry, const char* buffer, DWORD size) {
    while (size > 0) {
        DWORD written = 0;
        if (!WriteFile(entry->handle, buffer, size, &written, NULL)) {
            DWORD error = GetLastError();
            if (error == ERROR_ACCESS_DENIED) {
                crt_errno = EBADF; /* msvcrt: a handle not open for writing */
                *__doserrno() = error;
            } else {
                _dosmaperr(error);
            }
            return -1;
        }
        if (written == 0) {
            crt_errno = ENOSPC;
            *__doserrno() = 0;
            return -1;
        }
        buffer += written;
        size -= written;
    }
    return 0;
}

int _write(int fd, const void* buffer, unsigned int count) {
    fd_entry* entry = lookup(fd);
    if (entry == NULL) {
        return -1;
    }
    if (entry->flags & FAPPEND) {
        _lseeki64(fd, 0, SEEK_END_);
    }
    const char* from = buffer;
    if (!(entry->flags & FTEXT)) {
        return write_all(entry, from, count) < 0 ? -1 : (int)count;
    }
    /* Text mode: each "\n" goes out as "\r\n". */
    char translated[1024];
    unsigned int done = 0;
    while (done < count) {
        DWORD n = 0;
        unsigned int start = done;
        while (done < count && n < sizeof translated - 1) {
            if (from[done] == '\n') {
                translated[n++] = '\r';
            }
            translated[n++] = from[done++];
        }
        if (write_all(entry, translated, n) < 0) {
            return start > 0 ? (int)start : -1;
        }
    }
    return (int)count;
}

int _read(int fd, void* buffer, unsigned int count) {
    fd_entry* entry = lookup(fd);
    if (entry == NULL) {
        return -1;
    }
    if (count == 0 || (entry->flags & FEOF)) {
        return 0;
    }
    char* to = buffer;
    unsigned int have = 0;
    if (entry->pending_cr) {
        to[have++] = '\r';
        entry->pending_cr = 0;
    }
    DWORD got = 0;
    if (have < count && !ReadFile(entry->handle, to + have, count - have, &got, NULL)) {
        DWORD error = GetLastError();
        if (error != ERROR_BROKEN_PIPE) { /* a closed pipe is the end of the input */
            if (error == ERROR_ACCESS_DENIED) {
                crt_errno = EBADF;
                *__doserrno() = error;
            } else {
                _dosmaperr(error);
            }
            return -1;
        }
        got = 0;
    }
    have += got;
    if (!(entry->flags & FTEXT)) {
        return (int)have;
    }
    unsigned int out = 0;
    for (unsigned int i = 0; i < have; i++) {
        char c = to[i];
        if (c == 0x1A) { /* Ctrl-Z: the end of a text file */
            entry->flags |= FEOF;
            break;
        }
        if (c == '\r') {
            if (i + 1 < have) {
                if (to[i + 1] == '\n') {
                    continue; /* the '\n' comes next */
                }
            } else if (got > 0 && out > 0) {
                entry->pending_cr = 1; /* decide with the next read */
                break;
            }
        }
        to[out++] = c;
    }
    return (int)out;
}

int _isatty(int fd) {
    return fd >= 0 && fd < FD_COUNT && (fds[fd].flags & (FOPEN | FDEV)) == (FOPEN | FDEV);
}

int _setmode(int fd, int mode) {
    fd_entry* entry = lookup(fd);
    if (entry == NULL) {
        return -1;
    }
    int old = (entry->flags & FTEXT) ? O_TEXT : O_BINARY;
    if (mode == O_TEXT) {
        entry->flags |= FTEXT;
    } else if (mode == O_BINARY) {
        entry->flags &= (unsigned char)~FTEXT;
    } else {
        crt_errno = EINVAL;
        return -1;
    }
    return old;
}

intptr_t _get_osfhandle(int fd) {
    fd_entry* entry = lookup(fd);
    return entry == NULL ? -1 : (intptr_t)entry->handle;
}

int _open_osfhandle(intptr_t handle, int flags) {
    int text = (flags & O_BINARY) ? 0 : (flags & O_TEXT) ? 1 : !(_fmode & O_BINARY);
    return crt_fd_allocate((HANDLE)handle, text, flags & O_APPEND);
}

/* What _open and _wopen pass to CreateFile, as msvcrt maps the flags: shared for reading and
 * writing (_SH_DENYNO), and read-only when a new file's pmode lacks _S_IWRITE. 0, or -1 with
 * errno EINVAL for an impossible access mode. */
typedef struct {
    DWORD access;
    DWORD disposition;
    DWORD attributes;
} open_request;

static int open_request_of(int oflag, int pmode, open_request* request) {
    static const DWORD access[] = {0x80000000UL, 0x40000000UL, 0xC0000000UL}; /* GENERIC_* */
    if ((oflag & O_ACCMODE) == O_ACCMODE) {
        crt_errno = EINVAL;
        return -1;
    }
    request->access = access[oflag & O_ACCMODE];
    switch (oflag & (O_CREAT | O_EXCL | O_TRUNC)) {
        case O_CREAT | O_EXCL:
        case O_CREAT | O_EXCL | O_TRUNC:
            request->disposition = 1; /* CREATE_NEW */
            break;
        case O_CREAT | O_TRUNC:
            request->disposition = 2; /* CREATE_ALWAYS */
            break;
        case O_CREAT:
            request->disposition = 4; /* OPEN_ALWAYS */
            break;
        case O_TRUNC:
        case O_TRUNC | O_EXCL:
            request->disposition = 5; /* TRUNCATE_EXISTING */
            break;
        default:
            request->disposition = 3; /* OPEN_EXISTING */
            break;
    }
    request->attributes = ((oflag & O_CREAT) && !(pmode & S_IWRITE)) ? 0x1 /* READONLY */
                                                                     : 0x80 /* NORMAL */;
    return 0;
}

/* A descriptor for HANDLE just opened (or INVALID_HANDLE_VALUE, whose error becomes errno). */
static int open_finish(HANDLE handle, int oflag) {
    if (handle == INVALID_HANDLE_VALUE) {
        _dosmaperr(GetLastError());
        return -1;
    }
    const int fd = _open_osfhandle((intptr_t)handle, oflag);
    if (fd < 0) {
        CloseHandle(handle);
    }
    return fd;
}

int _open(const char* path, int oflag, ...) {
    int pmode = 0;
    if (oflag & O_CREAT) {
        va_list args;
        va_start(args, oflag);
        pmode = va_arg(args, int);
        va_end(args);
    }
    open_request r;
    if (open_request_of(oflag, pmode, &r) < 0) {
        return -1;
    }
    return open_finish(CreateFileA(path, r.access, 0x1 | 0x2 /* share r/w */, NULL, r.disposition,
                                   r.attributes, NULL),
                       oflag);
}

int _wopen(const WCHAR* path, int oflag, ...) {
    int pmode = 0;
    if (oflag & O_CREAT) {
        va_list args;
        va_start(args, oflag);
        pmode = va_arg(args, int);
        va_end(args);
    }
    open_request r;
    if (open_request_of(oflag, pmode, &r) < 0) {
        return -1;
    }
    return open_finish(CreateFileW(path, r.access, 0x1 | 0x2 /* share r/w */, NULL, r.disposition,
                                   r.attributes, NULL),
                       oflag);
}

int _close(int fd) {
    fd_entry* entry = lookup(fd);
    if (entry == NULL) {
        return -1;
    }
    BOOL closed = CloseHandle(entry->handle);
    DWORD error = closed ? 0 : GetLastError();
    entry->flags = 0;
    entry->handle = NULL;
    if (!closed) {
        _dosmaperr(error);
        return -1;
    }
    return 0;
}

/* The entry's flags for stdio, which must know a text descriptor's end of file. */
int crt_fd_is_text(int fd) {
    return fd >= 0 && fd < FD_COUNT && (fds[fd].flags & FTEXT);
}

int64_t _telli64(int fd) {
    return _lseeki64(fd, 0, 1 /* SEEK_CUR */);
}

/* The file's length, found by seeking to its end and back, as msvcrt does. */
int64_t _filelengthi64(int fd) {
    int64_t here = _lseeki64(fd, 0, 1);
    if (here < 0) {
        return -1;
    }
    int64_t end = _lseeki64(fd, 0, SEEK_END_);
    _lseeki64(fd, here, 0);
    return end;
}

long _filelength(int fd) {
    int64_t length = _filelengthi64(fd);
    if (length > 0x7FFFFFFF) {
        crt_errno = EINVAL;
        return -1;
    }
    return (long)length;
}

/* _fstat64: a console or other character device is _S_IFCHR, a pipe _S_IFIFO, both with
 * st_dev and st_rdev the descriptor; a disk file is _S_IFREG (or _S_IFDIR) with the
 * permission bits msvcrt derives from FILE_ATTRIBUTE_READONLY, repeated for group and
 * other, and its times in seconds since 1970. */
int _fstat64(int fd, struct crt_stat64* buffer) {
    fd_entry* entry = lookup(fd);
    if (entry == NULL) {
        return -1;
    }
    if (buffer == NULL) {
        crt_errno = EINVAL;
        return -1;
    }
    memset(buffer, 0, sizeof *buffer);
    buffer->st_nlink = 1;
    DWORD type = GetFileType(entry->handle) & ~0x8000UL; /* FILE_TYPE_REMOTE */
    if (type == FILE_TYPE_CHAR || type == 3 /* FILE_TYPE_PIPE */) {
        buffer->st_mode = type == FILE_TYPE_CHAR ? CRT_S_IFCHR : CRT_S_IFIFO;
        buffer->st_dev = buffer->st_rdev = (unsigned)fd;
        return 0;
    }
    if (type != 1 /* FILE_TYPE_DISK */) {
        _dosmaperr(GetLastError());
        return -1;
    }
    BY_HANDLE_FILE_INFORMATION info;
    if (!GetFileInformationByHandle(entry->handle, &info)) {
        _dosmaperr(GetLastError());
        return -1;
    }
    crt_fill_stat(buffer, info.dwFileAttributes, &info.ftCreationTime, &info.ftLastAccessTime,
                  &info.ftLastWriteTime, ((int64_t)info.nFileSizeHigh << 32) | info.nFileSizeLow);
    buffer->st_nlink = (short)info.nNumberOfLinks;
    return 0;
}
