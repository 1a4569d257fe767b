/* NtAllocateVirtualMemory: Type and Protect validation, the order of the argument checks,
 * reserving (rounding, conflicts, where a NULL base lands), committing, the commit limit and
 * MEM_RESET. See shared/spec/nt-virtual-memory.md. */
#include "framework/ntoy_faults.h"
#include "framework/ntoy_nt.h"
#include "framework/ntoy_test.h"

/* Free in every process the suite runs in: well above the low stack and heap, well below
 * the executable at 0x140000000. Each test releases what it reserves here. */
#define ARENA 0x50000000ull

/* Reserves a page anywhere with TYPE and PROTECT, releases it on success, returns the
 * status. */
static NTSTATUS try_allocate(ULONG type, ULONG protect) {
    ULONG_PTR base = 0;
    SIZE_T size = TEST_PAGE;
    NTSTATUS status = nt_alloc(&base, &size, type, protect);
    if (status == NTS_SUCCESS) {
        vm_release(base);
    }
    return status;
}

static void test_type_validation(void) {
    CHECK_STATUS("type: unknown bit 0x40 gives INVALID_PARAMETER_5",
                 try_allocate(MEM_COMMIT | MEM_RESERVE | 0x40, PAGE_READWRITE),
                 NTS_INVALID_PARAMETER_5);
    CHECK_STATUS("type: MEM_DECOMMIT gives INVALID_PARAMETER_5",
                 try_allocate(MEM_DECOMMIT, PAGE_READWRITE), NTS_INVALID_PARAMETER_5);
    CHECK_STATUS("type: MEM_RESERVE|MEM_RELEASE gives INVALID_PARAMETER_5",
                 try_allocate(MEM_RESERVE | MEM_RELEASE, PAGE_READWRITE), NTS_INVALID_PARAMETER_5);
    CHECK_STATUS("type: 0 gives INVALID_PARAMETER_5", try_allocate(0, PAGE_READWRITE),
                 NTS_INVALID_PARAMETER_5);
    CHECK_STATUS("type: MEM_TOP_DOWN alone gives INVALID_PARAMETER_5",
                 try_allocate(MEM_TOP_DOWN, PAGE_READWRITE), NTS_INVALID_PARAMETER_5);
    CHECK_STATUS("type: MEM_RESET|MEM_COMMIT gives INVALID_PARAMETER_5",
                 try_allocate(MEM_RESET | MEM_COMMIT, PAGE_READWRITE), NTS_INVALID_PARAMETER_5);
    CHECK_STATUS("type: MEM_RESET|MEM_RESERVE gives INVALID_PARAMETER_5",
                 try_allocate(MEM_RESET | MEM_RESERVE, PAGE_READWRITE), NTS_INVALID_PARAMETER_5);
    CHECK_STATUS("type: MEM_RESET|MEM_TOP_DOWN gives INVALID_PARAMETER_5",
                 try_allocate(MEM_RESET | MEM_TOP_DOWN, PAGE_READWRITE), NTS_INVALID_PARAMETER_5);
    CHECK_STATUS("type: MEM_RESERVE|MEM_TOP_DOWN succeeds",
                 try_allocate(MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE), NTS_SUCCESS);
    CHECK_STATUS("type: MEM_COMMIT|MEM_RESERVE succeeds",
                 try_allocate(MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE), NTS_SUCCESS);
}

