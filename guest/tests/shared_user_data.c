/* KUSER_SHARED_DATA as a program sees it: one committed read-only private page at 0x7FFE0000
 * that no one may write, execute, protect or free; the clock functions that read it without a
 * system call (GetTickCount, QueryPerformanceCounter, GetSystemTimeAsFileTime) move forward
 * and agree with it; and SYSTEMTIME conversions by the Gregorian calendar. */
#include "framework/ntoy_faults.h"
#include "framework/ntoy_nt.h"
#include "framework/ntoy_test.h"

#define SHARED_DATA 0x7FFE0000ull
#define SHARED(type, offset) (*(const volatile type*)(SHARED_DATA + (offset)))
#define USD_INTERRUPT_TIME 0x008
#define USD_SYSTEM_TIME 0x014
#define USD_IMAGE_NUMBER_LOW 0x02C
#define USD_NT_SYSTEM_ROOT 0x030
#define USD_NT_MAJOR_VERSION 0x26C
#define USD_QPC_FREQUENCY 0x300

/* 2020-01-01 00:00 UTC as a FILETIME. */
#define JANUARY_2020 132223104000000000ull

static ULONGLONG read_ksystem_time(ULONG offset) {
    for (;;) {
        LONG high1 = SHARED(LONG, offset + 4);
        ULONG low = SHARED(ULONG, offset);
        LONG high2 = SHARED(LONG, offset + 8);
        if (high1 == high2) {
            return ((ULONGLONG)(ULONG)high1 << 32) | low;
        }
    }
}

static ULONGLONG file_time_value(FILETIME t) {
    return ((ULONGLONG)t.dwHighDateTime << 32) | t.dwLowDateTime;
}

static ULONGLONG qpc(void) {
    LARGE_INTEGER counter;
    counter.QuadPart = 0;
    QueryPerformanceCounter(&counter);
    return (ULONGLONG)counter.QuadPart;
}

static ULONGLONG system_time(void) {
    FILETIME t;
    GetSystemTimeAsFileTime(&t);
    return file_time_value(t);
}

static void test_region(void) {
    MEMORY_BASIC_INFORMATION info;
    CHECK_STATUS("query 0x7FFE0000 succeeds", nt_query(SHARED_DATA + 0x320, &info), NTS_SUCCESS);
    CHECK_EQ("region: BaseAddress 0x7FFE0000", (ULONG_PTR)info.BaseAddress, SHARED_DATA);
    CHECK_EQ("region: AllocationBase 0x7FFE0000", (ULONG_PTR)info.AllocationBase, SHARED_DATA);
    CHECK_EQ("region: AllocationProtect READONLY", info.AllocationProtect, PAGE_READONLY);
    CHECK_EQ("region: one page", info.RegionSize, TEST_PAGE);
    CHECK_EQ("region: committed", info.State, MEM_COMMIT);
    CHECK_EQ("region: READONLY", info.Protect, PAGE_READONLY);
    CHECK_EQ("region: private", info.Type, MEM_PRIVATE);
    CHECK_EQ("VirtualQuery agrees",
             VirtualQuery((LPCVOID)SHARED_DATA, &info, sizeof(info)) == sizeof(info) &&
                 info.Protect == PAGE_READONLY && info.State == MEM_COMMIT,
             1);
}

static void test_contents(void) {
    CHECK_EQ("ImageNumberLow is AMD64", SHARED(USHORT, USD_IMAGE_NUMBER_LOW), 0x8664);
    CHECK_DEC("NtMajorVersion is 10", SHARED(ULONG, USD_NT_MAJOR_VERSION), 10);
    CHECK_EQ("NtSystemRoot starts with a drive", SHARED(WCHAR, USD_NT_SYSTEM_ROOT + 2), L':');
    CHECK_DEC("QpcFrequency is 10 MHz", SHARED(LONGLONG, USD_QPC_FREQUENCY), 10000000);
}

static void test_faults(void) {
    fault_reset();
    CHECK_EQ("write: faults", probe_write8(SHARED_DATA + 0x400, 1), PROBE_FAULTED);
    CHECK_STATUS("write: ACCESS_VIOLATION", fault_log.code, NTS_ACCESS_VIOLATION);
    CHECK_DEC("write: ExceptionInformation[0] is 1", fault_log.information0, 1);
    CHECK_EQ("write: ExceptionInformation[1] is the address", fault_log.information1,
             SHARED_DATA + 0x400);
    fault_reset();
    CHECK_EQ("execute: faults", probe_call(SHARED_DATA), PROBE_FAULTED);
    CHECK_STATUS("execute: ACCESS_VIOLATION", fault_log.code, NTS_ACCESS_VIOLATION);
    CHECK_DEC("execute: ExceptionInformation[0] is 8", fault_log.information0, 8);
    fault_reset();
    CHECK_NE("read: no fault", probe_read8(SHARED_DATA + USD_IMAGE_NUMBER_LOW), PROBE_FAULTED);
    CHECK_DEC("read: no exception", fault_log.count, 0);
}

