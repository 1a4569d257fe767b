/* The x64 unwinder as programs use it: RtlCaptureContext, RtlLookupFunctionEntry (images and
 * RtlAddFunctionTable's tables), RtlVirtualUnwind (body, prolog and epilog of a function with
 * known unwind codes; a real call chain), and structured exception handling through
 * __C_specific_handler: mingw's __try1/__except1 (a filter that executes its handler, one that
 * continues execution) and a __finally scope run by RtlUnwindEx on the way to the handler. */
#include <excpt.h>
#include <windows.h>

#include "../framework/ntoy_test.h"

/* Pushes RBP and RBX, allocates 0x20: known unwind codes, and labels inside each part. */
void frame_function(void);
extern const BYTE frame_after_push_rbp[], frame_body[], frame_epilog[];
__asm__(
    "\t.text\n"
    "\t.globl frame_function\n"
    "\t.def frame_function; .scl 2; .type 32; .endef\n"
    "\t.seh_proc frame_function\n"
    "frame_function:\n"
    "\tpushq %rbp\n"
    "\t.seh_pushreg %rbp\n"
    "\t.globl frame_after_push_rbp\n"
    "frame_after_push_rbp:\n"
    "\tpushq %rbx\n"
    "\t.seh_pushreg %rbx\n"
    "\tsubq $0x20, %rsp\n"
    "\t.seh_stackalloc 0x20\n"
    "\t.seh_endprologue\n"
    "\t.globl frame_body\n"
    "frame_body:\n"
    "\tnop\n"
    "\taddq $0x20, %rsp\n"
    "\t.globl frame_epilog\n"
    "frame_epilog:\n"
    "\tpopq %rbx\n"
    "\tpopq %rbp\n"
    "\tret\n"
    "\t.seh_endproc\n");

static PRUNTIME_FUNCTION lookup(const void* pc, DWORD64* base) {
    return RtlLookupFunctionEntry((DWORD64)pc, base, NULL);
}

static void fill_stack(DWORD64* stack) {
    for (int i = 0; i < 16; ++i) {
        stack[i] = 0x1000 + i;
    }
}

static void test_virtual_unwind(void) {
    DWORD64 base = 0;
    PRUNTIME_FUNCTION entry = lookup(frame_body, &base);
    if (!CHECK_NE("RtlLookupFunctionEntry finds frame_function", (ULONG_PTR)entry, 0)) {
        return;
    }
    CHECK_EQ("RtlLookupFunctionEntry: ImageBase is the executable's", base,
             (ULONG_PTR)GetModuleHandleW(NULL));
    CHECK_EQ("RtlLookupFunctionEntry: BeginAddress", base + entry->BeginAddress,
             (ULONG_PTR)frame_function);

    DWORD64 stack[16];
    CONTEXT context;
    PVOID data;
    DWORD64 frame;
    fill_stack(stack);
    context.Rsp = (DWORD64)&stack[0];
    context.Rip = (DWORD64)frame_body;
    PEXCEPTION_ROUTINE handler = RtlVirtualUnwind(UNW_FLAG_NHANDLER, base, context.Rip, entry,
                                                  &context, &data, &frame, NULL);
    CHECK_EQ("body: no handler", (ULONG_PTR)handler, 0);
    CHECK_EQ("body: establisher frame is RSP", frame, (DWORD64)&stack[0]);
    CHECK_EQ("body: RBX restored", context.Rbx, 0x1004);
    CHECK_EQ("body: RBP restored", context.Rbp, 0x1005);
    CHECK_EQ("body: RIP is the return address", context.Rip, 0x1006);
    CHECK_EQ("body: RSP past it", context.Rsp, (DWORD64)&stack[7]);

    fill_stack(stack);
    context.Rsp = (DWORD64)&stack[0];
    context.Rip = (DWORD64)frame_after_push_rbp;
    RtlVirtualUnwind(UNW_FLAG_NHANDLER, base, context.Rip, entry, &context, &data, &frame, NULL);
    CHECK_EQ("prolog: only the push done is undone (RBP)", context.Rbp, 0x1000);
    CHECK_EQ("prolog: RIP", context.Rip, 0x1001);
    CHECK_EQ("prolog: RSP", context.Rsp, (DWORD64)&stack[2]);

    fill_stack(stack);
    context.Rsp = (DWORD64)&stack[0];
    context.Rip = (DWORD64)frame_epilog;
    context.Rbx = 0;
    RtlVirtualUnwind(UNW_FLAG_NHANDLER, base, context.Rip, entry, &context, &data, &frame, NULL);
    CHECK_EQ("epilog: the pops run (RBX)", context.Rbx, 0x1000);
    CHECK_EQ("epilog: the pops run (RBP)", context.Rbp, 0x1001);
    CHECK_EQ("epilog: RIP", context.Rip, 0x1002);
    CHECK_EQ("epilog: RSP", context.Rsp, (DWORD64)&stack[3]);
}