static void test_protect_validation(void) {
    const ULONG reserve = MEM_RESERVE;
    const ULONG both = MEM_COMMIT | MEM_RESERVE;
    CHECK_STATUS("protect: 0 gives INVALID_PAGE_PROTECTION", try_allocate(reserve, 0),
                 NTS_INVALID_PAGE_PROTECTION);
    CHECK_STATUS("protect: READONLY|READWRITE gives INVALID_PAGE_PROTECTION",
                 try_allocate(reserve, PAGE_READONLY | PAGE_READWRITE),
                 NTS_INVALID_PAGE_PROTECTION);
    CHECK_STATUS("protect: EXECUTE|READWRITE gives INVALID_PAGE_PROTECTION",
                 try_allocate(both, PAGE_EXECUTE | PAGE_READWRITE), NTS_INVALID_PAGE_PROTECTION);
    CHECK_STATUS("protect: NOACCESS|GUARD gives INVALID_PAGE_PROTECTION",
                 try_allocate(both, PAGE_NOACCESS | PAGE_GUARD), NTS_INVALID_PAGE_PROTECTION);
    CHECK_STATUS("protect: NOACCESS|NOCACHE gives INVALID_PAGE_PROTECTION",
                 try_allocate(both, PAGE_NOACCESS | PAGE_NOCACHE), NTS_INVALID_PAGE_PROTECTION);
    CHECK_STATUS("protect: READWRITE|GUARD|NOCACHE gives INVALID_PAGE_PROTECTION",
                 try_allocate(both, PAGE_READWRITE | PAGE_GUARD | PAGE_NOCACHE),
                 NTS_INVALID_PAGE_PROTECTION);
    CHECK_STATUS("protect: WRITECOPY (reserve) gives INVALID_PAGE_PROTECTION",
                 try_allocate(reserve, PAGE_WRITECOPY), NTS_INVALID_PAGE_PROTECTION);
    CHECK_STATUS("protect: WRITECOPY (commit) gives INVALID_PAGE_PROTECTION",
                 try_allocate(both, PAGE_WRITECOPY), NTS_INVALID_PAGE_PROTECTION);
    CHECK_STATUS("protect: EXECUTE_WRITECOPY gives INVALID_PAGE_PROTECTION",
                 try_allocate(both, PAGE_EXECUTE_WRITECOPY), NTS_INVALID_PAGE_PROTECTION);

    /* Every base value, and each modifier with READWRITE, is accepted and shows in a query. */
    static const ULONG valid[] = {
        PAGE_NOACCESS,
        PAGE_READONLY,
        PAGE_READWRITE,
        PAGE_EXECUTE,
        PAGE_EXECUTE_READ,
        PAGE_EXECUTE_READWRITE,
        PAGE_READWRITE | PAGE_GUARD,
        PAGE_READWRITE | PAGE_NOCACHE,
        PAGE_READWRITE | PAGE_WRITECOMBINE,
    };
    static const char* const labels[] = {
        "protect NOACCESS",        "protect READONLY",          "protect READWRITE",
        "protect EXECUTE",         "protect EXECUTE_READ",      "protect EXECUTE_READWRITE",
        "protect READWRITE|GUARD", "protect READWRITE|NOCACHE", "protect READWRITE|WRITECOMBINE",
    };
    for (unsigned i = 0; i < sizeof(valid) / sizeof(valid[0]); ++i) {
        ULONG_PTR base = 0;
        SIZE_T size = TEST_PAGE;
        char name[80];
        if (CHECK_STATUS(test_name(name, sizeof(name), labels[i], ": commit succeeds"),
                         nt_alloc(&base, &size, both, valid[i]), NTS_SUCCESS)) {
            CHECK_EQ(test_name(name, sizeof(name), labels[i], ": query Protect"),
                     vm_query_field(base, Q_PROTECT), valid[i]);
            CHECK_EQ(test_name(name, sizeof(name), labels[i], ": query AllocationProtect"),
                     vm_query_field(base, Q_ALLOCATION_PROTECT), valid[i]);
            vm_release(base);
        }
    }
}

/* The checks in the order the spec gives them: each call also breaks every later rule, so
 * only the first check may decide the status. */
