/* Exception dispatch to vectored handlers: EXCEPTION_POINTERS with the x64 CONTEXT and the
 * EXCEPTION_RECORD, CONTINUE_SEARCH passing an exception on, CONTINUE_EXECUTION resuming
 * with the edited CONTEXT, and the CPU exceptions' codes. The unhandled case ends the
 * process: vm_unhandled.c. See shared/spec/nt-virtual-memory.md. */
#include "framework/ntoy_faults.h"
#include "framework/ntoy_nt.h"
#include "framework/ntoy_test.h"

/* What the first handler in the list saw; it always passes the exception on. */
static volatile LONG seen_count;
static volatile ULONG_PTR seen_rcx;
static volatile ULONG_PTR seen_rdx;
static volatile ULONG_PTR seen_rip;
static volatile DWORD seen_code;

static LONG WINAPI watching_handler(EXCEPTION_POINTERS* pointers) {
    seen_count = seen_count + 1;
    seen_rcx = pointers->ContextRecord->Rcx;
    seen_rdx = pointers->ContextRecord->Rdx;
    seen_rip = pointers->ContextRecord->Rip;
    seen_code = pointers->ExceptionRecord->ExceptionCode;
    return EXCEPTION_CONTINUE_SEARCH;
}

static void test_pointers_and_search(void) {
    PVOID watching = AddVectoredExceptionHandler(1, watching_handler);
    seen_count = 0;
    fault_reset();
    /* probe_write8(address, value) faults with address in RCX and value in RDX. */
    CHECK_EQ("CONTINUE_SEARCH: the next handler resumes the thread",
             probe_write8(TEST_SYSTEM_ADDRESS, 0x5A), PROBE_FAULTED);
    CHECK_DEC("CONTINUE_SEARCH: the first handler saw it once", seen_count, 1);
    CHECK_DEC("CONTINUE_SEARCH: the next handler saw it once", fault_log.count, 1);
    CHECK_STATUS("EXCEPTION_RECORD: ExceptionCode", seen_code, NTS_ACCESS_VIOLATION);
    CHECK_EQ("CONTEXT: Rip is the faulting instruction", seen_rip, (ULONG_PTR)probe_write8);
    CHECK_EQ("CONTEXT: Rcx holds the first argument", seen_rcx, TEST_SYSTEM_ADDRESS);
    CHECK_EQ("CONTEXT: Rdx holds the second argument", seen_rdx, 0x5A);
    RemoveVectoredExceptionHandler(watching);

    /* The handler returned CONTINUE_EXECUTION with RIP, RSP and RAX edited: the probe
     * "returned" PROBE_FAULTED, so the thread resumed with exactly that CONTEXT. Again, to
     * see that resuming leaves the thread able to take more exceptions. */
    fault_reset();
    for (int i = 0; i < 100; ++i) {
        probe_read8(TEST_SYSTEM_ADDRESS + (ULONG_PTR)i);
    }
    CHECK_DEC("CONTINUE_EXECUTION: 100 exceptions in a row, each resumed", fault_log.count, 100);
}

static void test_codes(void) {
    fault_reset();
    CHECK_EQ("divide by zero: a handler resumes past it", probe_divide(0), PROBE_FAULTED);
    CHECK_STATUS("divide by zero: code INTEGER_DIVIDE_BY_ZERO", fault_log.code,
                 NTS_INTEGER_DIVIDE_BY_ZERO);
    CHECK_EQ("divide by one raises nothing", probe_divide(1), 1);
    fault_reset();
    CHECK_EQ("int3: a handler resumes past it", probe_int3(), PROBE_FAULTED);
    CHECK_STATUS("int3: code BREAKPOINT", fault_log.code, NTS_BREAKPOINT);
    /* Last: if the machine cannot raise it, the run ends here. */
    test_note("next: ud2, which must raise ILLEGAL_INSTRUCTION");
    fault_reset();
    CHECK_EQ("ud2: a handler resumes past it", probe_ud2(), PROBE_FAULTED);
    CHECK_STATUS("ud2: code ILLEGAL_INSTRUCTION", fault_log.code, NTS_ILLEGAL_INSTRUCTION);
}

int start(void) {
    if (!fault_install()) {
        test_note("AddVectoredExceptionHandler failed");
        return 1;
    }
    test_pointers_and_search();
    test_codes();
    return test_done();
}
