/* Thread stacks: a reservation with a committed part and a guard page below it; touching the
 * guard grows the stack one page and moves the guard (and the TEB's StackLimit) down; running
 * out of the reservation raises STATUS_STACK_OVERFLOW. The stack that grows is the one the TEB
 * describes, the initial thread's or one the program made itself. See
 * shared/spec/nt-virtual-memory.md. */
#include "framework/ntoy_faults.h"
#include "framework/ntoy_nt.h"
#include "framework/ntoy_test.h"

/* NT_TIB and TEB fields, read through GS as any x64 Windows program may. */
#define TEB_STACK_BASE 0x08
#define TEB_STACK_LIMIT 0x10
#define TEB_DEALLOCATION_STACK 0x1478

static ULONG_PTR teb_read(ULONG_PTR offset) {
    ULONG_PTR value;
    __asm__ volatile("movq %%gs:(%1), %0" : "=r"(value) : "r"(offset));
    return value;
}

static void teb_write(ULONG_PTR offset, ULONG_PTR value) {
    __asm__ volatile("movq %0, %%gs:(%1)" : : "r"(value), "r"(offset) : "memory");
}

/* call_on_stack(top, fn, arg): fn(arg) run with RSP at top (16-byte aligned; the home space is
 * below it), as a fiber or coroutine library switches stacks. */
__asm__(
    "\t.text\n"
    "\t.p2align 4\n"
    "call_on_stack:\n"
    "\tpushq %rbp\n"
    "\tmovq %rsp, %rbp\n"
    "\tmovq %rcx, %rsp\n"
    "\tmovq %r8, %rcx\n"
    "\tsubq $32, %rsp\n"
    "\tcallq *%rdx\n"
    "\tmovq %rbp, %rsp\n"
    "\tpopq %rbp\n"
    "\tret\n");
ULONG_PTR call_on_stack(ULONG_PTR top, ULONG_PTR (*fn)(ULONG_PTR), ULONG_PTR arg);

static void test_layout(void) {
    const ULONG_PTR base = teb_read(TEB_STACK_BASE);
    const ULONG_PTR limit = teb_read(TEB_STACK_LIMIT);
    const ULONG_PTR bottom = teb_read(TEB_DEALLOCATION_STACK);
    CHECK_TRUE("TEB: DeallocationStack < StackLimit < StackBase", bottom < limit && limit < base);

    MEMORY_BASIC_INFORMATION info;
    nt_query(limit, &info);
    CHECK_EQ("layout: StackLimit is committed", info.State, MEM_COMMIT);
    CHECK_EQ("layout: committed part is READWRITE", info.Protect, PAGE_READWRITE);
    CHECK_EQ("layout: committed part runs up to StackBase",
             (ULONG_PTR)info.BaseAddress + info.RegionSize, base);
    CHECK_EQ("layout: one reservation from DeallocationStack", (ULONG_PTR)info.AllocationBase,
             bottom);
    nt_query(limit - TEST_PAGE, &info);
    CHECK_EQ("layout: the page below StackLimit is committed", info.State, MEM_COMMIT);
    CHECK_EQ("layout: the page below StackLimit is the guard", info.Protect,
             PAGE_READWRITE | PAGE_GUARD);
    CHECK_EQ("layout: one guard page", info.RegionSize, TEST_PAGE);
    nt_query(bottom, &info);
    CHECK_EQ("layout: DeallocationStack is reserved", info.State, MEM_RESERVE);
    CHECK_EQ("layout: reserved from DeallocationStack up to the guard",
             (ULONG_PTR)info.BaseAddress + info.RegionSize, limit - TEST_PAGE);
}