static void test_argument_order(void) {
    const ULONG_PTR highest = vm_highest_user_address();
    ULONG_PTR base;
    SIZE_T size;

    base = highest + 1;
    size = 0;
    CHECK_STATUS("order: ZeroBits 22 is checked first (INVALID_PARAMETER_3)",
                 NtAllocateVirtualMemory(NT_BOGUS_HANDLE, (PVOID*)&base, 22, &size, MEM_RESERVE,
                                         PAGE_READWRITE),
                 NTS_INVALID_PARAMETER_3);
    size = TEST_PAGE;
    CHECK_STATUS(
        "order: ZeroBits 22 is checked before the Base pointer",
        NtAllocateVirtualMemory(NT_BOGUS_HANDLE, NULL, 22, &size, MEM_RESERVE, PAGE_READWRITE),
        NTS_INVALID_PARAMETER_3);
    base = highest + 1;
    size = 0;
    CHECK_STATUS("order: Size 0 comes next (INVALID_PARAMETER_4)",
                 NtAllocateVirtualMemory(NT_BOGUS_HANDLE, (PVOID*)&base, 0, &size, MEM_RESERVE,
                                         PAGE_READWRITE),
                 NTS_INVALID_PARAMETER_4);
    base = highest + 1;
    size = 2 * TEST_GRANULE;
    CHECK_STATUS("order: Base above the highest user address (INVALID_PARAMETER_2)",
                 NtAllocateVirtualMemory(NT_BOGUS_HANDLE, (PVOID*)&base, 0, &size, MEM_RESERVE,
                                         PAGE_READWRITE),
                 NTS_INVALID_PARAMETER_2);
    base = TEST_SYSTEM_ADDRESS;
    size = TEST_PAGE;
    CHECK_STATUS("order: system-space Base (INVALID_PARAMETER_2)",
                 nt_alloc(&base, &size, MEM_RESERVE, PAGE_READWRITE), NTS_INVALID_PARAMETER_2);
    base = highest + 1 - TEST_GRANULE;
    size = 2 * TEST_GRANULE;
    CHECK_STATUS("order: range crossing the highest user address (INVALID_PARAMETER_4)",
                 NtAllocateVirtualMemory(NT_BOGUS_HANDLE, (PVOID*)&base, 0, &size, MEM_RESERVE,
                                         PAGE_READWRITE),
                 NTS_INVALID_PARAMETER_4);
    base = TEST_GRANULE;
    size = ~(SIZE_T)0xFFF;
    CHECK_STATUS("order: a Size that wraps around gives INVALID_PARAMETER_4",
                 NtAllocateVirtualMemory(NT_BOGUS_HANDLE, (PVOID*)&base, 0, &size, MEM_RESERVE,
                                         PAGE_READWRITE),
                 NTS_INVALID_PARAMETER_4);
    base = 0;
    size = highest + 2;
    CHECK_STATUS("order: NULL base, Size past the highest user address gives INVALID_PARAMETER_4",
                 NtAllocateVirtualMemory(NT_BOGUS_HANDLE, (PVOID*)&base, 0, &size, MEM_RESERVE,
                                         PAGE_READWRITE),
                 NTS_INVALID_PARAMETER_4);
    base = highest + 1 - TEST_GRANULE;
    size = TEST_GRANULE;
    NTSTATUS status = nt_alloc(&base, &size, MEM_RESERVE, PAGE_READWRITE);
    CHECK_NE("order: range ending at the highest user address does not cross it", (ULONG)status,
             NTS_INVALID_PARAMETER_4);
    if (status == NTS_SUCCESS) {
        vm_release(base);
    }

    size = TEST_PAGE;
    CHECK_STATUS("order: bad Base pointer before the handle (ACCESS_VIOLATION)",
                 NtAllocateVirtualMemory(NT_BOGUS_HANDLE, (PVOID*)TEST_SYSTEM_ADDRESS, 0, &size,
                                         MEM_RESERVE, PAGE_READWRITE),
                 NTS_ACCESS_VIOLATION);
    base = ARENA;
    CHECK_STATUS("order: NULL Size pointer before the handle (ACCESS_VIOLATION)",
                 NtAllocateVirtualMemory(NT_BOGUS_HANDLE, (PVOID*)&base, 0, NULL, MEM_RESERVE,
                                         PAGE_READWRITE),
                 NTS_ACCESS_VIOLATION);

    base = ARENA;
    size = TEST_PAGE;
    CHECK_STATUS("handle: an unknown handle gives INVALID_HANDLE",
                 NtAllocateVirtualMemory(NT_BOGUS_HANDLE, (PVOID*)&base, 0, &size, MEM_RESERVE,
                                         PAGE_READWRITE),
                 NTS_INVALID_HANDLE);
    CHECK_STATUS(
        "handle: NULL gives INVALID_HANDLE",
        NtAllocateVirtualMemory(NULL, (PVOID*)&base, 0, &size, MEM_RESERVE, PAGE_READWRITE),
        NTS_INVALID_HANDLE);
    CHECK_EQ("handle: nothing was reserved", vm_query_field(ARENA, Q_STATE), MEM_FREE);

    /* Pointers to memory that is readable but not writable, or not readable, are refused
     * before anything is reserved. */
    ULONG_PTR page = vm_allocate(0, TEST_PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    ULONG_PTR* page_base = (ULONG_PTR*)page;
    SIZE_T* page_size = (SIZE_T*)(page + 8);
    *page_base = ARENA;
    *page_size = TEST_PAGE;
    vm_set_protection(page, TEST_PAGE, PAGE_READONLY);
    base = ARENA;
    size = TEST_PAGE;
    CHECK_STATUS("pointers: read-only Size gives ACCESS_VIOLATION",
                 NtAllocateVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)&base, 0, page_size,
                                         MEM_RESERVE, PAGE_READWRITE),
                 NTS_ACCESS_VIOLATION);
    CHECK_STATUS("pointers: read-only Base gives ACCESS_VIOLATION",
                 NtAllocateVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)page_base, 0, &size,
                                         MEM_RESERVE, PAGE_READWRITE),
                 NTS_ACCESS_VIOLATION);
    /* The value checks come before the pointer checks: a Size of 0 or a Base above the
     * highest user address is reported as such even when read from read-only memory. */
    vm_set_protection(page, TEST_PAGE, PAGE_READWRITE);
    *page_base = highest + 1;
    *page_size = 0;
    vm_set_protection(page, TEST_PAGE, PAGE_READONLY);
    base = ARENA;
    CHECK_STATUS("order: Size 0 read from a read-only page gives INVALID_PARAMETER_4",
                 NtAllocateVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)&base, 0, page_size,
                                         MEM_RESERVE, PAGE_READWRITE),
                 NTS_INVALID_PARAMETER_4);
    size = TEST_PAGE;
    CHECK_STATUS(
        "order: Base above the highest read from a read-only page gives "
        "INVALID_PARAMETER_2",
        NtAllocateVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)page_base, 0, &size, MEM_RESERVE,
                                PAGE_READWRITE),
        NTS_INVALID_PARAMETER_2);
    vm_set_protection(page, TEST_PAGE, PAGE_NOACCESS);
    CHECK_STATUS("pointers: unreadable Size gives ACCESS_VIOLATION",
                 NtAllocateVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)&base, 0, page_size,
                                         MEM_RESERVE, PAGE_READWRITE),
                 NTS_ACCESS_VIOLATION);
    CHECK_EQ("pointers: nothing was reserved", vm_query_field(ARENA, Q_STATE), MEM_FREE);
    vm_release(page);
}

