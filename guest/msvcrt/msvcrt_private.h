/* What every msvcrt source includes: the C types with msvcrt's x64 layouts, the kernel32
 * functions msvcrt calls, and the helpers shared inside the DLL. msvcrt is the C library, so
 * nothing here comes from another one: only the compiler's freestanding headers. */
#ifndef NTOY_MSVCRT_PRIVATE_H
#define NTOY_MSVCRT_PRIVATE_H

#include <stdarg.h>

/* The integer types, spelled out: mingw's <stddef.h> and <stdint.h> would bring its CRT
 * headers' declarations of the very functions defined here. */
typedef unsigned long long size_t;
typedef long long ptrdiff_t;
typedef long long intptr_t;
typedef unsigned long long uintptr_t;
typedef signed char int8_t;
typedef long long int64_t;
typedef unsigned long long uint64_t;
typedef int int32_t;
typedef unsigned int uint32_t;
typedef unsigned short uint16_t;
#define NULL ((void*)0)
#define INT64_MAX 0x7FFFFFFFFFFFFFFFLL
#define INT64_MIN (-INT64_MAX - 1)
#define UINT64_MAX 0xFFFFFFFFFFFFFFFFULL

/* ---- Win32, as much as msvcrt uses -------------------------------------------------------- */
typedef int BOOL;
typedef unsigned long DWORD;
typedef void* HANDLE;
typedef unsigned short WCHAR;
#define WINAPI __attribute__((ms_abi))
#define IMPORT __declspec(dllimport)
#define INVALID_HANDLE_VALUE ((HANDLE)(intptr_t)-1)
#define STD_INPUT_HANDLE ((DWORD)-10)
#define STD_OUTPUT_HANDLE ((DWORD)-11)
#define STD_ERROR_HANDLE ((DWORD)-12)
#define HEAP_ZERO_MEMORY 0x00000008
#define ERROR_BROKEN_PIPE 109
#define ERROR_ACCESS_DENIED 5

IMPORT HANDLE WINAPI GetStdHandle(DWORD which);
IMPORT BOOL WINAPI WriteFile(HANDLE file, const void* buffer, DWORD size, DWORD* written,
                             void* overlapped);
IMPORT BOOL WINAPI ReadFile(HANDLE file, void* buffer, DWORD size, DWORD* read, void* overlapped);
IMPORT DWORD WINAPI GetFileType(HANDLE file);
IMPORT BOOL WINAPI SetFilePointerEx(HANDLE file, int64_t distance, int64_t* position, DWORD method);
IMPORT BOOL WINAPI CloseHandle(HANDLE handle);
IMPORT HANDLE WINAPI CreateFileA(const char* name, DWORD access, DWORD share, void* security,
                                 DWORD disposition, DWORD attributes, HANDLE template_file);
IMPORT HANDLE WINAPI CreateFileW(const WCHAR* name, DWORD access, DWORD share, void* security,
                                 DWORD disposition, DWORD attributes, HANDLE template_file);
typedef struct {
    DWORD dwLowDateTime;
    DWORD dwHighDateTime;
} FILETIME;
typedef struct {
    DWORD dwFileAttributes;
    FILETIME ftCreationTime;
    FILETIME ftLastAccessTime;
    FILETIME ftLastWriteTime;
    DWORD dwVolumeSerialNumber;
    DWORD nFileSizeHigh;
    DWORD nFileSizeLow;
    DWORD nNumberOfLinks;
    DWORD nFileIndexHigh;
    DWORD nFileIndexLow;
} BY_HANDLE_FILE_INFORMATION;
IMPORT BOOL WINAPI GetFileInformationByHandle(HANDLE file, BY_HANDLE_FILE_INFORMATION* info);
IMPORT char* WINAPI GetCommandLineA(void);
IMPORT WCHAR* WINAPI GetCommandLineW(void);
IMPORT char* WINAPI GetEnvironmentStrings(void);
IMPORT WCHAR* WINAPI GetEnvironmentStringsW(void);
IMPORT BOOL WINAPI SetEnvironmentVariableA(const char* name, const char* value);
IMPORT __attribute__((noreturn)) void WINAPI ExitProcess(unsigned int code);
IMPORT DWORD WINAPI GetLastError(void);
IMPORT DWORD WINAPI GetCurrentThreadId(void);
IMPORT BOOL WINAPI SwitchToThread(void);
IMPORT DWORD WINAPI TlsAlloc(void);
IMPORT void* WINAPI TlsGetValue(DWORD index);
IMPORT BOOL WINAPI TlsSetValue(DWORD index, void* value);
IMPORT HANDLE WINAPI GetProcessHeap(void);
IMPORT void* WINAPI HeapAlloc(HANDLE heap, DWORD flags, size_t size);
IMPORT void* WINAPI HeapReAlloc(HANDLE heap, DWORD flags, void* block, size_t size);
IMPORT BOOL WINAPI HeapFree(HANDLE heap, DWORD flags, void* block);
IMPORT size_t WINAPI HeapSize(HANDLE heap, DWORD flags, const void* block);

/* ---- msvcrt's own types ------------------------------------------------------------------- */
/* FILE as msvcrt.dll lays it out (mingw's <stdio.h> struct _iobuf): programs index _iob by
 * sizeof(FILE), and a few macros read the fields. */
typedef struct crt_file {
    char* _ptr;   /* next character in the buffer */
    int _cnt;     /* characters left to read, or room left to write */
    char* _base;  /* the buffer, or NULL */
    int _flag;    /* _IO* below */
    int _file;    /* the file descriptor */
    int _charbuf; /* the one-byte buffer of an unbuffered stream */
    int _bufsiz;  /* size of _base */
    char* _tmpfname;
} FILE;
_Static_assert(sizeof(FILE) == 48, "FILE is 48 bytes on x64 msvcrt");

