/* Running untrusted machine code in the guest, for the code fuzzers (random_code.c,
 * encoding_sweep.c): run_code() loads every general register from an array, sets the trap
 * flag and jumps to the code; the code comes back only through the vectored handler, which
 * calls code_harness_exception() and either single-steps on (re-arming TF) or ends the run
 * and returns to run_code()'s caller, in 64-bit mode, without TF, on the harness's stack.
 * Include it from one source file of a program.
 *
 * One kind of instruction is never run: a load of FS or GS (mov Sreg, pop fs/gs, lfs/lgs).
 * In 64-bit mode it replaces the segment's base with the descriptor's, zero, so that GS no
 * longer points at the TEB; from then on nothing in the process that reads its TEB can run,
 * on Windows as here, and the fuzzer would only spin in its own handler. The harness looks at
 * each instruction before it runs (it is single-stepping anyway) and ends the round instead,
 * as code_harness_exception() is told with the pseudo-code CODE_HARNESS_SEGMENT_LOAD. */
#pragma once

#include <windows.h>

/* The fuzzer's verdict on one exception: go on single-stepping, or end the run. */
enum code_harness_verdict { CODE_HARNESS_STEP, CODE_HARNESS_END };
#define CODE_HARNESS_SEGMENT_LOAD 0xE0000001u
static enum code_harness_verdict code_harness_exception(const EXCEPTION_RECORD* record);

/* run_code(registers, code): RAX..R15 from registers[0..15] (RSP from [4]). */
__asm__(
    "\t.text\n"
    "\t.p2align 4\n"
    "run_code_entry:\n"
    "\tpushq %rbx\n\tpushq %rbp\n\tpushq %rsi\n\tpushq %rdi\n"
    "\tpushq %r12\n\tpushq %r13\n\tpushq %r14\n\tpushq %r15\n"
    "\tsubq $40, %rsp\n"
    "\tmovq %rsp, harness_rsp(%rip)\n"
    "\tmovq %rdx, harness_entry(%rip)\n"
    "\tmovq %rcx, %rax\n"
    "\tmovq 8(%rax), %rcx\n\tmovq 16(%rax), %rdx\n\tmovq 24(%rax), %rbx\n"
    "\tmovq 40(%rax), %rbp\n\tmovq 48(%rax), %rsi\n\tmovq 56(%rax), %rdi\n"
    "\tmovq 64(%rax), %r8\n\tmovq 72(%rax), %r9\n\tmovq 80(%rax), %r10\n"
    "\tmovq 88(%rax), %r11\n\tmovq 96(%rax), %r12\n\tmovq 104(%rax), %r13\n"
    "\tmovq 112(%rax), %r14\n\tmovq 120(%rax), %r15\n"
    "\tmovq 32(%rax), %rsp\n"
    "\tmovq 0(%rax), %rax\n"
    "\tpushq harness_entry(%rip)\n"
    "\tpushfq\n"
    "\torq $0x100, (%rsp)\n"
    "\tpopfq\n"
    "\tret\n"
    "run_code_resume:\n"
    "\taddq $40, %rsp\n"
    "\tpopq %r15\n\tpopq %r14\n\tpopq %r13\n\tpopq %r12\n"
    "\tpopq %rdi\n\tpopq %rsi\n\tpopq %rbp\n\tpopq %rbx\n"
    "\tret\n");
void run_code_entry(const ULONG_PTR* registers, const BYTE* code);
extern char run_code_resume[];
ULONG_PTR harness_rsp, harness_entry;
/* POPFQ sets TF and the RET after it traps at the code's first byte, before it has run. */
static volatile int harness_at_entry;

/* The code page: only instructions inside it are looked at (code_harness_loads_fs_or_gs). */
static const BYTE* harness_page;

static void run_code(const ULONG_PTR* registers, const BYTE* code) {
    harness_at_entry = 1;
    harness_page = (const BYTE*)((ULONG_PTR)code & ~0xFFFull);
    run_code_entry(registers, code);
}

/* Whether the instruction at `p` loads FS or GS: 8E /4, /5 (mov fs/gs), 0F A1 and 0F A9 (pop
 * fs/gs), 0F B4 and 0F B5 (lfs, lgs), after any legacy prefixes and REX. Conservative: any
 * 8E (mov Sreg) counts, whatever its ModRM. */
static int code_harness_loads_fs_or_gs(const BYTE* p) {
    const BYTE* end = harness_page + 0x1000;
    if (p < harness_page || p >= end)
        return 0;
    for (int n = 0; p < end && n < 15; ++p, ++n) {
        const BYTE b = *p;
        if (b == 0x66 || b == 0x67 || b == 0xF0 || b == 0xF2 || b == 0xF3 || b == 0x2E ||
            b == 0x36 || b == 0x3E || b == 0x26 || b == 0x64 || b == 0x65 || (b & 0xF0) == 0x40)
            continue;
        if (b == 0x8E)
            return 1;
        if (b != 0x0F || p + 1 >= end)
            return 0;
        return p[1] == 0xA1 || p[1] == 0xA9 || p[1] == 0xB4 || p[1] == 0xB5;
    }
    return 0;
}

static LONG WINAPI code_harness_handler(EXCEPTION_POINTERS* pointers) {
    CONTEXT* context = pointers->ContextRecord;
    const EXCEPTION_RECORD* record = pointers->ExceptionRecord;
    const int at_entry = harness_at_entry;
    harness_at_entry = 0;
    enum code_harness_verdict verdict;
    if (record->ExceptionCode == STATUS_SINGLE_STEP &&
        code_harness_loads_fs_or_gs((const BYTE*)context->Rip)) {
        EXCEPTION_RECORD segment_load = *record;
        segment_load.ExceptionCode = CODE_HARNESS_SEGMENT_LOAD;
        code_harness_exception(&segment_load);
        verdict = CODE_HARNESS_END;
    } else if (at_entry && record->ExceptionCode == STATUS_SINGLE_STEP &&
               context->Rip == harness_entry) {
        verdict = CODE_HARNESS_STEP;
    } else {
        verdict = code_harness_exception(record);
    }
    if (verdict == CODE_HARNESS_STEP) {
        context->EFlags |= 0x100;
        return EXCEPTION_CONTINUE_EXECUTION;
    }
    context->SegCs = 0x33;
    context->SegSs = 0x2B;
    context->EFlags &= ~0x100u;
    context->Rsp = harness_rsp;
    context->Rip = (ULONG_PTR)run_code_resume;
    return EXCEPTION_CONTINUE_EXECUTION;
}

/* `bytes` of memory with `protect`, between two reserved, inaccessible 64 KB gaps, far from
 * everything else the process has: at 514 GB and up, where the low 32 bits of an address
 * (what a 32-bit register write leaves) are 0x70000000 and up, above anything in the low
 * 2 GB. Random code computes addresses from the registers it is given; the harness's stack
 * and data must be out of its reach, or it would spin on its own corrupted frames. */
static BYTE* code_harness_alloc(SIZE_T bytes, DWORD protect) {
    static ULONG_PTR next = 0x8070000000ull;
    BYTE* base = VirtualAlloc((void*)next, bytes + 0x20000, MEM_RESERVE, PAGE_NOACCESS);
    next += (bytes + 0x20000 + 0xFFFFF) & ~0xFFFFFull;
    if (base == NULL)
        return NULL;
    return VirtualAlloc(base + 0x10000, bytes, MEM_COMMIT, protect);
}

static void code_harness_install(void) {
    AddVectoredExceptionHandler(1, code_harness_handler);
}