static void test_one_page_growth(void) {
    const ULONG_PTR limit = teb_read(TEB_STACK_LIMIT);
    fault_reset();
    CHECK_EQ("growth: reading the guard page works (demand-zero)", probe_read8(limit - 8), 0);
    CHECK_DEC("growth: no exception reaches the program", fault_log.count, 0);
    CHECK_EQ("growth: StackLimit moved down one page", teb_read(TEB_STACK_LIMIT),
             limit - TEST_PAGE);
    CHECK_EQ("growth: the old guard page is plain READWRITE",
             vm_query_field(limit - TEST_PAGE, Q_PROTECT), PAGE_READWRITE);
    CHECK_EQ("growth: the committed part runs from the new limit",
             vm_query_field(limit - TEST_PAGE, Q_BASE), limit - TEST_PAGE);
    CHECK_EQ("growth: the guard moved down one page",
             vm_query_field(limit - 2 * TEST_PAGE, Q_PROTECT), PAGE_READWRITE | PAGE_GUARD);
    CHECK_EQ("growth: one guard page", vm_query_field(limit - 2 * TEST_PAGE, Q_SIZE), TEST_PAGE);
    CHECK_EQ("growth: reserved below the new guard", vm_query_field(limit - 3 * TEST_PAGE, Q_STATE),
             MEM_RESERVE);
}

/* Recursion deep enough to grow the stack by a quarter megabyte, page by page. */
static volatile ULONG_PTR deepest_limit;
static volatile ULONG_PTR deepest_frame;

static __attribute__((noinline)) ULONG_PTR recurse(ULONG_PTR depth) {
    volatile unsigned char frame[1000];
    frame[sizeof(frame) - 1] = (unsigned char)depth;
    frame[0] = (unsigned char)depth;
    if (depth == 0) {
        deepest_limit = teb_read(TEB_STACK_LIMIT);
        deepest_frame = (ULONG_PTR)&frame[0];
        return 0;
    }
    return recurse(depth - 1) + frame[0] + frame[sizeof(frame) - 1];
}

/* What recurse(depth) returns when every frame kept its bytes. */
static ULONG_PTR recursion_sum(ULONG_PTR depth) {
    ULONG_PTR sum = 0;
    for (ULONG_PTR d = 1; d <= depth; ++d) {
        sum += 2 * (d & 0xFF);
    }
    return sum;
}

static void test_deep_recursion(void) {
    const ULONG_PTR limit = teb_read(TEB_STACK_LIMIT);
    const ULONG_PTR depth = 256;
    fault_reset();
    CHECK_EQ("recursion: 256 frames of 1000 bytes compute the right sum", recurse(depth),
             recursion_sum(depth));
    CHECK_DEC("recursion: no exception reaches the program", fault_log.count, 0);
    CHECK_TRUE("recursion: StackLimit moved down", deepest_limit < limit);
    CHECK_TRUE("recursion: the deepest frame is above StackLimit", deepest_frame >= deepest_limit);
    CHECK_EQ("recursion: the guard is below the new StackLimit",
             vm_query_field(teb_read(TEB_STACK_LIMIT) - TEST_PAGE, Q_PROTECT),
             PAGE_READWRITE | PAGE_GUARD);
}

/* A stack the program allocates itself and points the TEB at (a fiber's, a coroutine's) grows
 * page by page like the initial thread's: which guard pages grow a stack is decided by the
 * current TEB's DeallocationStack .. StackBase, whoever allocated it. Once the TEB points
 * elsewhere, its guard page is an ordinary one. */
