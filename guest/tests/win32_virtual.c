/* The kernel32 layer over the Nt calls: VirtualAlloc/Free/Protect/Query add a few Win32
 * rules and turn NTSTATUS failures into last errors; GetSystemInfo reports the machine. See
 * shared/spec/nt-virtual-memory.md. */
#include "framework/ntoy_nt.h"
#include "framework/ntoy_test.h"

/* Free in every process the suite runs in (see vm_allocate.c). */
#define ARENA 0x50000000ull

static void test_system_info(void) {
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    CHECK_EQ("GetSystemInfo: dwPageSize", info.dwPageSize, 0x1000);
    CHECK_EQ("GetSystemInfo: dwAllocationGranularity", info.dwAllocationGranularity, 0x10000);
    CHECK_EQ("GetSystemInfo: lpMinimumApplicationAddress",
             (ULONG_PTR)info.lpMinimumApplicationAddress, 0x10000);
    /* The one value that is ntoy's own: its user space is smaller than Windows'. */
    CHECK_EQ("GetSystemInfo: lpMaximumApplicationAddress",
             (ULONG_PTR)info.lpMaximumApplicationAddress, 0xFEFFFEFFFFull);
}

static void test_alloc_and_free(void) {
    unsigned char* p = VirtualAlloc(NULL, 0x1001, MEM_COMMIT, PAGE_READWRITE);
    if (!CHECK_NE("VirtualAlloc(NULL, MEM_COMMIT) succeeds", (ULONG_PTR)p, 0)) {
        return;
    }
    MEMORY_BASIC_INFORMATION info;
    CHECK_DEC("VirtualQuery returns 48", VirtualQuery(p, &info, sizeof(info)), 48);
    CHECK_EQ("VirtualAlloc(NULL, MEM_COMMIT): 64 KB-aligned", (ULONG_PTR)p & 0xFFFF, 0);
    CHECK_EQ("VirtualAlloc(NULL, MEM_COMMIT): reserved here", (ULONG_PTR)info.AllocationBase,
             (ULONG_PTR)p);
    CHECK_EQ("VirtualAlloc(NULL, MEM_COMMIT): committed", info.State, MEM_COMMIT);
    CHECK_EQ("VirtualAlloc(NULL, MEM_COMMIT): size rounded to pages", info.RegionSize, 0x2000);
    p[0x1FFF] = 1;

    SetLastError(0);
    CHECK_DEC("VirtualFree(MEM_RELEASE) with a size fails", VirtualFree(p, 0x1000, MEM_RELEASE),
              FALSE);
    CHECK_DEC("VirtualFree(MEM_RELEASE) with a size: ERROR_INVALID_PARAMETER", GetLastError(), 87);
    CHECK_EQ("VirtualFree(MEM_RELEASE) with a size: nothing freed",
             vm_query_field((ULONG_PTR)p, Q_STATE), MEM_COMMIT);
    SetLastError(0);
    CHECK_DEC("VirtualFree(MEM_DECOMMIT|MEM_RELEASE) fails",
              VirtualFree(p, 0, MEM_DECOMMIT | MEM_RELEASE), FALSE);
    CHECK_DEC("VirtualFree(MEM_DECOMMIT|MEM_RELEASE): ERROR_INVALID_PARAMETER", GetLastError(), 87);
    CHECK_DEC("VirtualFree(MEM_DECOMMIT) of one page succeeds",
              VirtualFree(p, 0x1000, MEM_DECOMMIT), TRUE);
    CHECK_DEC("VirtualFree(MEM_RELEASE) with size 0 succeeds", VirtualFree(p, 0, MEM_RELEASE),
              TRUE);
    CHECK_EQ("VirtualFree(MEM_RELEASE): freed", vm_query_field((ULONG_PTR)p, Q_STATE), MEM_FREE);

    /* Reserve, then commit part of it at an address. */
    unsigned char* r = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    CHECK_EQ("VirtualAlloc(MEM_COMMIT) inside a reservation returns the page",
             (ULONG_PTR)VirtualAlloc(r + 0x3010, 0x10, MEM_COMMIT, PAGE_READWRITE),
             (ULONG_PTR)r + 0x3000);
    VirtualFree(r, 0, MEM_RELEASE);
}

static void test_last_errors(void) {
    unsigned char* r = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    VirtualAlloc(r, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    DWORD old = 0;

    SetLastError(0);
    CHECK_EQ("VirtualAlloc(MEM_COMMIT) of free memory fails",
             (ULONG_PTR)VirtualAlloc((LPVOID)ARENA, 0x1000, MEM_COMMIT, PAGE_READWRITE), 0);
    CHECK_DEC("CONFLICTING_ADDRESSES: ERROR_INVALID_ADDRESS", GetLastError(), 487);
    SetLastError(0);
    CHECK_DEC("VirtualFree of free memory fails", VirtualFree((LPVOID)ARENA, 0, MEM_RELEASE),
              FALSE);
    CHECK_DEC("MEMORY_NOT_ALLOCATED: ERROR_INVALID_ADDRESS", GetLastError(), 487);
    SetLastError(0);
    CHECK_DEC("VirtualFree(MEM_RELEASE) past the first page fails",
              VirtualFree(r + 0x1000, 0, MEM_RELEASE), FALSE);
    CHECK_DEC("FREE_VM_NOT_AT_BASE: ERROR_INVALID_ADDRESS", GetLastError(), 487);
    SetLastError(0);
    CHECK_DEC("VirtualProtect of a reserved page fails",
              VirtualProtect(r + 0x1000, 0x1000, PAGE_READONLY, &old), FALSE);
    CHECK_DEC("NOT_COMMITTED: ERROR_INVALID_ADDRESS", GetLastError(), 487);
    SetLastError(0);
    CHECK_DEC("VirtualProtect with a NULL lpflOldProtect fails",
              VirtualProtect(r, 0x1000, PAGE_READONLY, NULL), FALSE);
    CHECK_DEC("ACCESS_VIOLATION: ERROR_NOACCESS", GetLastError(), 998);
    SetLastError(0);
    CHECK_DEC("VirtualQuery into a system-space buffer fails",
              VirtualQuery(r, (PMEMORY_BASIC_INFORMATION)TEST_SYSTEM_ADDRESS,
                           sizeof(MEMORY_BASIC_INFORMATION)),
              0);
    CHECK_DEC("VirtualQuery bad buffer: ERROR_NOACCESS", GetLastError(), 998);
    SetLastError(0);
    MEMORY_BASIC_INFORMATION info;
    CHECK_DEC("VirtualQuery of a system-space address fails",
              VirtualQuery((LPCVOID)TEST_SYSTEM_ADDRESS, &info, sizeof(info)), 0);
    CHECK_DEC("INVALID_PARAMETER: ERROR_INVALID_PARAMETER", GetLastError(), 87);
    SetLastError(0);
    CHECK_DEC("VirtualProtect succeeds", VirtualProtect(r, 0x1000, PAGE_READONLY, &old), TRUE);
    CHECK_EQ("VirtualProtect: lpflOldProtect", old, PAGE_READWRITE);
    VirtualFree(r, 0, MEM_RELEASE);
}

int start(void) {
    test_system_info();
    test_alloc_and_free();
    test_last_errors();
    return test_done();
}
