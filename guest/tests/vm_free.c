/* NtFreeVirtualMemory: FreeType, freeing what is not allocated, Size 0 (whole allocation)
 * and non-zero (a rounded range inside one allocation), splitting by partial release, the
 * values written back, and commit charge and contents going back at once. See
 * shared/spec/nt-virtual-memory.md. */
#include "framework/ntoy_faults.h"
#include "framework/ntoy_nt.h"
#include "framework/ntoy_test.h"

/* Free in every process the suite runs in (see vm_allocate.c). */
#define ARENA 0x50000000ull

static void test_free_type(void) {
    const ULONG_PTR r = vm_allocate(ARENA, 0x10000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    static const ULONG types[] = {0, MEM_DECOMMIT | MEM_RELEASE, MEM_COMMIT, MEM_RELEASE | 0x1};
    static const char* const names[] = {
        "FreeType 0 gives INVALID_PARAMETER_4",
        "FreeType DECOMMIT|RELEASE gives INVALID_PARAMETER_4",
        "FreeType MEM_COMMIT gives INVALID_PARAMETER_4",
        "FreeType RELEASE|0x1 gives INVALID_PARAMETER_4",
    };
    for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); ++i) {
        ULONG_PTR base = r;
        SIZE_T size = 0;
        CHECK_STATUS(names[i], nt_free(&base, &size, types[i]), NTS_INVALID_PARAMETER_4);
    }
    CHECK_EQ("bad FreeType: the allocation is untouched", vm_query_field(r, Q_STATE), MEM_COMMIT);
    vm_release(r);
}

static void test_not_allocated(void) {
    ULONG_PTR base = ARENA;
    SIZE_T size = 0;
    CHECK_STATUS("RELEASE of a free page gives MEMORY_NOT_ALLOCATED",
                 nt_free(&base, &size, MEM_RELEASE), NTS_MEMORY_NOT_ALLOCATED);
    base = ARENA;
    size = 0x1000;
    CHECK_STATUS("DECOMMIT of a free page gives MEMORY_NOT_ALLOCATED",
                 nt_free(&base, &size, MEM_DECOMMIT), NTS_MEMORY_NOT_ALLOCATED);

    vm_allocate(ARENA, 0x1000, MEM_RESERVE, PAGE_READWRITE);
    base = ARENA + 0x8000;
    size = 0;
    CHECK_STATUS("RELEASE in the unused tail of a 64 KB block gives MEMORY_NOT_ALLOCATED",
                 nt_free(&base, &size, MEM_RELEASE), NTS_MEMORY_NOT_ALLOCATED);
    base = ARENA + 0x1000;
    size = 0x1000;
    CHECK_STATUS("DECOMMIT in the unused tail gives MEMORY_NOT_ALLOCATED",
                 nt_free(&base, &size, MEM_DECOMMIT), NTS_MEMORY_NOT_ALLOCATED);
    CHECK_STATUS("RELEASE of the allocation itself succeeds", vm_release(ARENA), NTS_SUCCESS);
    CHECK_STATUS("RELEASE of a page released earlier gives MEMORY_NOT_ALLOCATED", vm_release(ARENA),
                 NTS_MEMORY_NOT_ALLOCATED);
}