static DWORD64 chain_returns[3];

__attribute__((noinline)) static void walk_from_here(void) {
    CONTEXT context;
    RtlCaptureContext(&context);
    for (int i = 0; i < 3; ++i) {
        DWORD64 base, frame;
        PVOID data;
        PRUNTIME_FUNCTION entry = RtlLookupFunctionEntry(context.Rip, &base, NULL);
        if (entry == NULL) {
            return;
        }
        RtlVirtualUnwind(UNW_FLAG_NHANDLER, base, context.Rip, entry, &context, &data, &frame,
                         NULL);
        chain_returns[i] = context.Rip;
    }
}

__attribute__((noinline)) static void chain_inner(void) {
    walk_from_here();
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void chain_outer(void) {
    chain_inner();
    __asm__ volatile("" ::: "memory");
}

static BOOL returns_into(DWORD64 address, void (*function)(void)) {
    DWORD64 base;
    PRUNTIME_FUNCTION entry = RtlLookupFunctionEntry(address, &base, NULL);
    return entry != NULL && base + entry->BeginAddress == (DWORD64)function;
}

static void test_capture_and_walk(void) {
    chain_outer();
    CHECK_TRUE("walk: first into chain_inner", returns_into(chain_returns[0], chain_inner));
    CHECK_TRUE("walk: then into chain_outer", returns_into(chain_returns[1], chain_outer));
    CHECK_TRUE("walk: then into test_capture_and_walk",
               returns_into(chain_returns[2], test_capture_and_walk));
}

static void test_function_tables(void) {
    BYTE* code = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    if (!CHECK_NE("VirtualAlloc for generated code", (ULONG_PTR)code, 0)) {
        return;
    }
    /* UNWIND_INFO version 1: a 0x28-byte allocation (UWOP_ALLOC_SMALL, OpInfo 4). */
    code[0x800] = 1;
    code[0x801] = 4;
    code[0x802] = 1;
    code[0x803] = 0;
    code[0x804] = 4;
    code[0x805] = (4 << 4) | 2;
    static RUNTIME_FUNCTION table[1];
    table[0].BeginAddress = 0x100;
    table[0].EndAddress = 0x200;
    table[0].UnwindData = 0x800;
    DWORD64 base = 0;
    CHECK_EQ("no entry before RtlAddFunctionTable", (ULONG_PTR)lookup(code + 0x150, &base), 0);
    CHECK_TRUE("RtlAddFunctionTable", RtlAddFunctionTable(table, 1, (DWORD64)code));
    CHECK_EQ("RtlLookupFunctionEntry finds the added entry", (ULONG_PTR)lookup(code + 0x150, &base),
             (ULONG_PTR)&table[0]);
    CHECK_EQ("the added entry's ImageBase", base, (ULONG_PTR)code);
    CHECK_EQ("outside the entries: none", (ULONG_PTR)lookup(code + 0x250, &base), 0);
    DWORD64 stack[8];
    fill_stack(stack);
    CONTEXT context;
    context.Rsp = (DWORD64)&stack[0];
    context.Rip = (DWORD64)(code + 0x150);
    PVOID data;
    DWORD64 frame;
    RtlVirtualUnwind(UNW_FLAG_NHANDLER, (DWORD64)code, context.Rip, &table[0], &context, &data,
                     &frame, NULL);
    CHECK_EQ("generated code unwinds: RIP", context.Rip, 0x1005);
    CHECK_TRUE("RtlDeleteFunctionTable", RtlDeleteFunctionTable(table));
    CHECK_EQ("no entry after RtlDeleteFunctionTable", (ULONG_PTR)lookup(code + 0x150, &base), 0);
    CHECK_TRUE("RtlDeleteFunctionTable of an unknown table fails", !RtlDeleteFunctionTable(table));
    VirtualFree(code, 0, MEM_RELEASE);
}

/* ---- __C_specific_handler --------------------------------------------------------------- */

static volatile DWORD filter_code;
static volatile LONG finally_runs;
static volatile LONG finally_abnormal;

static void illegal_instruction(void) {
    __asm__ volatile("ud2");
}

/* A __finally scope around a call of FUNCTION, as MSVC would emit it: the scope table's
 * JumpTarget is 0 and its HandlerAddress the termination handler. */
void call_in_finally_scope(void (*function)(void));
void finally_block(BOOLEAN abnormal, PVOID frame);
__asm__(
    "\t.text\n"
    "\t.globl call_in_finally_scope\n"
    "\t.def call_in_finally_scope; .scl 2; .type 32; .endef\n"
    "\t.seh_proc call_in_finally_scope\n"
    "call_in_finally_scope:\n"
    "\tpushq %rbx\n"
    "\t.seh_pushreg %rbx\n"
    "\tsubq $0x20, %rsp\n"
    "\t.seh_stackalloc 0x20\n"
    "\t.seh_endprologue\n"
    "\t.seh_handler __C_specific_handler, @unwind\n"
    "\t.seh_handlerdata\n"
    "\t.long 1\n"
    "\t.rva .Lfinally_start, .Lfinally_end, finally_block\n"
    "\t.long 0\n"
    "\t.text\n"
    ".Lfinally_start:\n"
    "\tcall *%rcx\n"
    "\tnop\n"
    ".Lfinally_end:\n"
    "\taddq $0x20, %rsp\n"
    "\tpopq %rbx\n"
    "\tret\n"
    "\t.seh_endproc\n");

void finally_block(BOOLEAN abnormal, PVOID frame) {
    (void)frame;
    ++finally_runs;
    finally_abnormal = abnormal;
}

static void raise_inside_finally_scope(void) {
    call_in_finally_scope(illegal_instruction);
}

LONG execute_filter(EXCEPTION_POINTERS* pointers, PVOID frame) {
    (void)frame;
    filter_code = pointers->ExceptionRecord->ExceptionCode;
    /* The __finally below has not run yet: filters run before the unwind. */
    return finally_runs == 0 ? EXCEPTION_EXECUTE_HANDLER : EXCEPTION_CONTINUE_SEARCH;
}

__attribute__((noinline)) static int try_except_execute(void) {
    volatile int after_raise = 0;
    __try1(execute_filter) raise_inside_finally_scope();
    after_raise = 1;
    __except1 return after_raise;
}

static void test_c_specific_handler(void) {
    finally_runs = 0;
    CHECK_DEC("__except1: the code after the raise is skipped", try_except_execute(), 0);
    CHECK_EQ("__except1: the filter saw the exception", filter_code, EXCEPTION_ILLEGAL_INSTRUCTION);
    CHECK_DEC("__finally ran once, during the unwind", finally_runs, 1);
    CHECK_TRUE("__finally: abnormal termination", finally_abnormal);
}

int start(void) {
    test_virtual_unwind();
    test_capture_and_walk();
    test_function_tables();
    test_c_specific_handler();
    return test_done();
}
