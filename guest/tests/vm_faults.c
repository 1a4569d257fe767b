/* Faults as the guest sees them: access violations (ExceptionInformation 0/1/8 and the
 * address), no-execute, guard pages, accesses after a protection change, decommit or
 * release. Exception dispatch itself is vm_dispatch.c. See shared/spec/nt-virtual-memory.md. */
#include "framework/ntoy_faults.h"
#include "framework/ntoy_nt.h"
#include "framework/ntoy_test.h"

/* mov eax, 0x12345678; ret */
static const unsigned char return_marker_code[] = {0xB8, 0x78, 0x56, 0x34, 0x12, 0xC3};
#define MARKER 0x12345678

static ULONG_PTR code_page(ULONG protect) {
    ULONG_PTR page = vm_allocate(0, TEST_PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    for (unsigned i = 0; i < sizeof(return_marker_code); ++i) {
        ((volatile unsigned char*)page)[i] = return_marker_code[i];
    }
    vm_set_protection(page, TEST_PAGE, protect);
    return page;
}

/* One access violation, checked in full. NAMES: the check names, in order: result, one
 * exception, code, NumberParameters, [0], [1]. */
static void check_violation(const char* const names[6], ULONG_PTR result, ULONG_PTR access,
                            ULONG_PTR address) {
    CHECK_EQ(names[0], result, PROBE_FAULTED);
    CHECK_DEC(names[1], fault_log.count, 1);
    CHECK_STATUS(names[2], fault_log.code, NTS_ACCESS_VIOLATION);
    CHECK_DEC(names[3], fault_log.number_parameters, 2);
    CHECK_DEC(names[4], fault_log.information0, access);
    CHECK_EQ(names[5], fault_log.information1, address);
}

#define VIOLATION_NAMES(what)                                                    \
    (const char* const[6]) {                                                     \
        what ": faults", what ": one exception", what ": code ACCESS_VIOLATION", \
            what ": NumberParameters 2", what ": ExceptionInformation[0]",       \
            what ": ExceptionInformation[1] is the address"                      \
    }

static void test_access_violations(void) {
    const ULONG_PTR reserved = vm_allocate(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    const ULONG_PTR freed = vm_allocate(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    vm_release(freed);

    fault_reset();
    check_violation(VIOLATION_NAMES("read reserved"), probe_read8(reserved + 0x123), 0,
                    reserved + 0x123);
    CHECK_EQ("read reserved: ExceptionAddress is the faulting instruction",
             fault_log.exception_address, (ULONG_PTR)probe_read8);
    CHECK_EQ("read reserved: CONTEXT Rip is the faulting instruction", fault_log.context_rip,
             (ULONG_PTR)probe_read8);
    fault_reset();
    check_violation(VIOLATION_NAMES("write reserved"), probe_write8(reserved + 0x2001, 1), 1,
                    reserved + 0x2001);
    fault_reset();
    check_violation(VIOLATION_NAMES("execute reserved"), probe_call(reserved + 0x3000), 8,
                    reserved + 0x3000);
    CHECK_EQ("execute reserved: ExceptionAddress is the target", fault_log.exception_address,
             reserved + 0x3000);
    fault_reset();
    check_violation(VIOLATION_NAMES("read free"), probe_read8(freed + 0x10), 0, freed + 0x10);
    fault_reset();
    check_violation(VIOLATION_NAMES("write free"), probe_write8(freed + 0x20, 1), 1, freed + 0x20);
    fault_reset();
    check_violation(VIOLATION_NAMES("execute free"), probe_call(freed), 8, freed);
    vm_release(reserved);

    /* NOACCESS: nothing gets through, and the data stays. */
    const ULONG_PTR page = vm_allocate(0, TEST_PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    probe_write8(page + 8, 0x66);
    vm_set_protection(page, TEST_PAGE, PAGE_NOACCESS);
    fault_reset();
    check_violation(VIOLATION_NAMES("read NOACCESS"), probe_read8(page + 8), 0, page + 8);
    fault_reset();
    check_violation(VIOLATION_NAMES("write NOACCESS"), probe_write8(page + 8, 0x77), 1, page + 8);
    fault_reset();
    check_violation(VIOLATION_NAMES("execute NOACCESS"), probe_call(page), 8, page);
    vm_set_protection(page, TEST_PAGE, PAGE_READONLY);
    CHECK_EQ("NOACCESS: the data never changed", probe_read8(page + 8), 0x66);

    /* READONLY: reads work, writes fault and change nothing. */
    fault_reset();
    CHECK_EQ("read READONLY works", probe_read8(page + 8), 0x66);
    check_violation(VIOLATION_NAMES("write READONLY"), probe_write8(page + 9, 0x77), 1, page + 9);
    CHECK_EQ("write READONLY: the data never changed", probe_read8(page + 9), 0);
    vm_release(page);

    /* The null region and the no-access guard at the top of user space. */
    fault_reset();
    check_violation(VIOLATION_NAMES("read the null region"), probe_read8(0x100), 0, 0x100);
    const ULONG_PTR top = vm_highest_user_address() + 1;
    fault_reset();
    check_violation(VIOLATION_NAMES("read the top 64 KB guard"), probe_read8(top + 0x10), 0,
                    top + 0x10);
    fault_reset();
    check_violation(VIOLATION_NAMES("write the top 64 KB guard"), probe_write8(top + 0xFFFF, 1), 1,
                    top + 0xFFFF);

    fault_reset();
    check_violation(VIOLATION_NAMES("read system space"), probe_read8(TEST_SYSTEM_ADDRESS), 0,
                    TEST_SYSTEM_ADDRESS);
    fault_reset();
    check_violation(VIOLATION_NAMES("write system space"),
                    probe_write8(TEST_SYSTEM_ADDRESS + 0x18, 1), 1, TEST_SYSTEM_ADDRESS + 0x18);
    fault_reset();
    check_violation(VIOLATION_NAMES("execute system space"), probe_call(TEST_SYSTEM_ADDRESS), 8,
                    TEST_SYSTEM_ADDRESS);
}

static void test_no_execute(void) {
    ULONG_PTR page = code_page(PAGE_READWRITE);
    fault_reset();
    check_violation(VIOLATION_NAMES("execute READWRITE"), probe_call(page), 8, page);
    vm_release(page);
    page = code_page(PAGE_READONLY);
    fault_reset();
    check_violation(VIOLATION_NAMES("execute READONLY"), probe_call(page), 8, page);
    vm_release(page);

    page = code_page(PAGE_EXECUTE_READ);
    fault_reset();
    CHECK_EQ("execute EXECUTE_READ runs", probe_call(page), MARKER);
    vm_release(page);
    page = code_page(PAGE_EXECUTE);
    CHECK_EQ("execute EXECUTE runs", probe_call(page), MARKER);
    vm_release(page);
    page = code_page(PAGE_EXECUTE_READWRITE);
    CHECK_EQ("execute EXECUTE_READWRITE runs", probe_call(page), MARKER);
    CHECK_DEC("executable pages raised nothing", fault_log.count, 0);

    /* Taking EXECUTE away takes effect at once, after the code has run. */
    vm_set_protection(page, TEST_PAGE, PAGE_READWRITE);
    fault_reset();
    check_violation(VIOLATION_NAMES("execute after EXECUTE_READWRITE -> READWRITE"),
                    probe_call(page), 8, page);
    vm_release(page);
}

/* Every change that takes access away applies to a page in use. */
static void test_no_stale_access(void) {
    const ULONG_PTR r = vm_allocate(0, 0x4000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    probe_write8(r, 0x11);
    probe_write8(r + 0x1000, 0x22);
    probe_write8(r + 0x2000, 0x33);
    probe_write8(r + 0x3000, 0x44);

    vm_set_protection(r, TEST_PAGE, PAGE_READONLY);
    fault_reset();
    check_violation(VIOLATION_NAMES("write after READWRITE -> READONLY"), probe_write8(r, 0x99), 1,
                    r);
    CHECK_EQ("READONLY after use: data unchanged", probe_read8(r), 0x11);

    vm_set_protection(r + 0x1000, TEST_PAGE, PAGE_NOACCESS);
    fault_reset();
    check_violation(VIOLATION_NAMES("read after READWRITE -> NOACCESS"), probe_read8(r + 0x1000), 0,
                    r + 0x1000);

    vm_decommit(r + 0x2000, TEST_PAGE);
    fault_reset();
    check_violation(VIOLATION_NAMES("read after DECOMMIT"), probe_read8(r + 0x2000), 0, r + 0x2000);
    fault_reset();
    check_violation(VIOLATION_NAMES("write after DECOMMIT"), probe_write8(r + 0x2000, 1), 1,
                    r + 0x2000);
    vm_commit(r + 0x2000, TEST_PAGE, PAGE_READWRITE);
    CHECK_EQ("recommitted after DECOMMIT: reads zero", probe_read8(r + 0x2000), 0);

    vm_release(r);
    fault_reset();
    check_violation(VIOLATION_NAMES("read after RELEASE"), probe_read8(r + 0x3000), 0, r + 0x3000);

    /* Code that ran is gone after DECOMMIT and RELEASE too: nothing executes from a cached
     * translation, and a new commit at the same address runs what is there now. */
    ULONG_PTR code = code_page(PAGE_EXECUTE_READWRITE);
    CHECK_EQ("code page runs before DECOMMIT", probe_call(code), MARKER);
    vm_decommit(code, TEST_PAGE);
    fault_reset();
    check_violation(VIOLATION_NAMES("execute after DECOMMIT"), probe_call(code), 8, code);
    vm_commit(code, TEST_PAGE, PAGE_EXECUTE_READWRITE);
    /* mov eax, 0x9ABC; ret */
    static const unsigned char other_code[] = {0xB8, 0xBC, 0x9A, 0x00, 0x00, 0xC3};
    for (unsigned i = 0; i < sizeof(other_code); ++i) {
        ((volatile unsigned char*)code)[i] = other_code[i];
    }
    CHECK_EQ("recommitted code page runs the new code", probe_call(code), 0x9ABC);
    vm_release(code);
    fault_reset();
    check_violation(VIOLATION_NAMES("execute after RELEASE"), probe_call(code), 8, code);
}

static void test_guard_pages(void) {
    /* Allocated as a guard page: one exception, then the access succeeds. */
    const ULONG_PTR g =
        vm_allocate(0, 0x2000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE | PAGE_GUARD);
    fault_reset();
    CHECK_EQ("guard read: the retried read succeeds", probe_read8(g + 0x10), 0);
    CHECK_DEC("guard read: one exception", fault_log.count, 1);
    CHECK_STATUS("guard read: code GUARD_PAGE_VIOLATION", fault_log.code, NTS_GUARD_PAGE_VIOLATION);
    CHECK_EQ("guard read: query Protect without GUARD", vm_query_field(g, Q_PROTECT),
             PAGE_READWRITE);
    CHECK_EQ("guard read: AllocationProtect unchanged", vm_query_field(g, Q_ALLOCATION_PROTECT),
             PAGE_READWRITE | PAGE_GUARD);
    CHECK_EQ("guard read: the other page keeps its guard", vm_query_field(g + 0x1000, Q_PROTECT),
             PAGE_READWRITE | PAGE_GUARD);
    CHECK_EQ("guard read: the next access succeeds", probe_write8(g + 0x10, 0x5A), 0);
    CHECK_DEC("guard read: the guard is one-shot", fault_log.count, 1);
    CHECK_EQ("guard read: the write landed", probe_read8(g + 0x10), 0x5A);

    fault_reset();
    CHECK_EQ("guard write: the retried write succeeds", probe_write8(g + 0x1020, 0x6B), 0);
    CHECK_DEC("guard write: one exception", fault_log.count, 1);
    CHECK_STATUS("guard write: code GUARD_PAGE_VIOLATION", fault_log.code,
                 NTS_GUARD_PAGE_VIOLATION);
    CHECK_EQ("guard write: the write landed", probe_read8(g + 0x1020), 0x6B);
    vm_release(g);

    /* Made a guard page later, with contents: the contents are still there afterwards. */
    const ULONG_PTR p = vm_allocate(0, TEST_PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    probe_write8(p + 0x30, 0x7C);
    vm_set_protection(p, TEST_PAGE, PAGE_READWRITE | PAGE_GUARD);
    CHECK_EQ("guard by protect: query shows GUARD while armed", vm_query_field(p, Q_PROTECT),
             PAGE_READWRITE | PAGE_GUARD);
    fault_reset();
    CHECK_EQ("guard by protect: the retried read returns the contents", probe_read8(p + 0x30),
             0x7C);
    CHECK_DEC("guard by protect: one exception", fault_log.count, 1);
    CHECK_STATUS("guard by protect: code GUARD_PAGE_VIOLATION", fault_log.code,
                 NTS_GUARD_PAGE_VIOLATION);
    CHECK_EQ("guard by protect: query Protect without GUARD", vm_query_field(p, Q_PROTECT),
             PAGE_READWRITE);
    CHECK_EQ("guard by protect: AllocationProtect unchanged",
             vm_query_field(p, Q_ALLOCATION_PROTECT), PAGE_READWRITE);
    vm_release(p);

    /* READONLY|GUARD written: the guard goes first, then the retried write is refused. */
    const ULONG_PTR ro =
        vm_allocate(0, TEST_PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READONLY | PAGE_GUARD);
    fault_reset();
    CHECK_EQ("READONLY|GUARD write: faults in the end", probe_write8(ro, 1), PROBE_FAULTED);
    CHECK_DEC("READONLY|GUARD write: two exceptions", fault_log.count, 2);
    CHECK_STATUS("READONLY|GUARD write: the second is ACCESS_VIOLATION", fault_log.code,
                 NTS_ACCESS_VIOLATION);
    CHECK_DEC("READONLY|GUARD write: ExceptionInformation[0] 1", fault_log.information0, 1);
    CHECK_EQ("READONLY|GUARD write: query Protect READONLY", vm_query_field(ro, Q_PROTECT),
             PAGE_READONLY);
    vm_release(ro);

    /* An execute access fires the guard too; the retried call then runs, or is refused
     * where the page has no EXECUTE. */
    ULONG_PTR code = code_page(PAGE_EXECUTE_READWRITE | PAGE_GUARD);
    fault_reset();
    CHECK_EQ("EXECUTE_READWRITE|GUARD call: the retried call runs", probe_call(code), MARKER);
    CHECK_DEC("EXECUTE_READWRITE|GUARD call: one exception", fault_log.count, 1);
    CHECK_STATUS("EXECUTE_READWRITE|GUARD call: code GUARD_PAGE_VIOLATION", fault_log.code,
                 NTS_GUARD_PAGE_VIOLATION);
    vm_release(code);
    code = code_page(PAGE_READWRITE | PAGE_GUARD);
    fault_reset();
    CHECK_EQ("READWRITE|GUARD call: faults in the end", probe_call(code), PROBE_FAULTED);
    CHECK_DEC("READWRITE|GUARD call: two exceptions", fault_log.count, 2);
    CHECK_STATUS("READWRITE|GUARD call: the second is ACCESS_VIOLATION", fault_log.code,
                 NTS_ACCESS_VIOLATION);
    CHECK_DEC("READWRITE|GUARD call: ExceptionInformation[0] 8", fault_log.information0, 8);
    vm_release(code);

    /* WRITECOMBINE and NOCACHE are caching attributes, not guards. */
    const ULONG_PTR wc =
        vm_allocate(0, 0x2000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE | PAGE_WRITECOMBINE);
    vm_set_protection(wc + 0x1000, TEST_PAGE, PAGE_READWRITE | PAGE_NOCACHE);
    fault_reset();
    CHECK_EQ("READWRITE|WRITECOMBINE: write works", probe_write8(wc, 3), 0);
    CHECK_EQ("READWRITE|WRITECOMBINE: read works", probe_read8(wc), 3);
    CHECK_EQ("READWRITE|NOCACHE: write works", probe_write8(wc + 0x1000, 4), 0);
    CHECK_EQ("READWRITE|NOCACHE: read works", probe_read8(wc + 0x1000), 4);
    CHECK_DEC("WRITECOMBINE and NOCACHE pages raise no exception", fault_log.count, 0);
    vm_release(wc);
}

int start(void) {
    if (!fault_install()) {
        test_note("AddVectoredExceptionHandler failed");
        return 1;
    }
    test_access_violations();
    test_no_execute();
    test_no_stale_access();
    test_guard_pages();
    return test_done();
}
