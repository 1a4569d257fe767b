/* The time, read from KUSER_SHARED_DATA without a system call, as Windows' kernel32 does:
 * GetTickCount from the tick count, QueryPerformanceCounter from interrupt time (QpcFrequency
 * is 10 MHz), GetSystemTimeAsFileTime from system time. Each KSYSTEM_TIME is read with the
 * High1Time/High2Time protocol of ntoy/shared_user_data.h; SYSTEMTIME comes from the days
 * since 1601 by the proleptic Gregorian calendar. */
#include "ntoy/shared_user_data.h"

#include "kernel32_private.h"

#define SHARED_FIELD(type, offset) (*(const volatile type*)(NTOY_USER_SHARED_DATA + (offset)))

/* A torn value (the kernel rewrote the field between two reads) shows as High1 != High2:
 * read again. */
static ULONGLONG read_ksystem_time(ULONG offset) {
    for (;;) {
        LONG high1 = SHARED_FIELD(LONG, offset + NTOY_KSYSTEM_TIME_HIGH1_TIME);
        ULONG low = SHARED_FIELD(ULONG, offset + NTOY_KSYSTEM_TIME_LOW_PART);
        LONG high2 = SHARED_FIELD(LONG, offset + NTOY_KSYSTEM_TIME_HIGH2_TIME);
        if (high1 == high2) {
            return ((ULONGLONG)(ULONG)high1 << 32) | low;
        }
    }
}

/* Ticks times TickCountMultiplier (8.24 fixed point), as Windows computes it, so a page
 * whose tick is not one millisecond still gives milliseconds. */
ULONGLONG GetTickCount64(VOID) {
    ULONGLONG ticks = read_ksystem_time(NTOY_USD_TICK_COUNT);
    ULONG multiplier = SHARED_FIELD(ULONG, NTOY_USD_TICK_COUNT_MULTIPLIER);
    return (ULONGLONG)(((unsigned __int128)ticks * multiplier) >> 24);
}

/* Wraps every 49.7 days, as on Windows. */
DWORD GetTickCount(VOID) {
    return (DWORD)GetTickCount64();
}

BOOL QueryPerformanceCounter(LARGE_INTEGER* lpPerformanceCount) {
    lpPerformanceCount->QuadPart = (LONGLONG)read_ksystem_time(NTOY_USD_INTERRUPT_TIME);
    return TRUE;
}

BOOL QueryPerformanceFrequency(LARGE_INTEGER* lpFrequency) {
    lpFrequency->QuadPart = SHARED_FIELD(LONGLONG, NTOY_USD_QPC_FREQUENCY);
    return TRUE;
}

static void store_file_time(LPFILETIME file_time, ULONGLONG value) {
    file_time->dwLowDateTime = (DWORD)value;
    file_time->dwHighDateTime = (DWORD)(value >> 32);
}

VOID GetSystemTimeAsFileTime(LPFILETIME lpSystemTimeAsFileTime) {
    store_file_time(lpSystemTimeAsFileTime, read_ksystem_time(NTOY_USD_SYSTEM_TIME));
}

/* Windows reads the interrupt-time source for this one; the kernel publishes system time
 * at every entry, so the page is as precise as ntoy's clock is. */
VOID GetSystemTimePreciseAsFileTime(LPFILETIME lpSystemTimeAsFileTime) {
    store_file_time(lpSystemTimeAsFileTime, read_ksystem_time(NTOY_USD_SYSTEM_TIME));
}

#define TICKS_PER_MILLISECOND 10000ull
#define MILLISECONDS_PER_DAY 86400000ull
/* From 0000-03-01 (the calendar's computational epoch: leap days fall at a year's end) to
 * 1601-01-01. */
#define DAYS_FROM_MARCH_0000_TO_1601 584694ull

/* 100 ns since 1601-01-01 as a calendar date and time. */
static void time_to_fields(ULONGLONG time, LPSYSTEMTIME fields) {
    ULONGLONG milliseconds = time / TICKS_PER_MILLISECOND;
    ULONGLONG days = milliseconds / MILLISECONDS_PER_DAY;
    ULONG in_day = (ULONG)(milliseconds % MILLISECONDS_PER_DAY);
    fields->wMilliseconds = (WORD)(in_day % 1000);
    fields->wSecond = (WORD)(in_day / 1000 % 60);
    fields->wMinute = (WORD)(in_day / 60000 % 60);
    fields->wHour = (WORD)(in_day / 3600000);
    fields->wDayOfWeek = (WORD)((days + 1) % 7); /* 1601-01-01 was a Monday */

    /* Howard Hinnant's civil_from_days, counted from 0000-03-01 so all is unsigned. */
    ULONGLONG z = days + DAYS_FROM_MARCH_0000_TO_1601;
    ULONGLONG era = z / 146097;
    ULONG day_of_era = (ULONG)(z - era * 146097);
    ULONG year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    ULONG day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    ULONG shifted_month = (5 * day_of_year + 2) / 153; /* March is 0 */
    ULONG month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
    fields->wDay = (WORD)(day_of_year - (153 * shifted_month + 2) / 5 + 1);
    fields->wMonth = (WORD)month;
    fields->wYear = (WORD)(year_of_era + era * 400 + (month <= 2));
}

VOID GetSystemTime(LPSYSTEMTIME lpSystemTime) {
    time_to_fields(read_ksystem_time(NTOY_USD_SYSTEM_TIME), lpSystemTime);
}

/* A FILETIME with its top bit set is not a time: ERROR_INVALID_PARAMETER, as on Windows. */
BOOL FileTimeToSystemTime(const FILETIME* lpFileTime, LPSYSTEMTIME lpSystemTime) {
    ULONGLONG time = ((ULONGLONG)lpFileTime->dwHighDateTime << 32) | lpFileTime->dwLowDateTime;
    if (time >> 63) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    time_to_fields(time, lpSystemTime);
    return TRUE;
}
