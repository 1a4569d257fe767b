/* KUSER_SHARED_DATA: the page the kernel maps read-only at 0x7FFE0000 in every process, so
 * that user mode reads the time (GetTickCount, QueryPerformanceCounter,
 * GetSystemTimeAsFileTime) and the system's version without a system call. Offsets are those
 * of 64-bit Windows, so code that reads the page directly behaves as it would there. Plain C,
 * shared by host and guest.
 *
 * A KSYSTEM_TIME is { ULONG LowPart; LONG High1Time; LONG High2Time; }. The kernel writes
 * High2Time, then LowPart, then High1Time; a reader reads High1Time, then LowPart, then
 * High2Time, and reads again while High1Time != High2Time: a torn value is never seen. */
#ifndef NTOY_SHARED_USER_DATA_H
#define NTOY_SHARED_USER_DATA_H

/* Where user mode sees the page, and where the kernel keeps it in system space (the
 * same frame, writable there: KI_USER_SHARED_DATA). */
#define NTOY_USER_SHARED_DATA 0x7FFE0000ull
#define NTOY_KI_USER_SHARED_DATA 0xFFFFF78000000000ull

#define NTOY_USD_TICK_COUNT_MULTIPLIER 0x004 /* ULONG: ms per tick * 2^24 */
#define NTOY_USD_INTERRUPT_TIME 0x008        /* KSYSTEM_TIME: 100 ns since boot */
#define NTOY_USD_SYSTEM_TIME 0x014           /* KSYSTEM_TIME: 100 ns since 1601-01-01 UTC */
#define NTOY_USD_TIME_ZONE_BIAS 0x020        /* KSYSTEM_TIME: UTC - local, 100 ns */
#define NTOY_USD_IMAGE_NUMBER_LOW 0x02C      /* USHORT */
#define NTOY_USD_IMAGE_NUMBER_HIGH 0x02E     /* USHORT */
#define NTOY_USD_NT_SYSTEM_ROOT 0x030        /* WCHAR[260] */
#define NTOY_USD_NT_SYSTEM_ROOT_CHARS 260
#define NTOY_USD_NT_PRODUCT_TYPE 0x264          /* NT_PRODUCT_TYPE (ULONG) */
#define NTOY_USD_PRODUCT_TYPE_IS_VALID 0x268    /* BOOLEAN */
#define NTOY_USD_NT_MAJOR_VERSION 0x26C         /* ULONG */
#define NTOY_USD_NT_MINOR_VERSION 0x270         /* ULONG */
#define NTOY_USD_NUMBER_OF_PHYSICAL_PAGES 0x2E8 /* ULONG */
#define NTOY_USD_QPC_FREQUENCY 0x300            /* LONGLONG, counts per second */
#define NTOY_USD_TICK_COUNT 0x320 /* KSYSTEM_TIME (TickCountQuad aliases it): ms since boot */
#define NTOY_USD_COOKIE 0x330     /* ULONG */

/* KSYSTEM_TIME's fields. */
#define NTOY_KSYSTEM_TIME_LOW_PART 0x0
#define NTOY_KSYSTEM_TIME_HIGH1_TIME 0x4
#define NTOY_KSYSTEM_TIME_HIGH2_TIME 0x8

/* ntoy's values for the constant fields. */
#define NTOY_USD_IMAGE_NUMBER 0x8664 /* IMAGE_FILE_MACHINE_AMD64 */
#define NTOY_USD_PRODUCT_WIN_NT 1    /* NtProductWinNt: a workstation */
#define NTOY_USD_MAJOR_VERSION 10
#define NTOY_USD_MINOR_VERSION 0
/* QueryPerformanceCounter counts interrupt time: 100 ns, as on Windows 10 with an invariant
 * TSC. */
#define NTOY_USD_QPC_FREQUENCY_VALUE 10000000ll
/* TickCount is kept in milliseconds, so the multiplier is 1.0 in 8.24 fixed point. */
#define NTOY_USD_TICK_COUNT_MULTIPLIER_VALUE 0x01000000u

#endif
