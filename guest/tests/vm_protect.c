/* NtProtectVirtualMemory: NewProtect validation, the OldProtect pointer, ranges that are not
 * inside one allocation or not committed, OldProtect of the first page, splitting a region,
 * and contents surviving every change. See shared/spec/nt-virtual-memory.md. */
#include "framework/ntoy_faults.h"
#include "framework/ntoy_nt.h"
#include "framework/ntoy_test.h"

/* Free in every process the suite runs in (see vm_allocate.c). */
#define ARENA 0x50000000ull

static NTSTATUS protect_status(ULONG_PTR base, SIZE_T size, ULONG protect) {
    ULONG old = 0;
    return nt_protect(&base, &size, protect, &old);
}

/* The OldProtect a call wrote, or 0xDEAD if it wrote none. */
static ULONG protect_old(ULONG_PTR base, SIZE_T size, ULONG protect) {
    ULONG old = 0xDEAD;
    nt_protect(&base, &size, protect, &old);
    return old;
}

static void test_validation(void) {
    const ULONG_PTR r = vm_allocate(0, 0x2000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    CHECK_STATUS("NewProtect 0 gives INVALID_PAGE_PROTECTION", protect_status(r, 0x1000, 0),
                 NTS_INVALID_PAGE_PROTECTION);
    CHECK_STATUS("NewProtect READONLY|READWRITE gives INVALID_PAGE_PROTECTION",
                 protect_status(r, 0x1000, PAGE_READONLY | PAGE_READWRITE),
                 NTS_INVALID_PAGE_PROTECTION);
    CHECK_STATUS("NewProtect NOACCESS|GUARD gives INVALID_PAGE_PROTECTION",
                 protect_status(r, 0x1000, PAGE_NOACCESS | PAGE_GUARD),
                 NTS_INVALID_PAGE_PROTECTION);
    CHECK_STATUS("NewProtect NOACCESS|NOCACHE gives INVALID_PAGE_PROTECTION",
                 protect_status(r, 0x1000, PAGE_NOACCESS | PAGE_NOCACHE),
                 NTS_INVALID_PAGE_PROTECTION);
    CHECK_STATUS("NewProtect WRITECOPY on private memory gives INVALID_PAGE_PROTECTION",
                 protect_status(r, 0x1000, PAGE_WRITECOPY), NTS_INVALID_PAGE_PROTECTION);
    CHECK_STATUS("NewProtect EXECUTE_WRITECOPY on private memory gives INVALID_PAGE_PROTECTION",
                 protect_status(r, 0x1000, PAGE_EXECUTE_WRITECOPY), NTS_INVALID_PAGE_PROTECTION);
    CHECK_EQ("invalid NewProtect changed nothing", vm_query_field(r, Q_PROTECT), PAGE_READWRITE);

    ULONG_PTR base = r;
    SIZE_T size = 0x1000;
    CHECK_STATUS("NULL OldProtect gives ACCESS_VIOLATION",
                 nt_protect(&base, &size, PAGE_READONLY, NULL), NTS_ACCESS_VIOLATION);
    CHECK_STATUS("system-space OldProtect gives ACCESS_VIOLATION",
                 nt_protect(&base, &size, PAGE_READONLY, (ULONG*)TEST_SYSTEM_ADDRESS),
                 NTS_ACCESS_VIOLATION);
    vm_set_protection(r + 0x1000, 0x1000, PAGE_READONLY);
    CHECK_STATUS("read-only OldProtect gives ACCESS_VIOLATION",
                 nt_protect(&base, &size, PAGE_READONLY, (ULONG*)(r + 0x1000)),
                 NTS_ACCESS_VIOLATION);
    CHECK_EQ("bad OldProtect changed nothing", vm_query_field(r, Q_PROTECT), PAGE_READWRITE);
    vm_release(r);
}

static void test_ranges(void) {
    const ULONG_PTR r = vm_allocate(ARENA, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    vm_commit(r, 0x3000, PAGE_READWRITE);
    const ULONG_PTR next =
        vm_allocate(ARENA + 0x10000, 0x10000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    vm_commit(r + 0xF000, 0x1000, PAGE_READWRITE);

    CHECK_STATUS("a range with a reserved page gives NOT_COMMITTED",
                 protect_status(r + 0x2000, 0x2000, PAGE_READONLY), NTS_NOT_COMMITTED);
    CHECK_EQ("NOT_COMMITTED changed nothing", vm_query_field(r + 0x2000, Q_PROTECT),
             PAGE_READWRITE);
    CHECK_STATUS("a reserved page alone gives NOT_COMMITTED",
                 protect_status(r + 0x5000, 0x1000, PAGE_READONLY), NTS_NOT_COMMITTED);
    /* Windows 8 and later write PAGE_NOACCESS to OldProtect when the range cannot be
     * protected: the one output of a failed call. */
    CHECK_EQ("NOT_COMMITTED (a reserved page) writes OldProtect NOACCESS",
             protect_old(r + 0x5000, 0x1000, PAGE_READONLY), PAGE_NOACCESS);
    CHECK_EQ("NOT_COMMITTED (a range with a reserved page) writes OldProtect NOACCESS",
             protect_old(r + 0x2000, 0x2000, PAGE_READONLY), PAGE_NOACCESS);
    CHECK_NE("a range spanning two allocations fails",
             (ULONG)protect_status(r + 0xF000, 0x2000, PAGE_READONLY), NTS_SUCCESS);
    CHECK_EQ("spanning two allocations changed nothing (first)",
             vm_query_field(r + 0xF000, Q_PROTECT), PAGE_READWRITE);
    CHECK_EQ("spanning two allocations changed nothing (second)", vm_query_field(next, Q_PROTECT),
             PAGE_READWRITE);
    CHECK_STATUS("a range in free memory gives CONFLICTING_ADDRESSES",
                 protect_status(ARENA + 0x30000, 0x1000, PAGE_READONLY), NTS_CONFLICTING_ADDRESSES);
    CHECK_EQ("free memory writes OldProtect NOACCESS",
             protect_old(ARENA + 0x30000, 0x1000, PAGE_READONLY), PAGE_NOACCESS);
    CHECK_NE("a range running past the allocation's end fails",
             (ULONG)protect_status(next + 0xF000, 0x2000, PAGE_READONLY), NTS_SUCCESS);
    CHECK_EQ("running past the allocation's end writes OldProtect NOACCESS",
             protect_old(next + 0xF000, 0x2000, PAGE_READONLY), PAGE_NOACCESS);
    vm_release(next);
    vm_release(r);

    /* The range is rounded out to whole pages: 0x20 bytes across a page boundary cover both
     * pages. */
    const ULONG_PTR q = vm_allocate(0, 0x4000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    CHECK_STATUS("protect (Q+0x1FF0, 0x20) succeeds",
                 protect_status(q + 0x1FF0, 0x20, PAGE_READONLY), NTS_SUCCESS);
    CHECK_EQ("rounded: the page before is unchanged", vm_query_field(q, Q_PROTECT), PAGE_READWRITE);
    CHECK_EQ("rounded: the first page touched is READONLY", vm_query_field(q + 0x1000, Q_PROTECT),
             PAGE_READONLY);
    CHECK_EQ("rounded: both pages touched form one region", vm_query_field(q + 0x1000, Q_SIZE),
             0x2000);
    CHECK_EQ("rounded: the page after is unchanged", vm_query_field(q + 0x3000, Q_PROTECT),
             PAGE_READWRITE);
    vm_release(q);
}

static void test_old_protect_and_split(void) {
    const ULONG_PTR r = vm_allocate(0, 0x4000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    ULONG_PTR base = r + 0x1000;
    SIZE_T size = 0x1000;
    ULONG old = 0;
    CHECK_STATUS("protect the second page READONLY succeeds",
                 nt_protect(&base, &size, PAGE_READONLY, &old), NTS_SUCCESS);
    CHECK_EQ("OldProtect is READWRITE", old, PAGE_READWRITE);

    /* The region now reads as three pieces. */
    CHECK_EQ("split: first piece READWRITE", vm_query_field(r, Q_PROTECT), PAGE_READWRITE);
    CHECK_EQ("split: first piece is one page", vm_query_field(r, Q_SIZE), 0x1000);
    CHECK_EQ("split: middle piece READONLY", vm_query_field(r + 0x1000, Q_PROTECT), PAGE_READONLY);
    CHECK_EQ("split: middle piece is one page", vm_query_field(r + 0x1000, Q_SIZE), 0x1000);
    CHECK_EQ("split: last piece READWRITE", vm_query_field(r + 0x2000, Q_PROTECT), PAGE_READWRITE);
    CHECK_EQ("split: last piece is two pages", vm_query_field(r + 0x2000, Q_SIZE), 0x2000);
    CHECK_EQ("split: AllocationProtect unchanged", vm_query_field(r + 0x1000, Q_ALLOCATION_PROTECT),
             PAGE_READWRITE);

    base = r + 0x1000;
    size = 0x2000;
    old = 0;
    CHECK_STATUS("protect [READONLY, READWRITE] as EXECUTE_READ succeeds",
                 nt_protect(&base, &size, PAGE_EXECUTE_READ, &old), NTS_SUCCESS);
    CHECK_EQ("OldProtect is the first page's (READONLY)", old, PAGE_READONLY);
    base = r;
    size = 0x2000;
    old = 0;
    CHECK_STATUS("protect [READWRITE, EXECUTE_READ] as READWRITE succeeds",
                 nt_protect(&base, &size, PAGE_READWRITE, &old), NTS_SUCCESS);
    CHECK_EQ("OldProtect is the first page's (READWRITE)", old, PAGE_READWRITE);
    CHECK_EQ("the pieces merge back: READWRITE region of two pages", vm_query_field(r, Q_SIZE),
             0x2000);

    /* An armed guard page reports GUARD as OldProtect, and protecting it does not fire it. */
    vm_set_protection(r + 0x3000, 0x1000, PAGE_READWRITE | PAGE_GUARD);
    base = r + 0x3000;
    size = 0x1000;
    old = 0;
    fault_reset();
    CHECK_STATUS("protect an armed guard page succeeds",
                 nt_protect(&base, &size, PAGE_READWRITE, &old), NTS_SUCCESS);
    CHECK_EQ("OldProtect of an armed guard page has GUARD", old, PAGE_READWRITE | PAGE_GUARD);
    CHECK_DEC("protecting a guard page raises nothing", fault_log.count, 0);
    vm_release(r);
}

/* On current Windows PAGE_NOCACHE and PAGE_WRITECOMBINE belong to the allocation: they stay
 * through protect, OldProtect and queries show them, and the region is not split by them. On a
 * plain allocation a NOCACHE passed to protect is accepted and ignored. (Wine's
 * test_VirtualAlloc: "PAGE_NOCACHE cannot be set per page in recent Windows".) */
static void test_cache_attributes(void) {
    MEMORY_BASIC_INFORMATION info;
    ULONG_PTR r = vm_allocate(0, 0x2000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE | PAGE_NOCACHE);
    nt_query(r, &info);
    CHECK_EQ("NOCACHE: AllocationProtect READWRITE|NOCACHE", info.AllocationProtect,
             PAGE_READWRITE | PAGE_NOCACHE);
    CHECK_EQ("NOCACHE: Protect READWRITE|NOCACHE", info.Protect, PAGE_READWRITE | PAGE_NOCACHE);
    ULONG_PTR base = r;
    SIZE_T size = 0x1000;
    ULONG old = 0;
    CHECK_STATUS("NOCACHE: protect READWRITE succeeds",
                 nt_protect(&base, &size, PAGE_READWRITE, &old), NTS_SUCCESS);
    CHECK_EQ("NOCACHE: OldProtect READWRITE|NOCACHE", old, PAGE_READWRITE | PAGE_NOCACHE);
    nt_query(r, &info);
    CHECK_EQ("NOCACHE: protect READWRITE keeps NOCACHE", info.Protect,
             PAGE_READWRITE | PAGE_NOCACHE);
    CHECK_EQ("NOCACHE: protect READWRITE does not split the region", info.RegionSize, 0x2000);
    base = r;
    size = 0x1000;
    old = 0;
    CHECK_STATUS("NOCACHE: protect READONLY succeeds",
                 nt_protect(&base, &size, PAGE_READONLY, &old), NTS_SUCCESS);
    CHECK_EQ("NOCACHE: OldProtect still READWRITE|NOCACHE", old, PAGE_READWRITE | PAGE_NOCACHE);
    nt_query(r, &info);
    CHECK_EQ("NOCACHE: protect READONLY gives READONLY|NOCACHE", info.Protect,
             PAGE_READONLY | PAGE_NOCACHE);
    CHECK_EQ("NOCACHE: AllocationProtect unchanged", info.AllocationProtect,
             PAGE_READWRITE | PAGE_NOCACHE);
    CHECK_EQ("NOCACHE: the READONLY page is a region of its own", info.RegionSize, 0x1000);
    vm_release(r);

    r = vm_allocate(0, 0x2000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE | PAGE_WRITECOMBINE);
    base = r;
    size = 0x1000;
    old = 0;
    CHECK_STATUS("WRITECOMBINE: protect READONLY succeeds",
                 nt_protect(&base, &size, PAGE_READONLY, &old), NTS_SUCCESS);
    CHECK_EQ("WRITECOMBINE: OldProtect READWRITE|WRITECOMBINE", old,
             PAGE_READWRITE | PAGE_WRITECOMBINE);
    CHECK_EQ("WRITECOMBINE: protect READONLY gives READONLY|WRITECOMBINE",
             vm_query_field(r, Q_PROTECT), PAGE_READONLY | PAGE_WRITECOMBINE);
    vm_release(r);

    r = vm_allocate(0, 0x2000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    base = r;
    size = 0x1000;
    old = 0;
    CHECK_STATUS("plain: protect READONLY|NOCACHE succeeds",
                 nt_protect(&base, &size, PAGE_READONLY | PAGE_NOCACHE, &old), NTS_SUCCESS);
    CHECK_EQ("plain: OldProtect READWRITE", old, PAGE_READWRITE);
    nt_query(r, &info);
    CHECK_EQ("plain: NOCACHE is ignored", info.Protect, PAGE_READONLY);
    CHECK_EQ("plain: AllocationProtect READWRITE", info.AllocationProtect, PAGE_READWRITE);
    CHECK_EQ("plain: one READONLY page", info.RegionSize, 0x1000);
    vm_release(r);
}

/* Contents survive every change of protection, including through NOACCESS and GUARD. */
static void test_contents_survive(void) {
    const ULONG_PTR r = vm_allocate(0, 0x2000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    probe_write8(r + 0x10, 0x5C);
    vm_set_protection(r, 0x1000, PAGE_NOACCESS);
    vm_set_protection(r, 0x1000, PAGE_READONLY);
    CHECK_EQ("NOACCESS then READONLY reads back the old byte", probe_read8(r + 0x10), 0x5C);
    vm_set_protection(r, 0x1000, PAGE_EXECUTE_READ);
    CHECK_EQ("then EXECUTE_READ reads it back", probe_read8(r + 0x10), 0x5C);
    vm_set_protection(r, 0x1000, PAGE_EXECUTE);
    vm_set_protection(r, 0x1000, PAGE_READWRITE | PAGE_GUARD);
    vm_set_protection(r, 0x1000, PAGE_EXECUTE_READWRITE);
    CHECK_EQ("then EXECUTE, READWRITE|GUARD, EXECUTE_READWRITE reads it back",
             probe_read8(r + 0x10), 0x5C);
    vm_set_protection(r, 0x1000, PAGE_READWRITE | PAGE_NOCACHE);
    CHECK_EQ("then READWRITE|NOCACHE reads it back", probe_read8(r + 0x10), 0x5C);
    vm_set_protection(r, 0x1000, PAGE_READWRITE);
    CHECK_EQ("then READWRITE writes again", probe_write8(r + 0x10, 0x5D), 0);
    CHECK_EQ("then READWRITE reads the new byte", probe_read8(r + 0x10), 0x5D);

    /* A page never touched stays demand-zero through the changes. */
    vm_set_protection(r + 0x1000, 0x1000, PAGE_NOACCESS);
    vm_set_protection(r + 0x1000, 0x1000, PAGE_READONLY);
    CHECK_EQ("an untouched page through NOACCESS then READONLY reads zero", probe_read8(r + 0x1010),
             0);
    vm_release(r);
}

int start(void) {
    if (!fault_install()) {
        test_note("AddVectoredExceptionHandler failed");
        return 1;
    }
    test_validation();
    test_ranges();
    test_old_protect_and_split();
    test_cache_attributes();
    test_contents_survive();
    return test_done();
}