static void test_size_zero(void) {
    const ULONG_PTR r = vm_allocate(ARENA, 0x10000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    ULONG_PTR base = r + 0x1000;
    SIZE_T size = 0;
    CHECK_STATUS("size 0, RELEASE past the first page gives FREE_VM_NOT_AT_BASE",
                 nt_free(&base, &size, MEM_RELEASE), NTS_FREE_VM_NOT_AT_BASE);
    CHECK_EQ("FREE_VM_NOT_AT_BASE leaves Base as passed", base, r + 0x1000);
    CHECK_EQ("FREE_VM_NOT_AT_BASE leaves Size as passed", size, 0);
    base = r + 0x1000;
    size = 0;
    CHECK_STATUS("size 0, DECOMMIT past the first page gives FREE_VM_NOT_AT_BASE",
                 nt_free(&base, &size, MEM_DECOMMIT), NTS_FREE_VM_NOT_AT_BASE);
    CHECK_EQ("FREE_VM_NOT_AT_BASE changed nothing", vm_query_field(r, Q_SIZE), 0x10000);

    base = r + 0x10;
    size = 0;
    CHECK_STATUS("size 0, DECOMMIT in the first page succeeds", nt_free(&base, &size, MEM_DECOMMIT),
                 NTS_SUCCESS);
    CHECK_EQ("size 0, DECOMMIT returns size 0", size, 0);
    CHECK_EQ("size 0, DECOMMIT decommits all of it (State)", vm_query_field(r, Q_STATE),
             MEM_RESERVE);
    CHECK_EQ("size 0, DECOMMIT decommits all of it (one region)", vm_query_field(r, Q_SIZE),
             0x10000);

    base = r + 0x123;
    size = 0;
    CHECK_STATUS("size 0, RELEASE in the first page succeeds", nt_free(&base, &size, MEM_RELEASE),
                 NTS_SUCCESS);
    CHECK_EQ("size 0, RELEASE returns the allocation's base", base, r);
    CHECK_EQ("size 0, RELEASE returns the allocation's full size", size, 0x10000);
    CHECK_EQ("size 0, RELEASE frees it", vm_query_field(r, Q_STATE), MEM_FREE);
}

static void test_size_nonzero(void) {
    const ULONG_PTR r = vm_allocate(ARENA, 0x10000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    ULONG_PTR base = r + 0x1010;
    SIZE_T size = 0x1000;
    CHECK_STATUS("DECOMMIT (R+0x1010, 0x1000) succeeds", nt_free(&base, &size, MEM_DECOMMIT),
                 NTS_SUCCESS);
    CHECK_EQ("DECOMMIT (R+0x1010, 0x1000) returns base R+0x1000", base, r + 0x1000);
    CHECK_EQ("DECOMMIT (R+0x1010, 0x1000) returns size 0x2000", size, 0x2000);
    CHECK_EQ("DECOMMIT rounded: R+0x1000 reserved", vm_query_field(r + 0x1000, Q_STATE),
             MEM_RESERVE);
    CHECK_EQ("DECOMMIT rounded: reserved region is 0x2000", vm_query_field(r + 0x1000, Q_SIZE),
             0x2000);
    CHECK_EQ("DECOMMIT rounded: page before still committed", vm_query_field(r, Q_STATE),
             MEM_COMMIT);
    CHECK_EQ("DECOMMIT rounded: page after still committed", vm_query_field(r + 0x3000, Q_STATE),
             MEM_COMMIT);

    base = r + 0x1000;
    size = 0x1000;
    CHECK_STATUS("DECOMMIT of reserved pages succeeds", nt_free(&base, &size, MEM_DECOMMIT),
                 NTS_SUCCESS);
    base = r + 0x1000;
    size = 0x1000;
    CHECK_STATUS("DECOMMIT of decommitted pages succeeds again",
                 nt_free(&base, &size, MEM_DECOMMIT), NTS_SUCCESS);

    base = r + 0xF000;
    size = 0x2000;
    CHECK_STATUS("DECOMMIT past the allocation's end gives UNABLE_TO_FREE_VM",
                 nt_free(&base, &size, MEM_DECOMMIT), NTS_UNABLE_TO_FREE_VM);
    CHECK_EQ("UNABLE_TO_FREE_VM leaves Base unchanged", base, r + 0xF000);
    CHECK_EQ("UNABLE_TO_FREE_VM leaves Size unchanged", size, 0x2000);
    base = r + 0xF000;
    size = 0x2000;
    CHECK_STATUS("RELEASE past the allocation's end gives UNABLE_TO_FREE_VM",
                 nt_free(&base, &size, MEM_RELEASE), NTS_UNABLE_TO_FREE_VM);
    CHECK_EQ("UNABLE_TO_FREE_VM changed nothing", vm_query_field(r + 0xF000, Q_STATE), MEM_COMMIT);

    /* Releasing a page in the middle splits the allocation in two. */
    probe_write8(r + 0x3000, 0x31);
    probe_write8(r + 0x5000, 0x51);
    base = r + 0x4000;
    size = 0x1000;
    CHECK_STATUS("RELEASE of a middle page succeeds", nt_free(&base, &size, MEM_RELEASE),
                 NTS_SUCCESS);
    CHECK_EQ("RELEASE of a middle page returns its base", base, r + 0x4000);
    CHECK_EQ("RELEASE of a middle page returns its size", size, 0x1000);
    CHECK_EQ("split: the hole is free", vm_query_field(r + 0x4000, Q_STATE), MEM_FREE);
    CHECK_EQ("split: the hole runs to the right part", vm_query_field(r + 0x4000, Q_SIZE), 0x1000);
    CHECK_EQ("split: the left part keeps its base", vm_query_field(r + 0x3000, Q_ALLOCATION_BASE),
             r);
    CHECK_EQ("split: the right part is an allocation of its own",
             vm_query_field(r + 0x6000, Q_ALLOCATION_BASE), r + 0x5000);
    CHECK_EQ("split: the right part keeps AllocationProtect",
             vm_query_field(r + 0x6000, Q_ALLOCATION_PROTECT), PAGE_READWRITE);
    CHECK_EQ("split: the left part keeps its contents", probe_read8(r + 0x3000), 0x31);
    CHECK_EQ("split: the right part keeps its contents", probe_read8(r + 0x5000), 0x51);

    base = r + 0x3000;
    size = 0x3000;
    CHECK_STATUS("DECOMMIT across the released hole gives UNABLE_TO_FREE_VM",
                 nt_free(&base, &size, MEM_DECOMMIT), NTS_UNABLE_TO_FREE_VM);
    base = r + 0x3000;
    size = 0x3000;
    CHECK_STATUS("RELEASE across the released hole gives UNABLE_TO_FREE_VM",
                 nt_free(&base, &size, MEM_RELEASE), NTS_UNABLE_TO_FREE_VM);
    CHECK_EQ("across the hole: outputs unchanged", base + size, r + 0x6000);
    CHECK_EQ("across the hole: nothing decommitted", vm_query_field(r + 0x3000, Q_STATE),
             MEM_COMMIT);
    base = r + 0x4000;
    size = 0;
    CHECK_STATUS("RELEASE in the hole gives MEMORY_NOT_ALLOCATED",
                 nt_free(&base, &size, MEM_RELEASE), NTS_MEMORY_NOT_ALLOCATED);

    base = r + 0x6000;
    size = 0;
    CHECK_STATUS("RELEASE of the right part past its first page gives FREE_VM_NOT_AT_BASE",
                 nt_free(&base, &size, MEM_RELEASE), NTS_FREE_VM_NOT_AT_BASE);
    base = r + 0x5000;
    size = 0;
    CHECK_STATUS("RELEASE of the right part at its own base succeeds",
                 nt_free(&base, &size, MEM_RELEASE), NTS_SUCCESS);
    CHECK_EQ("RELEASE of the right part returns its size", size, 0xB000);
    base = r;
    size = 0;
    CHECK_STATUS("RELEASE of the left part succeeds", nt_free(&base, &size, MEM_RELEASE),
                 NTS_SUCCESS);
    CHECK_EQ("RELEASE of the left part returns its size", size, 0x4000);
    CHECK_EQ("left part released", vm_query_field(r, Q_STATE), MEM_FREE);
    CHECK_EQ("right part released", vm_query_field(r + 0x5000, Q_STATE), MEM_FREE);
}

static void test_contents_go(void) {
    ULONG_PTR r = vm_allocate(ARENA, 0x2000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    probe_write8(r + 0x10, 0xAB);
    probe_write8(r + 0x1010, 0xCD);
    vm_decommit(r, 0x1000);
    CHECK_EQ("decommitted page is not readable", probe_read8(r + 0x10), PROBE_FAULTED);
    CHECK_EQ("the page next to it keeps its contents", probe_read8(r + 0x1010), 0xCD);
    vm_commit(r, 0x1000, PAGE_READWRITE);
    CHECK_EQ("recommitted page reads zero, not the old data", probe_read8(r + 0x10), 0);

    vm_release(r);
    CHECK_EQ("released page is not readable", probe_read8(r + 0x1010), PROBE_FAULTED);
    r = vm_allocate(ARENA, 0x2000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    CHECK_EQ("reallocated page reads zero, not the old data", probe_read8(r + 0x1010), 0);
    vm_release(r);
}

/* Finds how many pages can be committed at once at the start of a big reservation, by
 * bisection (a refused commit changes nothing). */
static SIZE_T committable_pages(ULONG_PTR region, SIZE_T region_pages) {
    SIZE_T ok = 0;
    SIZE_T refused = region_pages + 1;
    while (refused - ok > 1) {
        SIZE_T middle = ok + (refused - ok) / 2;
        if (vm_commit(region, middle * TEST_PAGE, PAGE_READWRITE) == NTS_SUCCESS) {
            vm_decommit(region, middle * TEST_PAGE);
            ok = middle;
        } else {
            refused = middle;
        }
    }
    return ok;
}

static void test_charge_returns(void) {
    const SIZE_T region_pages = (1ull << 30) / TEST_PAGE;
    const ULONG_PTR region = vm_allocate(0, region_pages * TEST_PAGE, MEM_RESERVE, PAGE_READWRITE);
    const SIZE_T pages = committable_pages(region, region_pages);
    if (!CHECK_TRUE("charge: committing 1 GB reaches the commit limit", pages < region_pages)) {
        vm_release(region);
        return;
    }
    CHECK_STATUS("charge: commit up to the limit",
                 vm_commit(region, pages * TEST_PAGE, PAGE_READWRITE), NTS_SUCCESS);
    const ULONG_PTR extra = region + pages * TEST_PAGE;
    CHECK_STATUS("charge: one more page gives COMMITMENT_LIMIT",
                 vm_commit(extra, TEST_PAGE, PAGE_READWRITE), NTS_COMMITMENT_LIMIT);
    vm_decommit(region, 16 * TEST_PAGE);
    CHECK_STATUS("charge: after DECOMMIT of 16 pages, one more page commits",
                 vm_commit(extra, TEST_PAGE, PAGE_READWRITE), NTS_SUCCESS);
    vm_release(region);

    /* A few pages short of the limit: the new range may need a page table more. */
    const ULONG_PTR again =
        vm_allocate(0, (pages - 4) * TEST_PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    CHECK_NE("charge: after RELEASE, nearly as much commits again", again, 0);
    vm_release(again);

    /* Frames go back at once too: using three quarters of the limit four times over would
     * run out of RAM otherwise. Every write is a demand-zero fault taking a frame. */
    const SIZE_T touch = pages / 4 * 3;
    BOOL all_zero = TRUE;
    BOOL all_committed = TRUE;
    for (int round = 0; round < 4; ++round) {
        ULONG_PTR block =
            vm_allocate(0, touch * TEST_PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
        if (block == 0) {
            all_committed = FALSE;
            break;
        }
        for (SIZE_T page = 0; page < touch; ++page) {
            volatile unsigned char* byte = (volatile unsigned char*)(block + page * TEST_PAGE);
            all_zero = all_zero && *byte == 0;
            *byte = (unsigned char)(round + 1);
        }
        vm_decommit(block, touch * TEST_PAGE);
        vm_release(block);
    }
    CHECK_TRUE("frames: four rounds of touching 3/4 of the limit all commit", all_committed);
    CHECK_TRUE("frames: every page of every round read zero first", all_zero);
}

int start(void) {
    if (!fault_install()) {
        test_note("AddVectoredExceptionHandler failed");
        return 1;
    }
    test_free_type();
    test_not_allocated();
    test_size_zero();
    test_size_nonzero();
    test_contents_go();
    test_charge_returns();
    return test_done();
}
