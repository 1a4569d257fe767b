/* Pointer arguments of the virtual-memory calls: system-space, free, read-only and guard
 * pages give STATUS_ACCESS_VIOLATION from the call (never a fault), a guard page hit by the
 * kernel's probe is cleared, and outputs are written once, only when the call succeeds. See
 * shared/spec/nt-virtual-memory.md, "User pointers passed to the kernel". */
#include "framework/ntoy_faults.h"
#include "framework/ntoy_nt.h"
#include "framework/ntoy_test.h"

/* Free in every process the suite runs in (see vm_allocate.c). */
#define ARENA 0x50000000ull

/* Scratch pages: page 0 READWRITE, page 1 READONLY, page 2 READWRITE|GUARD (re-armed by
 * arm_guard), page 3 reserved only. */
static ULONG_PTR scratch;
#define RW_PAGE (scratch)
#define RO_PAGE (scratch + 0x1000)
#define GUARD_PAGE (scratch + 0x2000)
#define RESERVED_PAGE (scratch + 0x3000)

static ULONG_PTR free_address;

static void arm_guard(void) {
    vm_set_protection(GUARD_PAGE, TEST_PAGE, PAGE_READWRITE | PAGE_GUARD);
}

/* After a probe hit the guard page: the guard is gone, and a later access raises nothing. */
static void check_guard_cleared(const char* query_name, const char* access_name) {
    CHECK_EQ(query_name, vm_query_field(GUARD_PAGE, Q_PROTECT), PAGE_READWRITE);
    fault_reset();
    probe_read8(GUARD_PAGE + 0x100);
    CHECK_DEC(access_name, fault_log.count, 0);
}

static void test_allocate(void) {
    SIZE_T size = TEST_PAGE;
    CHECK_STATUS("allocate: system-space Base pointer gives ACCESS_VIOLATION",
                 NtAllocateVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)TEST_SYSTEM_ADDRESS, 0, &size,
                                         MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE),
                 NTS_ACCESS_VIOLATION);
    CHECK_STATUS("allocate: free-page Base pointer gives ACCESS_VIOLATION",
                 NtAllocateVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)free_address, 0, &size,
                                         MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE),
                 NTS_ACCESS_VIOLATION);
    ULONG_PTR base = 0;
    CHECK_STATUS(
        "allocate: system-space Size pointer gives ACCESS_VIOLATION",
        NtAllocateVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)&base, 0, (PSIZE_T)TEST_SYSTEM_ADDRESS,
                                MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE),
        NTS_ACCESS_VIOLATION);
    CHECK_STATUS(
        "allocate: reserved-page Size pointer gives ACCESS_VIOLATION",
        NtAllocateVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)&base, 0, (PSIZE_T)RESERVED_PAGE,
                                MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE),
        NTS_ACCESS_VIOLATION);

    arm_guard();
    base = ARENA;
    CHECK_STATUS("allocate: guard-page Size pointer gives ACCESS_VIOLATION",
                 NtAllocateVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)&base, 0, (PSIZE_T)GUARD_PAGE,
                                         MEM_RESERVE, PAGE_READWRITE),
                 NTS_ACCESS_VIOLATION);
    check_guard_cleared("allocate: the probe cleared the guard",
                        "allocate: the page then raises no exception");
    CHECK_EQ("allocate: nothing was reserved", vm_query_field(ARENA, Q_STATE), MEM_FREE);

    /* The Size pointer straddles the end of a committed page: half of it is not memory. */
    base = ARENA;
    CHECK_STATUS("allocate: Size pointer running into a reserved page gives ACCESS_VIOLATION",
                 NtAllocateVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)&base, 0,
                                         (PSIZE_T)(RESERVED_PAGE - 4), MEM_RESERVE, PAGE_READWRITE),
                 NTS_ACCESS_VIOLATION);
    CHECK_EQ("allocate: still nothing reserved", vm_query_field(ARENA, Q_STATE), MEM_FREE);

    /* A refused call leaves both in-out arguments as they were. */
    base = RW_PAGE + 0x10;
    size = 0x1000;
    CHECK_STATUS("allocate: reserving over an allocation conflicts",
                 nt_alloc(&base, &size, MEM_RESERVE, PAGE_READWRITE), NTS_CONFLICTING_ADDRESSES);
    CHECK_EQ("allocate: conflict leaves Base as passed", base, RW_PAGE + 0x10);
    CHECK_EQ("allocate: conflict leaves Size as passed", size, 0x1000);
    base = ARENA + 0x10;
    size = 0;
    CHECK_STATUS("allocate: size 0 gives INVALID_PARAMETER_4",
                 nt_alloc(&base, &size, MEM_RESERVE, PAGE_READWRITE), NTS_INVALID_PARAMETER_4);
    CHECK_EQ("allocate: INVALID_PARAMETER_4 leaves Base as passed", base, ARENA + 0x10);
}