#define _IOREAD 0x0001
#define _IOWRT 0x0002
#define _IOMYBUF 0x0008
#define _IOEOF 0x0010
#define _IOERR 0x0020
#define _IOSTRG 0x0040
#define _IORW 0x0080
#define _IONBF 0x0004
#define _IOYOURBUF 0x0100
#define _IOLBF 0x0040 /* setvbuf's mode value; msvcrt buffers such a stream fully */
#define _IOFBF 0x0000
#define CRT_BUFSIZ 4096
#define EOF (-1)
#define CRT_IOB_ENTRIES 20 /* _iob's size in msvcrt.dll */

extern FILE _iob[CRT_IOB_ENTRIES];

/* errno values, as <errno.h> numbers them. */
#define EPERM 1
#define ENOENT 2
#define EINTR 4
#define EIO 5
#define EBADF 9
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EEXIST 17
#define EINVAL 22
#define EMFILE 24
#define ENOSPC 28
#define ESPIPE 29
#define EPIPE 32
#define EDOM 33
#define ERANGE 34
#define EILSEQ 42

int* _errno(void);
unsigned long* __doserrno(void);
#define crt_errno (*_errno())

/* Per-thread state: errno, the last strtok position, rand's seed. */
typedef struct crt_thread_data {
    int errno_value;
    unsigned long doserrno_value;
    unsigned int rand_seed;
    char* strtok_next;
    WCHAR* wcstok_next;
    int tm_buffer[9]; /* the struct tm that gmtime and localtime return */
} crt_thread_data;
crt_thread_data* crt_thread(void);

/* ---- Shared helpers ----------------------------------------------------------------------- */
void* malloc(size_t size);
void* calloc(size_t count, size_t size);
void* realloc(void* block, size_t size);
void free(void* block);

size_t strlen(const char* s);
size_t wcslen(const WCHAR* s);
void* memcpy(void* to, const void* from, size_t count);
void* memmove(void* to, const void* from, size_t count);
void* memset(void* to, int value, size_t count);
int strncmp(const char* a, const char* b, size_t count);
char* strchr(const char* s, int c);
char* strerror(int number);

/* msvcrt's locks (_lock numbers): recursive, per table entry. */
#define CRT_LOCK_IOB 1          /* the _iob table */
#define CRT_LOCK_EXIT 8         /* the atexit table */
#define CRT_LOCK_ENV 7          /* the environment */
#define CRT_LOCK_STREAM_BASE 16 /* + the stream's index in _iob */
#define CRT_LOCK_COUNT (CRT_LOCK_STREAM_BASE + CRT_IOB_ENTRIES)
void _lock(int which);
void _unlock(int which);
void crt_lock_stream(FILE* stream);
void crt_unlock_stream(FILE* stream);

/* The file-descriptor layer (lowio.c). */
int _write(int fd, const void* buffer, unsigned int count);
int _read(int fd, void* buffer, unsigned int count);
int _isatty(int fd);
int _close(int fd);
int _open(const char* path, int oflag, ...);
int64_t _lseeki64(int fd, int64_t offset, int origin);
intptr_t _get_osfhandle(int fd);
void crt_lowio_init(void);

/* struct _stat64 as msvcrt lays it out (mingw's <sys/stat.h>). */
struct crt_stat64 {
    unsigned int st_dev;
    unsigned short st_ino;
    unsigned short st_mode;
    short st_nlink;
    short st_uid;
    short st_gid;
    unsigned int st_rdev;
    int64_t st_size;
    int64_t st_atime;
    int64_t st_mtime;
    int64_t st_ctime;
};
_Static_assert(sizeof(struct crt_stat64) == 56, "struct _stat64 is 56 bytes on x64");
#define CRT_S_IFDIR 0x4000
#define CRT_S_IFCHR 0x2000
#define CRT_S_IFIFO 0x1000
#define CRT_S_IFREG 0x8000
/* Fills the mode, size and times of a disk file or directory (files.c). */
void crt_fill_stat(struct crt_stat64* buffer, DWORD attributes, const FILETIME* created,
                   const FILETIME* accessed, const FILETIME* written, int64_t size);
/* Seconds since 1970 of a FILETIME, 0 for a zero one (time.c). */
int64_t crt_filetime_to_time(const FILETIME* time);
void _dosmaperr(unsigned long error);

/* stdio (stdio.c). */
int fflush(FILE* stream);
int _flushall(void);
void crt_stdio_init(void);
/* Flushes every stream; at exit, before the handles go. */
void crt_stdio_flush_all(void);

/* Formatting (printf.c): writes through SINK, returns the count or -1. */
typedef struct crt_sink {
    int (*put)(struct crt_sink* sink, const char* text, size_t length);
} crt_sink;
int crt_format(crt_sink* sink, const char* format, va_list args);

/* Exact decimal digits of a double (float_digits.c): writes up to MAX_DIGITS significant
 * digits, rounded half-up at the last one, to DIGITS and returns how many were written
 * (trailing zeros dropped, at least one); *EXPONENT is the decimal exponent of the first
 * digit. VALUE is finite and positive. */
int crt_double_digits(double value, int max_digits, char* digits, int* exponent);
/* The double nearest to the decimal DIGITS (count digits, no dot) times 10^EXPONENT, rounded
 * to nearest even, as strtod needs. */
double crt_decimal_to_double(const char* digits, int count, int exponent);

/* <time.h> (time.c): records clock()'s start. */
void crt_time_init(void);

/* Environment (startup.c). */
extern char** _environ;
void crt_environment_init(void);

/* Exit (startup.c): runs the atexit table and flushes. */
void crt_run_exit_handlers(void);

#endif