static void test_unchangeable(void) {
    ULONG_PTR base = SHARED_DATA;
    SIZE_T size = 0;
    CHECK_STATUS("NtFreeVirtualMemory(MEM_RELEASE) gives INVALID_PAGE_PROTECTION",
                 nt_free(&base, &size, MEM_RELEASE), NTS_INVALID_PAGE_PROTECTION);
    base = SHARED_DATA;
    size = TEST_PAGE;
    CHECK_STATUS("NtFreeVirtualMemory(MEM_DECOMMIT) gives INVALID_PAGE_PROTECTION",
                 nt_free(&base, &size, MEM_DECOMMIT), NTS_INVALID_PAGE_PROTECTION);
    base = SHARED_DATA;
    size = TEST_PAGE;
    ULONG old = 0;
    CHECK_STATUS("NtProtectVirtualMemory(READWRITE) gives INVALID_PAGE_PROTECTION",
                 nt_protect(&base, &size, PAGE_READWRITE, &old), NTS_INVALID_PAGE_PROTECTION);
    CHECK_STATUS("NtAllocateVirtualMemory(MEM_COMMIT) gives INVALID_PAGE_PROTECTION",
                 vm_commit(SHARED_DATA, TEST_PAGE, PAGE_READWRITE), NTS_INVALID_PAGE_PROTECTION);
    CHECK_EQ("VirtualFree fails", VirtualFree((LPVOID)SHARED_DATA, 0, MEM_RELEASE), FALSE);
    CHECK_EQ("VirtualProtect fails",
             VirtualProtect((LPVOID)SHARED_DATA, TEST_PAGE, PAGE_EXECUTE_READWRITE, &old), FALSE);
    CHECK_EQ("VirtualAlloc(MEM_RESERVE) there fails",
             (ULONG_PTR)VirtualAlloc((LPVOID)SHARED_DATA, TEST_PAGE, MEM_RESERVE, PAGE_READWRITE),
             0);
    CHECK_EQ("still committed", vm_query_field(SHARED_DATA, Q_STATE), MEM_COMMIT);
    CHECK_EQ("still READONLY", vm_query_field(SHARED_DATA, Q_PROTECT), PAGE_READONLY);
    CHECK_EQ("still readable", SHARED(USHORT, USD_IMAGE_NUMBER_LOW), 0x8664);
}

/* Work the emulator takes a while over, then a system call: the kernel has been entered. */
static void spend_time(void) {
    volatile ULONG sink = 0;
    for (ULONG i = 0; i < 200000; ++i) {
        sink = sink + i;
    }
    SYSTEM_INFO info;
    GetSystemInfo(&info);
}

static void test_clock_moves(void) {
    const ULONGLONG tick0 = GetTickCount64();
    const ULONGLONG qpc0 = qpc();
    const ULONGLONG time0 = system_time();
    ULONGLONG tick = tick0, counter = qpc0, time = time0;
    BOOL monotonic = TRUE;
    /* Until the tick count (milliseconds, the coarsest) has moved; a bound, not a wait. */
    for (int round = 0; round < 2000 && tick == tick0; ++round) {
        spend_time();
        const ULONGLONG next_tick = GetTickCount64();
        const ULONGLONG next_counter = qpc();
        const ULONGLONG next_time = system_time();
        monotonic = monotonic && next_tick >= tick && next_counter >= counter && next_time >= time;
        tick = next_tick;
        counter = next_counter;
        time = next_time;
    }
    CHECK_TRUE("tick count, counter and system time never go back", monotonic);
    CHECK_TRUE("GetTickCount64 advances", tick > tick0);
    CHECK_TRUE("QueryPerformanceCounter advances", counter > qpc0);
    CHECK_TRUE("GetSystemTimeAsFileTime advances", time > time0);
    CHECK_EQ("GetTickCount is GetTickCount64's low half",
             (GetTickCount() - (DWORD)GetTickCount64()) <= 1, 1);

    LARGE_INTEGER frequency;
    frequency.QuadPart = 0;
    CHECK_TRUE("QueryPerformanceFrequency succeeds", QueryPerformanceFrequency(&frequency));
    CHECK_DEC("QueryPerformanceFrequency is 10 MHz", frequency.QuadPart, 10000000);
    CHECK_TRUE("QueryPerformanceCounter succeeds", QueryPerformanceCounter(&frequency));
}