static void test_free(void) {
    const ULONG_PTR victim = vm_allocate(ARENA, 0x2000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    SIZE_T size = 0;
    CHECK_STATUS(
        "free: system-space Base pointer gives ACCESS_VIOLATION",
        NtFreeVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)TEST_SYSTEM_ADDRESS, &size, MEM_RELEASE),
        NTS_ACCESS_VIOLATION);
    ULONG_PTR* read_only_base = (ULONG_PTR*)RO_PAGE;
    CHECK_STATUS(
        "free: read-only Base pointer gives ACCESS_VIOLATION",
        NtFreeVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)read_only_base, &size, MEM_RELEASE),
        NTS_ACCESS_VIOLATION);
    ULONG_PTR base = victim;
    CHECK_STATUS(
        "free: free-page Size pointer gives ACCESS_VIOLATION",
        NtFreeVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)&base, (PSIZE_T)free_address, MEM_RELEASE),
        NTS_ACCESS_VIOLATION);
    arm_guard();
    base = victim;
    CHECK_STATUS(
        "free: guard-page Size pointer gives ACCESS_VIOLATION",
        NtFreeVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)&base, (PSIZE_T)GUARD_PAGE, MEM_RELEASE),
        NTS_ACCESS_VIOLATION);
    check_guard_cleared("free: the probe cleared the guard",
                        "free: the page then raises no exception");
    CHECK_EQ("free: the allocation is still there", vm_query_field(victim, Q_STATE), MEM_COMMIT);
    CHECK_EQ("free: Base left as passed", base, victim);
    vm_release(victim);
}

static void test_protect(void) {
    SIZE_T size = TEST_PAGE;
    ULONG old = 0xDEADBEEF;
    CHECK_STATUS("protect: system-space Base pointer gives ACCESS_VIOLATION",
                 NtProtectVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)TEST_SYSTEM_ADDRESS, &size,
                                        PAGE_READONLY, &old),
                 NTS_ACCESS_VIOLATION);
    ULONG_PTR base = RW_PAGE;
    CHECK_STATUS("protect: free-page Size pointer gives ACCESS_VIOLATION",
                 NtProtectVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)&base, (PSIZE_T)free_address,
                                        PAGE_READONLY, &old),
                 NTS_ACCESS_VIOLATION);
    arm_guard();
    CHECK_STATUS("protect: guard-page OldProtect gives ACCESS_VIOLATION",
                 NtProtectVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)&base, &size, PAGE_READONLY,
                                        (PULONG)GUARD_PAGE),
                 NTS_ACCESS_VIOLATION);
    check_guard_cleared("protect: the probe cleared the guard",
                        "protect: the page then raises no exception");
    CHECK_STATUS("protect: system-space OldProtect gives ACCESS_VIOLATION",
                 NtProtectVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)&base, &size, PAGE_READONLY,
                                        (PULONG)TEST_SYSTEM_ADDRESS),
                 NTS_ACCESS_VIOLATION);
    CHECK_EQ("protect: the protection never changed", vm_query_field(RW_PAGE, Q_PROTECT),
             PAGE_READWRITE);
    CHECK_DEC("protect: OldProtect never written", old, 0xDEADBEEF);

    base = RW_PAGE + 0x10;
    size = 0x3000;
    CHECK_STATUS("protect: a range with a reserved page gives NOT_COMMITTED",
                 nt_protect(&base, &size, PAGE_READONLY, &old), NTS_NOT_COMMITTED);
    CHECK_EQ("protect: NOT_COMMITTED writes OldProtect NOACCESS, its one output", old,
             PAGE_NOACCESS);
    CHECK_EQ("protect: NOT_COMMITTED leaves Base as passed", base, RW_PAGE + 0x10);
    CHECK_EQ("protect: NOT_COMMITTED leaves Size as passed", size, 0x3000);
}