static void test_hand_made_stack(void) {
    const SIZE_T reserve = 0x40000;
    const ULONG_PTR bottom = vm_allocate(0, reserve, MEM_RESERVE, PAGE_READWRITE);
    const ULONG_PTR top = bottom + reserve;
    CHECK_STATUS("hand-made: commit the top page",
                 vm_commit(top - TEST_PAGE, TEST_PAGE, PAGE_READWRITE), NTS_SUCCESS);
    CHECK_STATUS("hand-made: commit a guard page below it",
                 vm_commit(top - 2 * TEST_PAGE, TEST_PAGE, PAGE_READWRITE | PAGE_GUARD),
                 NTS_SUCCESS);

    const ULONG_PTR saved_base = teb_read(TEB_STACK_BASE);
    const ULONG_PTR saved_limit = teb_read(TEB_STACK_LIMIT);
    const ULONG_PTR saved_bottom = teb_read(TEB_DEALLOCATION_STACK);
    const ULONG_PTR depth = 64;
    fault_reset();
    teb_write(TEB_STACK_BASE, top);
    teb_write(TEB_STACK_LIMIT, top - TEST_PAGE);
    teb_write(TEB_DEALLOCATION_STACK, bottom);
    const ULONG_PTR got = call_on_stack(top, recurse, depth);
    const ULONG_PTR limit = teb_read(TEB_STACK_LIMIT);
    teb_write(TEB_STACK_BASE, saved_base);
    teb_write(TEB_STACK_LIMIT, saved_limit);
    teb_write(TEB_DEALLOCATION_STACK, saved_bottom);

    CHECK_EQ("hand-made: 64 frames of 1000 bytes compute the right sum", got, recursion_sum(depth));
    CHECK_DEC("hand-made: no exception reaches the program", fault_log.count, 0);
    CHECK_TRUE("hand-made: StackLimit moved down page by page",
               limit < top - 16 * TEST_PAGE && limit > bottom);
    CHECK_TRUE("hand-made: the deepest frame is on the hand-made stack",
               deepest_frame >= limit && deepest_frame < top);
    CHECK_EQ("hand-made: committed READWRITE from StackLimit to the top",
             vm_query_field(limit, Q_BASE) + vm_query_field(limit, Q_SIZE), top);
    CHECK_EQ("hand-made: the committed part is READWRITE", vm_query_field(limit, Q_PROTECT),
             PAGE_READWRITE);
    CHECK_EQ("hand-made: the guard moved below StackLimit",
             vm_query_field(limit - TEST_PAGE, Q_PROTECT), PAGE_READWRITE | PAGE_GUARD);

    /* The TEB describes the thread's own stack again: this guard page is an ordinary one. */
    fault_reset();
    CHECK_EQ("hand-made, TEB restored: its guard page reads as usual",
             probe_read8(limit - TEST_PAGE), 0);
    CHECK_DEC("hand-made, TEB restored: one exception", fault_log.count, 1);
    CHECK_STATUS("hand-made, TEB restored: GUARD_PAGE_VIOLATION", fault_log.code,
                 NTS_GUARD_PAGE_VIOLATION);
    CHECK_EQ("hand-made, TEB restored: the stack did not grow",
             vm_query_field(limit - 2 * TEST_PAGE, Q_STATE), MEM_RESERVE);
    vm_release(bottom);
}

/* Last: afterwards the stack has no guard page left. The touches run from this frame, far
 * above, so the exception frame has room. */
static void test_overflow(void) {
    const ULONG_PTR bottom = teb_read(TEB_DEALLOCATION_STACK);
    ULONG_PTR result = 0;
    ULONG_PTR touches = 0;
    ULONG_PTR last = 0;
    fault_reset();
    while (fault_log.count == 0 && touches < 0x100000) {
        last = teb_read(TEB_STACK_LIMIT) - 1;
        result = probe_read8(last);
        ++touches;
    }
    CHECK_EQ("overflow: running out of the reservation faults", result, PROBE_FAULTED);
    CHECK_DEC("overflow: one exception", fault_log.count, 1);
    CHECK_STATUS("overflow: code STACK_OVERFLOW", fault_log.code, NTS_STACK_OVERFLOW);
    CHECK_TRUE("overflow: only at the bottom of the reservation",
               last >= bottom && last < bottom + 4 * TEST_PAGE);
}

int start(void) {
    if (!fault_install()) {
        test_note("AddVectoredExceptionHandler failed");
        return 1;
    }
    test_layout();
    test_one_page_growth();
    test_deep_recursion();
    test_hand_made_stack();
    test_overflow();
    return test_done();
}