static void test_agrees_with_the_page(void) {
    const ULONGLONG page_before = read_ksystem_time(USD_SYSTEM_TIME);
    const ULONGLONG api = system_time();
    const ULONGLONG page_after = read_ksystem_time(USD_SYSTEM_TIME);
    CHECK_TRUE("GetSystemTimeAsFileTime reads the page's SystemTime",
               page_before <= api && api <= page_after);
    const ULONGLONG interrupt_before = read_ksystem_time(USD_INTERRUPT_TIME);
    const ULONGLONG counter = qpc();
    const ULONGLONG interrupt_after = read_ksystem_time(USD_INTERRUPT_TIME);
    CHECK_TRUE("QueryPerformanceCounter counts interrupt time",
               interrupt_before <= counter && counter <= interrupt_after + 10000000);
    FILETIME precise;
    GetSystemTimePreciseAsFileTime(&precise);
    CHECK_TRUE("GetSystemTimePreciseAsFileTime is no earlier",
               file_time_value(precise) >= page_after);
}

static void test_calendar(void) {
    const ULONGLONG now = system_time();
    CHECK_TRUE("the system time is after 2020", now > JANUARY_2020);
    SYSTEMTIME st;
    GetSystemTime(&st);
    CHECK_TRUE("GetSystemTime: year after 2020", st.wYear >= 2020);
    CHECK_TRUE("GetSystemTime: fields in range",
               st.wMonth >= 1 && st.wMonth <= 12 && st.wDay >= 1 && st.wDay <= 31 &&
                   st.wHour < 24 && st.wMinute < 60 && st.wSecond < 60 && st.wMilliseconds < 1000 &&
                   st.wDayOfWeek < 7);

    FILETIME ft;
    ft.dwLowDateTime = 0;
    ft.dwHighDateTime = 0;
    CHECK_TRUE("FileTimeToSystemTime(0) succeeds", FileTimeToSystemTime(&ft, &st));
    CHECK_TRUE("FILETIME 0 is Monday 1601-01-01 00:00:00.000",
               st.wYear == 1601 && st.wMonth == 1 && st.wDay == 1 && st.wDayOfWeek == 1 &&
                   st.wHour == 0 && st.wMinute == 0 && st.wSecond == 0 && st.wMilliseconds == 0);
    /* 2000-02-29 23:59:58.999 UTC, a Tuesday: a leap day of a century divisible by 400. */
    const ULONGLONG leap = 125963423989990000ull;
    ft.dwLowDateTime = (DWORD)leap;
    ft.dwHighDateTime = (DWORD)(leap >> 32);
    CHECK_TRUE("FileTimeToSystemTime(2000-02-29) succeeds", FileTimeToSystemTime(&ft, &st));
    CHECK_TRUE("2000-02-29 23:59:58.999, a Tuesday",
               st.wYear == 2000 && st.wMonth == 2 && st.wDay == 29 && st.wDayOfWeek == 2 &&
                   st.wHour == 23 && st.wMinute == 59 && st.wSecond == 58 &&
                   st.wMilliseconds == 999);
    /* 2100-03-01 00:00, a Monday: 2100 is no leap year. */
    const ULONGLONG march2100 = 157520160000000000ull;
    ft.dwLowDateTime = (DWORD)march2100;
    ft.dwHighDateTime = (DWORD)(march2100 >> 32);
    CHECK_TRUE("FileTimeToSystemTime(2100-03-01) succeeds", FileTimeToSystemTime(&ft, &st));
    CHECK_TRUE("2100-03-01, a Monday",
               st.wYear == 2100 && st.wMonth == 3 && st.wDay == 1 && st.wDayOfWeek == 1);
    ft.dwLowDateTime = 0;
    ft.dwHighDateTime = 0x80000000u;
    SetLastError(0);
    CHECK_EQ("FileTimeToSystemTime(top bit set) fails", FileTimeToSystemTime(&ft, &st), FALSE);
    CHECK_DEC("... with ERROR_INVALID_PARAMETER", GetLastError(), ERROR_INVALID_PARAMETER);
}

int start(void) {
    if (!fault_install()) {
        return 1;
    }
    test_region();
    test_contents();
    test_faults();
    test_unchangeable();
    test_clock_moves();
    test_agrees_with_the_page();
    test_calendar();
    return test_done();
}