static void test_reserve_rounding_and_conflicts(void) {
    ULONG_PTR base = ARENA;
    SIZE_T size = 1;
    CHECK_STATUS("reserve (0x50000000, 1) succeeds",
                 nt_alloc(&base, &size, MEM_RESERVE, PAGE_READWRITE), NTS_SUCCESS);
    CHECK_EQ("reserve (0x50000000, 1) returns base 0x50000000", base, ARENA);
    CHECK_EQ("reserve (0x50000000, 1) returns size 0x1000", size, 0x1000);
    CHECK_EQ("reserve (0x50000000, 1): query State RESERVE", vm_query_field(ARENA, Q_STATE),
             MEM_RESERVE);
    CHECK_EQ("reserve (0x50000000, 1): query RegionSize 0x1000", vm_query_field(ARENA, Q_SIZE),
             0x1000);

    base = ARENA + 0x8000;
    size = 0x1000;
    CHECK_STATUS("reserve at 0x50008000 (unused tail of the block) conflicts",
                 nt_alloc(&base, &size, MEM_RESERVE, PAGE_READWRITE), NTS_CONFLICTING_ADDRESSES);
    base = ARENA + 0xF000;
    size = 0x2000;
    CHECK_STATUS("reserve+commit at 0x5000F000 (tail and next block) conflicts",
                 nt_alloc(&base, &size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 NTS_CONFLICTING_ADDRESSES);
    base = ARENA;
    size = 0x1000;
    CHECK_STATUS("reserve at the same base conflicts",
                 nt_alloc(&base, &size, MEM_RESERVE, PAGE_READWRITE), NTS_CONFLICTING_ADDRESSES);
    CHECK_EQ("after the conflicts 0x50010000 is still free",
             vm_query_field(ARENA + TEST_GRANULE, Q_STATE), MEM_FREE);
    vm_release(ARENA);

    base = ARENA + 0x1010;
    size = 0x1000;
    CHECK_STATUS("reserve (0x50001010, 0x1000) succeeds",
                 nt_alloc(&base, &size, MEM_RESERVE, PAGE_READWRITE), NTS_SUCCESS);
    CHECK_EQ("reserve (0x50001010, 0x1000) returns base 0x50000000", base, ARENA);
    CHECK_EQ("reserve (0x50001010, 0x1000) returns size 0x3000", size, 0x3000);
    CHECK_EQ("reserve (0x50001010, 0x1000): query RegionSize 0x3000", vm_query_field(ARENA, Q_SIZE),
             0x3000);
    vm_release(ARENA);

    /* Overlap with an existing allocation from below, from inside, and exactly. */
    const ULONG_PTR existing = ARENA + 0x100000;
    vm_allocate(existing, 0x20000, MEM_RESERVE, PAGE_READWRITE);
    base = existing - TEST_GRANULE;
    size = 0x20000;
    CHECK_STATUS("reserve overlapping the start of an allocation conflicts",
                 nt_alloc(&base, &size, MEM_RESERVE, PAGE_READWRITE), NTS_CONFLICTING_ADDRESSES);
    CHECK_EQ("the refused range below is still free",
             vm_query_field(existing - TEST_GRANULE, Q_STATE), MEM_FREE);
    base = existing + TEST_GRANULE;
    size = 0x1000;
    CHECK_STATUS("reserve inside an allocation conflicts",
                 nt_alloc(&base, &size, MEM_RESERVE, PAGE_READWRITE), NTS_CONFLICTING_ADDRESSES);
    base = existing + 0x20000;
    size = 0x10000;
    CHECK_STATUS("reserve right after an allocation succeeds",
                 nt_alloc(&base, &size, MEM_RESERVE, PAGE_READWRITE), NTS_SUCCESS);
    vm_release(existing + 0x20000);
    vm_release(existing);

    /* The null region 0x0-0xFFFF is never allocatable: a base in it rounds down to 0. */
    base = 0x8000;
    size = 0x1000;
    CHECK_NE("reserve at 0x8000 (the null region) fails",
             (ULONG)nt_alloc(&base, &size, MEM_RESERVE, PAGE_READWRITE), NTS_SUCCESS);
    CHECK_EQ("the null region stays free", vm_query_field(0, Q_STATE), MEM_FREE);
}

/* Where a NULL-based reservation of SIZE must land, from the free regions a query walk
 * finds: the lowest (or highest) 64 KB-aligned start whose range fits in one free region
 * and ends at or below LIMIT. 0 if none. */
static ULONG_PTR expected_placement(SIZE_T size, ULONG_PTR limit, BOOL top_down) {
    const ULONG_PTR highest = vm_highest_user_address();
    ULONG_PTR found = 0;
    ULONG_PTR address = TEST_GRANULE;
    while (address <= highest) {
        MEMORY_BASIC_INFORMATION info;
        if (nt_query(address, &info) != NTS_SUCCESS || info.RegionSize == 0) {
            break;
        }
        ULONG_PTR start = (ULONG_PTR)info.BaseAddress;
        ULONG_PTR end = start + info.RegionSize;
        if (end > limit) {
            end = limit;
        }
        if (info.State == MEM_FREE && end > start) {
            ULONG_PTR low = (start + TEST_GRANULE - 1) & ~(TEST_GRANULE - 1);
            ULONG_PTR high = end >= size ? (end - size) & ~(TEST_GRANULE - 1) : 0;
            if (end >= size && high >= low) {
                if (!top_down) {
                    return low;
                }
                found = high;
            }
        }
        address = (ULONG_PTR)info.BaseAddress + info.RegionSize;
    }
    return found;
}

static void test_null_base_placement(void) {
    const ULONG_PTR highest = vm_highest_user_address();
    const SIZE_T size = 0x30000;
    ULONG_PTR want = expected_placement(size, highest + 1, FALSE);
    ULONG_PTR got = vm_allocate(0, size, MEM_RESERVE, PAGE_READWRITE);
    CHECK_EQ("NULL base: the lowest free 64 KB-aligned range that fits", got, want);
    vm_release(got);

    want = expected_placement(size, highest + 1, TRUE);
    got = vm_allocate(0, size, MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE);
    CHECK_EQ("NULL base, TOP_DOWN: the highest free range that fits", got, want);
    vm_release(got);

    /* ZeroBits 1: the allocation must lie below 2 GB. */
    want = expected_placement(size, 0x80000000ull, TRUE);
    ULONG_PTR base = 0;
    SIZE_T bytes = size;
    CHECK_STATUS("NULL base, ZeroBits 1, TOP_DOWN succeeds",
                 NtAllocateVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)&base, 1, &bytes,
                                         MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE),
                 NTS_SUCCESS);
    CHECK_EQ("NULL base, ZeroBits 1, TOP_DOWN: the highest range below 2 GB", base, want);
    vm_release(base);

    /* ZeroBits of 32 and more is a mask of the address bits allowed (x64 Windows). */
    want = expected_placement(size, 0x40000000ull, TRUE);
    base = 0;
    bytes = size;
    CHECK_STATUS("NULL base, ZeroBits mask 0x3FFFFFFF, TOP_DOWN succeeds",
                 NtAllocateVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)&base, 0x3FFFFFFF, &bytes,
                                         MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE),
                 NTS_SUCCESS);
    CHECK_EQ("NULL base, ZeroBits mask 0x3FFFFFFF, TOP_DOWN: the highest range below 1 GB", base,
             want);
    vm_release(base);

    base = 0;
    bytes = 0x80000000ull;
    CHECK_STATUS("NULL base, ZeroBits 1, 2 GB: nothing fits (NO_MEMORY)",
                 NtAllocateVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)&base, 1, &bytes, MEM_RESERVE,
                                         PAGE_READWRITE),
                 NTS_NO_MEMORY);
    base = 0;
    bytes = highest + 1 - TEST_GRANULE;
    CHECK_STATUS("NULL base, all of user space: nothing fits (NO_MEMORY)",
                 nt_alloc(&base, &bytes, MEM_RESERVE, PAGE_READWRITE), NTS_NO_MEMORY);

    /* Two 48 KB reservations land 64 KB apart: the 16 KB tail of the first block is never
     * used. Lowest fit may put the first one in a gap of exactly one block; then the second
     * goes elsewhere, so try a few times for a first block with a free block after it. */
    ULONG_PTR held[8];
    int held_count = 0;
    for (; held_count < 8; ++held_count) {
        ULONG_PTR first = vm_allocate(0, 0xC000, MEM_RESERVE, PAGE_READWRITE);
        held[held_count] = first;
        if (vm_query_field(first + TEST_GRANULE, Q_STATE) == MEM_FREE &&
            vm_query_field(first + TEST_GRANULE, Q_SIZE) >= TEST_GRANULE) {
            ULONG_PTR second = vm_allocate(0, 0xC000, MEM_RESERVE, PAGE_READWRITE);
            CHECK_EQ("two 48 KB reservations land 64 KB apart", second - first, TEST_GRANULE);
            vm_release(second);
            ++held_count;
            break;
        }
    }
    for (int i = 0; i < held_count; ++i) {
        vm_release(held[i]);
    }
}

