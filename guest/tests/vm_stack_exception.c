/* An exception raised when RSP is just above the stack's guard page: the exception frame
 * the kernel pushes below RSP lands in the guard page, which must grow the stack as any
 * other touch does, and the exception must reach the handler. If the kernel refuses to
 * write the frame instead, the process ends there (unhandled), so this is a program of its
 * own. See shared/spec/nt-virtual-memory.md, "Thread stacks" and "Exception dispatch". */
#include "framework/ntoy_faults.h"
#include "framework/ntoy_nt.h"
#include "framework/ntoy_test.h"

#define TEB_STACK_LIMIT 0x10

static ULONG_PTR teb_read(ULONG_PTR offset) {
    ULONG_PTR value;
    __asm__ volatile("movq %%gs:(%1), %0" : "=r"(value) : "r"(offset));
    return value;
}

int start(void) {
    /* Not fault_install(): that grows the stack, and this test wants RSP near the guard. */
    fault_reset();
    if (AddVectoredExceptionHandler(1, fault_handler) == NULL) {
        test_note("AddVectoredExceptionHandler failed");
        return 1;
    }
    const ULONG_PTR limit = teb_read(TEB_STACK_LIMIT);
    const ULONG_PTR rsp = (limit + 0x100) & ~(ULONG_PTR)0xF;
    test_note("next: an access violation raised with RSP 0x100 bytes above the guard page");
    ULONG_PTR result = probe_read8_with_stack(rsp, TEST_SYSTEM_ADDRESS);
    CHECK_EQ("the handler ran and resumed the thread", result, PROBE_FAULTED);
    CHECK_DEC("one exception", fault_log.count, 1);
    CHECK_STATUS("code ACCESS_VIOLATION", fault_log.code, NTS_ACCESS_VIOLATION);
    CHECK_EQ("ExceptionInformation[1] is the address", fault_log.information1, TEST_SYSTEM_ADDRESS);
    const ULONG_PTR new_limit = teb_read(TEB_STACK_LIMIT);
    CHECK_TRUE("the stack grew to hold the exception frame", new_limit < limit);
    CHECK_EQ("a guard page is below the new StackLimit",
             vm_query_field(new_limit - TEST_PAGE, Q_PROTECT), PAGE_READWRITE | PAGE_GUARD);
    return test_done();
}
