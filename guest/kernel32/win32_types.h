/* The Win32 types kernel32's interface uses beyond the NT ones, with Windows SDK layouts. */
#ifndef NTOY_KERNEL32_WIN32_TYPES_H
#define NTOY_KERNEL32_WIN32_TYPES_H

#include "ntoy/nt_types.h"

typedef PVOID HMODULE;
/* As the SDK declares it: any procedure, called through a cast to its real type. */
typedef LONG_PTR (*FARPROC)();
typedef LONG_PTR (*PROC)();

#define STD_INPUT_HANDLE ((DWORD)-10)
#define STD_OUTPUT_HANDLE ((DWORD)-11)
#define STD_ERROR_HANDLE ((DWORD)-12)

typedef struct _OVERLAPPED {
    ULONG_PTR Internal;     /* the IO_STATUS_BLOCK's Status */
    ULONG_PTR InternalHigh; /* the IO_STATUS_BLOCK's Information */
    union {
        struct {
            DWORD Offset;
            DWORD OffsetHigh;
        } s;
        PVOID Pointer;
    } u;
    HANDLE hEvent;
} OVERLAPPED, *LPOVERLAPPED;
_Static_assert(sizeof(OVERLAPPED) == 0x20, "OVERLAPPED size");
_Static_assert(offsetof(OVERLAPPED, hEvent) == 0x18, "OVERLAPPED.hEvent");

#define PROCESSOR_ARCHITECTURE_AMD64 9
#define PROCESSOR_AMD_X8664 8664

typedef struct _SYSTEM_INFO {
    union {
        DWORD dwOemId;
        struct {
            WORD wProcessorArchitecture;
            WORD wReserved;
        } s;
    } u;
    DWORD dwPageSize;
    LPVOID lpMinimumApplicationAddress;
    LPVOID lpMaximumApplicationAddress;
    DWORD_PTR dwActiveProcessorMask;
    DWORD dwNumberOfProcessors;
    DWORD dwProcessorType;
    DWORD dwAllocationGranularity;
    WORD wProcessorLevel;
    WORD wProcessorRevision;
} SYSTEM_INFO, *LPSYSTEM_INFO;
_Static_assert(sizeof(SYSTEM_INFO) == 0x30, "SYSTEM_INFO size");
_Static_assert(offsetof(SYSTEM_INFO, lpMinimumApplicationAddress) == 0x8, "SYSTEM_INFO.lpMin");
_Static_assert(offsetof(SYSTEM_INFO, dwActiveProcessorMask) == 0x18, "SYSTEM_INFO.mask");
_Static_assert(offsetof(SYSTEM_INFO, dwNumberOfProcessors) == 0x20, "SYSTEM_INFO.processors");
_Static_assert(offsetof(SYSTEM_INFO, dwAllocationGranularity) == 0x28, "SYSTEM_INFO.granularity");
_Static_assert(offsetof(SYSTEM_INFO, wProcessorLevel) == 0x2C, "SYSTEM_INFO.level");

typedef struct _FILETIME {
    DWORD dwLowDateTime;
    DWORD dwHighDateTime;
} FILETIME, *PFILETIME, *LPFILETIME;
_Static_assert(sizeof(FILETIME) == 8, "FILETIME size");

typedef struct _SYSTEMTIME {
    WORD wYear;
    WORD wMonth;
    WORD wDayOfWeek;
    WORD wDay;
    WORD wHour;
    WORD wMinute;
    WORD wSecond;
    WORD wMilliseconds;
} SYSTEMTIME, *PSYSTEMTIME, *LPSYSTEMTIME;
_Static_assert(sizeof(SYSTEMTIME) == 16, "SYSTEMTIME size");

#endif