static void test_query(void) {
    MEMORY_BASIC_INFORMATION* buffer = (MEMORY_BASIC_INFORMATION*)RW_PAGE;
    const ULONG_PTR here = (ULONG_PTR)&test_query;
    SIZE_T returned;
    CHECK_STATUS("query: system-space Buffer gives ACCESS_VIOLATION",
                 NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)here, 0,
                                      (PVOID)TEST_SYSTEM_ADDRESS, sizeof(*buffer), NULL),
                 NTS_ACCESS_VIOLATION);
    CHECK_STATUS("query: free-page Buffer gives ACCESS_VIOLATION",
                 NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)here, 0, (PVOID)free_address,
                                      sizeof(*buffer), NULL),
                 NTS_ACCESS_VIOLATION);
    CHECK_STATUS("query: read-only Buffer gives ACCESS_VIOLATION",
                 NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)here, 0, (PVOID)RO_PAGE,
                                      sizeof(*buffer), NULL),
                 NTS_ACCESS_VIOLATION);
    arm_guard();
    CHECK_STATUS("query: guard-page Buffer gives ACCESS_VIOLATION",
                 NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)here, 0, (PVOID)GUARD_PAGE,
                                      sizeof(*buffer), NULL),
                 NTS_ACCESS_VIOLATION);
    check_guard_cleared("query: the probe cleared the guard",
                        "query: the page then raises no exception");
    CHECK_STATUS("query: the same call now succeeds",
                 NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)here, 0, (PVOID)GUARD_PAGE,
                                      sizeof(*buffer), NULL),
                 NTS_SUCCESS);

    /* Outputs are written only when everything succeeds: a pattern shows any write. */
    volatile unsigned char* straddle = (volatile unsigned char*)(RESERVED_PAGE - 24);
    for (int i = 0; i < 24; ++i) {
        straddle[i] = 0xA5;
    }
    CHECK_STATUS("query: Buffer running into a reserved page gives ACCESS_VIOLATION",
                 NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)here, 0, (PVOID)straddle,
                                      sizeof(*buffer), NULL),
                 NTS_ACCESS_VIOLATION);
    BOOL untouched = TRUE;
    for (int i = 0; i < 24; ++i) {
        untouched = untouched && straddle[i] == 0xA5;
    }
    CHECK_TRUE("query: the valid half of that Buffer is untouched", untouched);

    buffer->BaseAddress = (PVOID)0x1234;
    CHECK_STATUS("query: system-space ReturnLength gives ACCESS_VIOLATION",
                 NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)here, 0, buffer, sizeof(*buffer),
                                      (PSIZE_T)TEST_SYSTEM_ADDRESS),
                 NTS_ACCESS_VIOLATION);
    CHECK_EQ("query: bad ReturnLength leaves Buffer unwritten", (ULONG_PTR)buffer->BaseAddress,
             0x1234);
    CHECK_STATUS("query: read-only ReturnLength gives ACCESS_VIOLATION",
                 NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)here, 0, buffer, sizeof(*buffer),
                                      (PSIZE_T)RO_PAGE),
                 NTS_ACCESS_VIOLATION);
    returned = 0x5555;
    CHECK_STATUS("query: length 47 gives INFO_LENGTH_MISMATCH",
                 NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)here, 0, buffer, 47, &returned),
                 NTS_INFO_LENGTH_MISMATCH);
    CHECK_EQ("query: INFO_LENGTH_MISMATCH leaves Buffer unwritten", (ULONG_PTR)buffer->BaseAddress,
             0x1234);
    CHECK_EQ("query: INFO_LENGTH_MISMATCH leaves ReturnLength unwritten", returned, 0x5555);
    returned = 0x5555;
    CHECK_STATUS("query: system-space address gives INVALID_PARAMETER",
                 NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)TEST_SYSTEM_ADDRESS, 0, buffer,
                                      sizeof(*buffer), &returned),
                 NTS_INVALID_PARAMETER);
    CHECK_EQ("query: INVALID_PARAMETER leaves Buffer unwritten", (ULONG_PTR)buffer->BaseAddress,
             0x1234);
    CHECK_EQ("query: INVALID_PARAMETER leaves ReturnLength unwritten", returned, 0x5555);
}

int start(void) {
    if (!fault_install()) {
        test_note("AddVectoredExceptionHandler failed");
        return 1;
    }
    scratch = vm_allocate(0, 0x4000, MEM_RESERVE, PAGE_READWRITE);
    vm_commit(scratch, 0x3000, PAGE_READWRITE);
    vm_set_protection(RO_PAGE, TEST_PAGE, PAGE_READONLY);
    free_address = vm_allocate(0, TEST_PAGE, MEM_RESERVE, PAGE_READWRITE);
    vm_release(free_address);
    test_allocate();
    test_free();
    test_protect();
    test_query();
    return test_done();
}