static void test_commit(void) {
    const ULONG_PTR r = ARENA;
    vm_allocate(r, 0x40000, MEM_RESERVE, PAGE_READWRITE);

    ULONG_PTR base = r + 0x1010;
    SIZE_T size = 0x1000;
    CHECK_STATUS("commit (R+0x1010, 0x1000) succeeds",
                 nt_alloc(&base, &size, MEM_COMMIT, PAGE_READWRITE), NTS_SUCCESS);
    CHECK_EQ("commit (R+0x1010, 0x1000) returns base R+0x1000", base, r + 0x1000);
    CHECK_EQ("commit (R+0x1010, 0x1000) returns size 0x2000", size, 0x2000);
    CHECK_EQ("commit: query State COMMIT", vm_query_field(r + 0x1000, Q_STATE), MEM_COMMIT);
    CHECK_EQ("commit: query RegionSize 0x2000", vm_query_field(r + 0x1000, Q_SIZE), 0x2000);
    CHECK_EQ("commit: the page before stays reserved", vm_query_field(r, Q_STATE), MEM_RESERVE);
    CHECK_EQ("commit: new pages read as zero", probe_read8(r + 0x1000), 0);
    CHECK_EQ("commit: new pages read as zero (second page)", probe_read8(r + 0x2FFF), 0);

    base = r + 0x3F000;
    size = 0x2000;
    CHECK_STATUS("commit past the end of the allocation conflicts",
                 nt_alloc(&base, &size, MEM_COMMIT, PAGE_READWRITE), NTS_CONFLICTING_ADDRESSES);
    CHECK_EQ("commit past the end changed nothing", vm_query_field(r + 0x3F000, Q_STATE),
             MEM_RESERVE);
    base = ARENA + 0x100000;
    size = 0x1000;
    CHECK_STATUS("commit with no reservation conflicts",
                 nt_alloc(&base, &size, MEM_COMMIT, PAGE_READWRITE), NTS_CONFLICTING_ADDRESSES);
    CHECK_EQ("commit with no reservation reserved nothing",
             vm_query_field(ARENA + 0x100000, Q_STATE), MEM_FREE);

    const ULONG_PTR small = ARENA + 0x80000;
    vm_allocate(small, 0x1000, MEM_RESERVE, PAGE_READWRITE);
    base = small + 0x8000;
    size = 0x1000;
    CHECK_STATUS("commit in the unused tail of a 64 KB block conflicts",
                 nt_alloc(&base, &size, MEM_COMMIT, PAGE_READWRITE), NTS_CONFLICTING_ADDRESSES);
    vm_release(small);

    const ULONG_PTR next = r + 0x40000;
    vm_allocate(next, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    base = r + 0x3F000;
    size = 0x2000;
    CHECK_STATUS("commit spanning two allocations conflicts",
                 nt_alloc(&base, &size, MEM_COMMIT, PAGE_READWRITE), NTS_CONFLICTING_ADDRESSES);
    CHECK_EQ("commit spanning two allocations: first stays reserved",
             vm_query_field(r + 0x3F000, Q_STATE), MEM_RESERVE);
    CHECK_EQ("commit spanning two allocations: second stays reserved",
             vm_query_field(next, Q_STATE), MEM_RESERVE);
    vm_release(next);

    /* Committing committed pages again: contents stay, the new protection applies. */
    probe_write8(r + 0x1000, 0x5A);
    base = r + 0x1000;
    size = 0x1000;
    CHECK_STATUS("commit again as READONLY succeeds",
                 nt_alloc(&base, &size, MEM_COMMIT, PAGE_READONLY), NTS_SUCCESS);
    CHECK_EQ("commit again: contents kept", probe_read8(r + 0x1000), 0x5A);
    CHECK_EQ("commit again: query Protect READONLY", vm_query_field(r + 0x1000, Q_PROTECT),
             PAGE_READONLY);
    CHECK_EQ("commit again: AllocationProtect unchanged",
             vm_query_field(r + 0x1000, Q_ALLOCATION_PROTECT), PAGE_READWRITE);
    fault_reset();
    CHECK_EQ("commit again: a write now faults", probe_write8(r + 0x1000, 0x11), PROBE_FAULTED);
    CHECK_EQ("commit again: the faulting write changed nothing", probe_read8(r + 0x1000), 0x5A);

    probe_write8(r + 0x2000, 0x33);
    base = r + 0x2000;
    size = 0x2000;
    CHECK_STATUS("commit over committed and reserved pages succeeds",
                 nt_alloc(&base, &size, MEM_COMMIT, PAGE_READWRITE), NTS_SUCCESS);
    CHECK_EQ("commit over committed and reserved: old page kept", probe_read8(r + 0x2000), 0x33);
    CHECK_EQ("commit over committed and reserved: new page is zero", probe_read8(r + 0x3000), 0);
    vm_release(r);

    /* COMMIT with a NULL base reserves as well, rounding the size up to a page. */
    base = 0;
    size = 0x1001;
    CHECK_STATUS("commit with NULL base succeeds",
                 nt_alloc(&base, &size, MEM_COMMIT, PAGE_READWRITE), NTS_SUCCESS);
    CHECK_EQ("commit with NULL base: 64 KB-aligned base", base & (TEST_GRANULE - 1), 0);
    CHECK_EQ("commit with NULL base: size 0x2000", size, 0x2000);
    CHECK_EQ("commit with NULL base: query State COMMIT", vm_query_field(base, Q_STATE),
             MEM_COMMIT);
    CHECK_EQ("commit with NULL base: query AllocationBase", vm_query_field(base, Q_ALLOCATION_BASE),
             base);
    CHECK_EQ("commit with NULL base: query RegionSize 0x2000", vm_query_field(base, Q_SIZE),
             0x2000);
    vm_release(base);
}

/* More than any machine in the test matrix has as RAM plus pagefile. */
#define TOO_MUCH (16ull << 30)

static void test_commitment_limit(void) {
    ULONG_PTR big = vm_allocate(0, TOO_MUCH, MEM_RESERVE, PAGE_READWRITE);
    CHECK_NE("limit: reserving 16 GB succeeds (no commit charge)", big, 0);
    ULONG_PTR base = big;
    SIZE_T size = TOO_MUCH;
    CHECK_STATUS("limit: committing 16 GB gives COMMITMENT_LIMIT",
                 nt_alloc(&base, &size, MEM_COMMIT, PAGE_READWRITE), NTS_COMMITMENT_LIMIT);
    CHECK_EQ("limit: nothing committed (State)", vm_query_field(big, Q_STATE), MEM_RESERVE);
    CHECK_EQ("limit: nothing committed (one reserved region)", vm_query_field(big, Q_SIZE),
             TOO_MUCH);
    vm_release(big);

    base = 0;
    size = TOO_MUCH;
    CHECK_STATUS("limit: reserve+commit of 16 GB gives COMMITMENT_LIMIT",
                 nt_alloc(&base, &size, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE),
                 NTS_COMMITMENT_LIMIT);
    CHECK_EQ("limit: reserve+commit failure leaves Base as passed", base, 0);
    CHECK_EQ("limit: reserve+commit failure leaves Size as passed", size, TOO_MUCH);
    CHECK_EQ("limit: reserve+commit failure leaves no reservation", vm_query_field(big, Q_STATE),
             MEM_FREE);
    /* Where the first 16 GB reservation was: free again, and big enough. */
    base = big;
    size = TOO_MUCH;
    CHECK_STATUS("limit: reserve+commit of 16 GB at a given base gives COMMITMENT_LIMIT",
                 nt_alloc(&base, &size, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE),
                 NTS_COMMITMENT_LIMIT);
    CHECK_EQ("limit: at a given base, no reservation is left", vm_query_field(big, Q_STATE),
             MEM_FREE);
}

static void test_reset(void) {
    ULONG_PTR r = vm_allocate(0, 0x2000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    probe_write8(r, 0x42);
    ULONG_PTR base = r;
    SIZE_T size = 0x2000;
    CHECK_STATUS("reset: MEM_RESET on committed pages succeeds",
                 nt_alloc(&base, &size, MEM_RESET, PAGE_READWRITE), NTS_SUCCESS);
    CHECK_EQ("reset: pages stay committed", vm_query_field(r, Q_STATE), MEM_COMMIT);
    CHECK_EQ("reset: pages keep their protection", vm_query_field(r, Q_PROTECT), PAGE_READWRITE);
    CHECK_EQ("reset: pages stay writable", probe_write8(r + 0x1000, 7), 0);
    CHECK_EQ("reset: pages stay readable", probe_read8(r + 0x1000), 7);

    vm_set_protection(r, 0x1000, PAGE_READONLY);
    base = r;
    size = 0x1000;
    CHECK_STATUS("reset: MEM_RESET on a READONLY page succeeds",
                 nt_alloc(&base, &size, MEM_RESET, PAGE_READWRITE), NTS_SUCCESS);
    CHECK_EQ("reset: READONLY page keeps its protection", vm_query_field(r, Q_PROTECT),
             PAGE_READONLY);

    base = r + 0x1000;
    size = 0x2000;
    CHECK_NE("reset: a range past the allocation's end fails",
             (ULONG)nt_alloc(&base, &size, MEM_RESET, PAGE_READWRITE), NTS_SUCCESS);
    vm_release(r);
}

int start(void) {
    if (!fault_install()) {
        test_note("AddVectoredExceptionHandler failed");
        return 1;
    }
    test_type_validation();
    test_protect_validation();
    test_argument_order();
    test_reserve_rounding_and_conflicts();
    test_null_base_placement();
    test_commit();
    test_commitment_limit();
    test_reset();
    return test_done();
}
