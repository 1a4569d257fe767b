/* Working sets as a program drives them (issue 12, working-set calls): a process's limits
 * (GetProcessWorkingSetSize, SetProcessWorkingSetSize), emptying its working set
 * (EmptyWorkingSet, or SetProcessWorkingSetSize with -1, -1), and locking pages in it
 * (VirtualLock, VirtualUnlock). MemoryWorkingSetExInformation shows each page leave and come
 * back, its data intact, and a locked page stay. */
#include "framework/ntoy_nt.h"
#include "framework/ntoy_test.h"

#include <psapi.h>

#define MEMORY_WORKING_SET_EX_INFORMATION_CLASS 4
#define NTS_WAS_LOCKED 0x40000019u
#define NTS_NOT_LOCKED 0xC000002Au
#define NTS_PRIVILEGE_NOT_HELD 0xC0000061u
#define NTS_WORKING_SET_QUOTA 0xC00000A1u
#define PAGES 16

NTSTATUS NTAPI NtLockVirtualMemory(HANDLE process, PVOID* base, PSIZE_T size, ULONG map_type);
NTSTATUS NTAPI NtUnlockVirtualMemory(HANDLE process, PVOID* base, PSIZE_T size, ULONG map_type);

typedef struct WorkingSetEx {
    ULONG_PTR VirtualAddress;
    ULONG_PTR Attributes;
} WorkingSetEx;

static ULONG_PTR attributes_of(const void* address) {
    WorkingSetEx entry = {(ULONG_PTR)address, 0};
    if (NtQueryVirtualMemory(NT_CURRENT_PROCESS, NULL, MEMORY_WORKING_SET_EX_INFORMATION_CLASS,
                             &entry, sizeof(entry), NULL) != 0) {
        return ~(ULONG_PTR)0;
    }
    return entry.Attributes;
}
static ULONG_PTR valid(const void* address) {
    return attributes_of(address) & 1;
}
static ULONG_PTR locked(const void* address) {
    return (attributes_of(address) >> 22) & 1;
}

static unsigned char* pages;

static void fill_pages(void) {
    for (int i = 0; i < PAGES; ++i) {
        pages[i * 0x1000] = (unsigned char)(0x40 + i);
        pages[i * 0x1000 + 0xFFF] = (unsigned char)(0x80 + i);
    }
}

static BOOL pages_intact(void) {
    for (int i = 0; i < PAGES; ++i) {
        if (pages[i * 0x1000] != (unsigned char)(0x40 + i) ||
            pages[i * 0x1000 + 0xFFF] != (unsigned char)(0x80 + i)) {
            return FALSE;
        }
    }
    return TRUE;
}

