/* The runtime's own machinery: DllMain (which sets the library up before any program code
 * runs, as msvcrt.dll's does), the numbered locks behind _lock/_unlock, per-thread data, and
 * errno with msvcrt's strerror texts. */
#include "msvcrt_private.h"

/* ---- Locks ------------------------------------------------------------------------------- */

/* A recursive lock: the owning thread's id and a depth. Waiters yield their quantum rather
 * than spin, so a preempted owner gets to run. */
typedef struct {
    volatile DWORD owner;
    int depth;
} crt_lock;

static crt_lock locks[CRT_LOCK_COUNT];

static void lock_acquire(crt_lock* lock) {
    DWORD self = GetCurrentThreadId();
    if (lock->owner == self) {
        lock->depth++;
        return;
    }
    while (!__sync_bool_compare_and_swap(&lock->owner, 0, self)) {
        SwitchToThread();
    }
    lock->depth = 1;
}

static void lock_release(crt_lock* lock) {
    if (--lock->depth == 0) {
        __sync_lock_release(&lock->owner);
    }
}

void _lock(int which) {
    if (which >= 0 && which < CRT_LOCK_COUNT) {
        lock_acquire(&locks[which]);
    }
}

void _unlock(int which) {
    if (which >= 0 && which < CRT_LOCK_COUNT) {
        lock_release(&locks[which]);
    }
}

/* Streams in _iob have their own locks; those fopen allocates beyond it carry none of
 * msvcrt's numbers and share the table's. */
static int stream_lock_number(FILE* stream) {
    ptrdiff_t index = stream - _iob;
    return (index >= 0 && index < CRT_IOB_ENTRIES) ? CRT_LOCK_STREAM_BASE + (int)index
                                                   : CRT_LOCK_IOB;
}

void crt_lock_stream(FILE* stream) {
    _lock(stream_lock_number(stream));
}

void crt_unlock_stream(FILE* stream) {
    _unlock(stream_lock_number(stream));
}

void _lock_file(FILE* stream) {
    crt_lock_stream(stream);
}

void _unlock_file(FILE* stream) {
    crt_unlock_stream(stream);
}

/* ---- Per-thread data --------------------------------------------------------------------- */

static DWORD thread_slot = (DWORD)-1;
/* Used when a thread's own block cannot be allocated: errno must still have somewhere to go. */
static crt_thread_data fallback_thread;

crt_thread_data* crt_thread(void) {
    crt_thread_data* data = TlsGetValue(thread_slot);
    if (data == NULL) {
        data = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *data);
        if (data == NULL) {
            return &fallback_thread;
        }
        data->rand_seed = 1;
        TlsSetValue(thread_slot, data);
    }
    return data;
}

int* _errno(void) {
    return &crt_thread()->errno_value;
}

unsigned long* __doserrno(void) {
    return &crt_thread()->doserrno_value;
}

int _set_errno(int value) {
    crt_errno = value;
    return 0;
}

int _get_errno(int* value) {
    if (value == NULL) {
        return EINVAL;
    }
    *value = crt_errno;
    return 0;
}

/* msvcrt's _sys_errlist, word for word; numbers without a text say "Unknown error", the last
 * entry, which _sys_nerr does not count. */
const char* _sys_errlist[] = {
    "No error",
    "Operation not permitted",
    "No such file or directory",
    "No such process",
    "Interrupted function call",
    "Input/output error",
    "No such device or address",
    "Arg list too long",
    "Exec format error",
    "Bad file descriptor",
    "No child processes",
    "Resource temporarily unavailable",
    "Not enough space",
    "Permission denied",
    "Bad address",
    "Unknown error",
    "Resource device",
    "File exists",
    "Improper link",
    "No such device",
    "Not a directory",
    "Is a directory",
    "Invalid argument",
    "Too many open files in system",
    "Too many open files",
    "Inappropriate I/O control operation",
    "Unknown error",
    "File too large",
    "No space left on device",
    "Invalid seek",
    "Read-only file system",
    "Too many links",
    "Broken pipe",
    "Domain error",
    "Result too large",
    "Unknown error",
    "Resource deadlock avoided",
    "Unknown error",
    "Filename too long",
    "No locks available",
    "Function not implemented",
    "Directory not empty",
    "Illegal byte sequence",
    "Unknown error",
};

int _sys_nerr = (int)(sizeof _sys_errlist / sizeof _sys_errlist[0]) - 1;

char* strerror(int number) {
    if (number < 0 || number >= _sys_nerr) {
        number = _sys_nerr;
    }
    return (char*)_sys_errlist[number];
}

/* ---- DllMain ------------------------------------------------------------------------------ */

#define DLL_PROCESS_DETACH 0
#define DLL_PROCESS_ATTACH 1
#define DLL_THREAD_DETACH 3

int crt_exiting; /* set once exit() has flushed: nothing is left for DLL_PROCESS_DETACH */

BOOL WINAPI DllMain(HANDLE instance, DWORD reason, void* reserved) {
    (void)instance;
    (void)reserved;
    switch (reason) {
        case DLL_PROCESS_ATTACH:
            thread_slot = TlsAlloc();
            if (thread_slot == (DWORD)-1) {
                return 0;
            }
            crt_lowio_init();
            crt_stdio_init();
            crt_environment_init();
            crt_time_init();
            break;
        case DLL_THREAD_DETACH: {
            crt_thread_data* data = TlsGetValue(thread_slot);
            if (data != NULL) {
                TlsSetValue(thread_slot, NULL);
                HeapFree(GetProcessHeap(), 0, data);
            }
            break;
        }
        case DLL_PROCESS_DETACH:
            /* ExitProcess without exit(): what the program wrote still reaches its file. */
            if (!crt_exiting) {
                crt_stdio_flush_all();
            }
            break;
        default:
            break;
    }
    return 1;
}