static void test_limits(void) {
    SIZE_T minimum = 0, maximum = 0;
    CHECK_TRUE("GetProcessWorkingSetSize succeeds",
               GetProcessWorkingSetSize(GetCurrentProcess(), &minimum, &maximum));
    CHECK_EQ("the default minimum is 200 KB", minimum, 204800);
    CHECK_EQ("the default maximum is 1380 KB", maximum, 1413120);
    DWORD flags = 0xFFFF;
    CHECK_TRUE("GetProcessWorkingSetSizeEx succeeds",
               GetProcessWorkingSetSizeEx(GetCurrentProcess(), &minimum, &maximum, &flags));
    CHECK_EQ("no hard limits by default", flags, 0);

    SetLastError(0);
    CHECK_DEC("a zero minimum is refused",
              SetProcessWorkingSetSize(GetCurrentProcess(), 0, maximum), FALSE);
    CHECK_DEC("a zero minimum: ERROR_INVALID_PARAMETER", GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(0);
    CHECK_DEC("a minimum above the maximum is refused",
              SetProcessWorkingSetSize(GetCurrentProcess(), 0x400000, 0x200000), FALSE);
    CHECK_DEC("a minimum above the maximum: ERROR_INVALID_PARAMETER", GetLastError(),
              ERROR_INVALID_PARAMETER);

    CHECK_TRUE("new limits are taken",
               SetProcessWorkingSetSize(GetCurrentProcess(), 0x100000, 0x400000));
    GetProcessWorkingSetSize(GetCurrentProcess(), &minimum, &maximum);
    CHECK_EQ("the new minimum", minimum, 0x100000);
    CHECK_EQ("the new maximum", maximum, 0x400000);
    CHECK_TRUE("a minimum below 20 pages is taken",
               SetProcessWorkingSetSize(GetCurrentProcess(), 0x1000, 0x400000));
    GetProcessWorkingSetSize(GetCurrentProcess(), &minimum, &maximum);
    CHECK_EQ("and raised to 20 pages", minimum, 20 * 0x1000);
    SetProcessWorkingSetSize(GetCurrentProcess(), 204800, 1413120);
}

static void test_empty(void) {
    fill_pages();
    CHECK_EQ("touched pages are valid", valid(pages) & valid(pages + 0xF000), 1);
    PROCESS_MEMORY_COUNTERS before, after;
    GetProcessMemoryInfo(GetCurrentProcess(), &before, sizeof(before));
    CHECK_TRUE("EmptyWorkingSet succeeds", EmptyWorkingSet(GetCurrentProcess()));
    GetProcessMemoryInfo(GetCurrentProcess(), &after, sizeof(after));
    CHECK_EQ("after EmptyWorkingSet, the pages are out of the working set",
             valid(pages) | valid(pages + 0xF000), 0);
    CHECK_TRUE("the working set shrank", after.WorkingSetSize < before.WorkingSetSize);
    CHECK_TRUE("the data is intact when the pages come back", pages_intact());
    CHECK_EQ("reading brought them back", valid(pages) & valid(pages + 0xF000), 1);
    CHECK_TRUE("SetProcessWorkingSetSize(-1, -1) empties it too",
               SetProcessWorkingSetSize(GetCurrentProcess(), (SIZE_T)-1, (SIZE_T)-1));
    CHECK_EQ("the pages left again", valid(pages) | valid(pages + 0xF000), 0);
    /* A write after leaving: the page comes back and takes the write. */
    pages[0x3000] = 0x43;
    CHECK_TRUE("written back in, the data is intact", pages_intact());
}

static void test_lock(void) {
    CHECK_TRUE("VirtualLock of four pages succeeds", VirtualLock(pages + 0x1000, 0x4000));
    CHECK_EQ("a locked page is valid and Locked", valid(pages + 0x1000) & locked(pages + 0x4000),
             1);
    CHECK_EQ("its neighbour is not locked", locked(pages), 0);
    EmptyWorkingSet(GetCurrentProcess());
    CHECK_EQ("EmptyWorkingSet leaves locked pages in",
             valid(pages + 0x1000) & valid(pages + 0x4000), 1);
    CHECK_EQ("and takes the others out", valid(pages) | valid(pages + 0x5000), 0);
    CHECK_TRUE("locked pages keep their data", pages_intact());

    PVOID base = pages + 0x1800;
    SIZE_T size = 0x10;
    CHECK_STATUS("locking a locked page again: STATUS_WAS_LOCKED",
                 NtLockVirtualMemory(NT_CURRENT_PROCESS, &base, &size, 1), NTS_WAS_LOCKED);
    CHECK_EQ("the base comes back page-aligned", (ULONG_PTR)base, (ULONG_PTR)(pages + 0x1000));
    CHECK_EQ("the size comes back in pages", size, 0x1000);
    base = pages;
    size = 0x1000;
    CHECK_STATUS("MapType 0 is refused", NtLockVirtualMemory(NT_CURRENT_PROCESS, &base, &size, 0),
                 NTS_INVALID_PARAMETER);
    CHECK_STATUS("MapType 4 is refused", NtLockVirtualMemory(NT_CURRENT_PROCESS, &base, &size, 4),
                 NTS_INVALID_PARAMETER);
    CHECK_STATUS("MAP_SYSTEM needs SeLockMemoryPrivilege",
                 NtLockVirtualMemory(NT_CURRENT_PROCESS, &base, &size, 2), NTS_PRIVILEGE_NOT_HELD);
    size = 0;
    CHECK_STATUS("a zero size is refused", NtLockVirtualMemory(NT_CURRENT_PROCESS, &base, &size, 1),
                 NTS_INVALID_PARAMETER);

    /* Unlocking: every page must be locked; the unlocked ones in range leave the set. */
    pages[0] = 0x40; /* back in the working set */
    SetLastError(0);
    CHECK_DEC("VirtualUnlock over an unlocked page fails", VirtualUnlock(pages, 0x2000), FALSE);
    CHECK_DEC("VirtualUnlock over an unlocked page: ERROR_NOT_LOCKED", GetLastError(), 158);
    CHECK_EQ("the unlocked page left the working set", valid(pages), 0);
    CHECK_EQ("the locked one stays locked", locked(pages + 0x1000), 1);
    CHECK_TRUE("VirtualUnlock of the locked pages succeeds", VirtualUnlock(pages + 0x1000, 0x4000));
    CHECK_EQ("they are unlocked", locked(pages + 0x1000) | locked(pages + 0x4000), 0);
    CHECK_EQ("and still in the working set", valid(pages + 0x1000), 1);
    SetLastError(0);
    CHECK_DEC("VirtualUnlock again fails", VirtualUnlock(pages + 0x1000, 0x1000), FALSE);
    CHECK_DEC("VirtualUnlock again: ERROR_NOT_LOCKED", GetLastError(), 158);
    CHECK_TRUE("the data survived it all", pages_intact());
}

static void test_lock_limits(void) {
    unsigned char* big = VirtualAlloc(NULL, 0x80000, MEM_COMMIT, PAGE_READWRITE);
    SetLastError(0);
    CHECK_DEC("locking 128 pages with a 50-page minimum fails", VirtualLock(big, 0x80000), FALSE);
    CHECK_DEC("ERROR_WORKING_SET_QUOTA", GetLastError(), 1453);
    CHECK_EQ("nothing was locked", locked(big), 0);
    CHECK_TRUE("a larger minimum working set",
               SetProcessWorkingSetSize(GetCurrentProcess(), 0x100000, 0x400000));
    CHECK_TRUE("then the 128 pages lock", VirtualLock(big, 0x80000));
    CHECK_EQ("untouched pages were brought in and locked",
             valid(big + 0x7F000) & locked(big + 0x7F000), 1);
    CHECK_EQ("and read as zero", big[0x7F123], 0);
    SetLastError(0);
    CHECK_DEC("a minimum too small for the locked pages is refused",
              SetProcessWorkingSetSize(GetCurrentProcess(), 0x40000, 0x400000), FALSE);
    CHECK_DEC("ERROR_INVALID_PARAMETER", GetLastError(), ERROR_INVALID_PARAMETER);
    /* Decommitting locked pages ends their lock with them. */
    CHECK_TRUE("decommitting locked pages succeeds", VirtualFree(big, 0x80000, MEM_DECOMMIT));
    CHECK_TRUE("the limits can come down again",
               SetProcessWorkingSetSize(GetCurrentProcess(), 204800, 1413120));
    VirtualFree(big, 0, MEM_RELEASE);

    unsigned char* reserved = VirtualAlloc(NULL, 0x2000, MEM_RESERVE, PAGE_READWRITE);
    SetLastError(0);
    CHECK_DEC("locking reserved pages fails", VirtualLock(reserved, 0x1000), FALSE);
    CHECK_DEC("reserved: ERROR_NOACCESS", GetLastError(), ERROR_NOACCESS);
    VirtualFree(reserved, 0, MEM_RELEASE);
    SetLastError(0);
    CHECK_DEC("locking free memory fails", VirtualLock((void*)0x7000000000ull, 0x1000), FALSE);
    CHECK_DEC("free: ERROR_NOACCESS", GetLastError(), ERROR_NOACCESS);
    DWORD old;
    VirtualProtect(pages + 0xE000, 0x1000, PAGE_NOACCESS, &old);
    SetLastError(0);
    CHECK_DEC("locking a NOACCESS page fails", VirtualLock(pages + 0xE000, 0x1000), FALSE);
    CHECK_DEC("NOACCESS: ERROR_NOACCESS", GetLastError(), ERROR_NOACCESS);
    VirtualProtect(pages + 0xE000, 0x1000, PAGE_READWRITE, &old);
}

/* A hard maximum (QUOTA_LIMITS_HARDWS_MAX_ENABLE): touching more pages than it allows keeps
 * the working set at most that large, every page's data intact. */
static void test_hard_maximum(void) {
    enum { TOUCHED = 200, MAXIMUM = 128 };
    unsigned char* many = VirtualAlloc(NULL, TOUCHED * 0x1000, MEM_COMMIT, PAGE_READWRITE);
    if (!CHECK_TRUE("hard maximum: pages to touch", many != NULL)) {
        return;
    }
    CHECK_TRUE("hard maximum: SetProcessWorkingSetSizeEx(HARDWS_MAX_ENABLE) succeeds",
               SetProcessWorkingSetSizeEx(GetCurrentProcess(), 32 * 0x1000, MAXIMUM * 0x1000,
                                          QUOTA_LIMITS_HARDWS_MAX_ENABLE));
    SIZE_T largest = 0;
    for (int i = 0; i < TOUCHED; ++i) {
        many[i * 0x1000 + 8] = (unsigned char)(i + 3);
        PROCESS_MEMORY_COUNTERS counters;
        counters.WorkingSetSize = 0;
        K32GetProcessMemoryInfo(GetCurrentProcess(), &counters, sizeof(counters));
        if (counters.WorkingSetSize > largest) {
            largest = counters.WorkingSetSize;
        }
    }
    CHECK_TRUE("hard maximum: the working set never grew past it", largest <= MAXIMUM * 0x1000);
    BOOL intact = TRUE;
    for (int i = 0; i < TOUCHED; ++i) {
        intact = intact && many[i * 0x1000 + 8] == (unsigned char)(i + 3);
    }
    CHECK_TRUE("hard maximum: every page kept its data", intact);
    CHECK_TRUE("hard maximum: HARDWS_MAX_DISABLE and the defaults are taken",
               SetProcessWorkingSetSizeEx(GetCurrentProcess(), 204800, 1413120,
                                          QUOTA_LIMITS_HARDWS_MAX_DISABLE));
    DWORD flags = 0xFFFF;
    SIZE_T minimum = 0, maximum = 0;
    GetProcessWorkingSetSizeEx(GetCurrentProcess(), &minimum, &maximum, &flags);
    CHECK_EQ("hard maximum: no hard limit any more", flags & QUOTA_LIMITS_HARDWS_MAX_ENABLE, 0);
    VirtualFree(many, 0, MEM_RELEASE);
}

int start(void) {
    pages = VirtualAlloc(NULL, PAGES * 0x1000, MEM_COMMIT, PAGE_READWRITE);
    if (!CHECK_TRUE("pages to work on", pages != NULL)) {
        return test_done();
    }
    test_limits();
    test_empty();
    test_lock();
    test_lock_limits();
    test_hard_maximum();
    return test_done();
}
