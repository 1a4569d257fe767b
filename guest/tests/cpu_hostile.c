/* Hostile machine code must reach the guest's own handlers as the CPU and Windows would report
 * it, never stop or crash the machine: accesses anywhere in the 64-bit address space, and the
 * encodings that once aborted the emulator's translator (issue 8, defects 1 and 2).
 *
 * Each case runs a few bytes in an executable page through run_code(), which returns normally,
 * or, when the bytes raise an exception, through the vectored handler that records it and
 * resumes run_code() as if the bytes had returned. */
#include <windows.h>

#include "framework/ntoy_test.h"

/* run_code(address): calls the bytes at address with every callee-saved register preserved;
 * returns their RAX, or CODE_FAULTED if they raised an exception. */
#define CODE_FAULTED 0xFA17FA17FA17FA17ull
__asm__(
    "\t.text\n"
    "\t.p2align 4\n"
    "run_code:\n"
    "\tpushq %rbx\n\tpushq %rbp\n\tpushq %rsi\n\tpushq %rdi\n"
    "\tpushq %r12\n\tpushq %r13\n\tpushq %r14\n\tpushq %r15\n"
    "\tsubq $40, %rsp\n"
    "\tmovq %rsp, saved_rsp(%rip)\n"
    "\tcallq *%rcx\n"
    "run_code_resume:\n"
    "\taddq $40, %rsp\n"
    "\tpopq %r15\n\tpopq %r14\n\tpopq %r13\n\tpopq %r12\n"
    "\tpopq %rdi\n\tpopq %rsi\n\tpopq %rbp\n\tpopq %rbx\n"
    "\tret\n");
ULONG_PTR run_code(BYTE* address);
extern char run_code_resume[];
ULONG_PTR saved_rsp;

static BYTE* code_page;

typedef struct Seen {
    LONG count;
    DWORD code;
    DWORD parameters;
    ULONG_PTR information[3];
    ULONG_PTR address, rip, rax;
    DWORD eflags, mxcsr;
    WORD segcs;
    DWORD first_code;
} Seen;
static volatile Seen seen;
/* An address outside the code page that a case jumps to: faults there are the case's too. */
static volatile ULONG_PTR foreign_target;
/* Single steps are continued (with the trap flag cleared) instead of ending the case. */
static volatile BOOL continue_single_steps;

static LONG WINAPI on_exception(EXCEPTION_POINTERS* pointers) {
    const EXCEPTION_RECORD* record = pointers->ExceptionRecord;
    CONTEXT* context = pointers->ContextRecord;
    BOOL in_case =
        (context->Rip >= (ULONG_PTR)code_page && context->Rip < (ULONG_PTR)code_page + 0x1000) ||
        (foreign_target != 0 && context->Rip == foreign_target);
    if (!in_case) {
        return EXCEPTION_CONTINUE_SEARCH;
    }
    if (seen.count == 0) {
        seen.first_code = record->ExceptionCode;
    }
    seen.count = seen.count + 1;
    seen.code = record->ExceptionCode;
    seen.parameters = record->NumberParameters;
    seen.information[0] = record->NumberParameters > 0 ? record->ExceptionInformation[0] : 0;
    seen.information[1] = record->NumberParameters > 1 ? record->ExceptionInformation[1] : 0;
    seen.information[2] = record->NumberParameters > 2 ? record->ExceptionInformation[2] : 0;
    seen.address = (ULONG_PTR)record->ExceptionAddress;
    seen.rip = context->Rip;
    seen.rax = context->Rax;
    seen.eflags = context->EFlags;
    seen.mxcsr = context->MxCsr;
    seen.segcs = context->SegCs;
    if (continue_single_steps && record->ExceptionCode == STATUS_SINGLE_STEP) {
        context->EFlags &= ~0x100u;
        return EXCEPTION_CONTINUE_EXECUTION;
    }
    context->SegCs = 0x33;      /* run_code is 64-bit code, whatever mode the case left */
    context->EFlags &= ~0x100u; /* and runs without the trap flag */
    context->Rsp = saved_rsp;
    context->Rip = (ULONG_PTR)run_code_resume;
    context->Rax = CODE_FAULTED;
    return EXCEPTION_CONTINUE_EXECUTION;
}

/* Copies the bytes (and a ret) to the code page and runs them. */
static ULONG_PTR run_bytes(const BYTE* bytes, DWORD length) {
    for (DWORD i = 0; i < length; ++i) {
        code_page[i] = bytes[i];
    }
    code_page[length] = 0xC3;
    seen.count = 0;
    seen.code = 0;
    seen.first_code = 0;
    return run_code(code_page);
}

/* One access that must raise STATUS_ACCESS_VIOLATION at `offset` into the bytes, with the
 * access kind (0 read, 1 write) and address Windows reports. */
static void check_access_violation(const char* name, const BYTE* bytes, DWORD length, DWORD offset,
                                   ULONG_PTR kind, ULONG_PTR address) {
    char label[160];
    ULONG_PTR result = run_bytes(bytes, length);
    CHECK_EQ(test_name(label, sizeof(label), name, ": raises an exception"), result, CODE_FAULTED);
    CHECK_STATUS(test_name(label, sizeof(label), name, ": code"), seen.code,
                 STATUS_ACCESS_VIOLATION);
    CHECK_EQ(test_name(label, sizeof(label), name, ": at the instruction"), seen.address,
             (ULONG_PTR)code_page + offset);
    CHECK_DEC(test_name(label, sizeof(label), name, ": two parameters"), seen.parameters, 2);
    CHECK_EQ(test_name(label, sizeof(label), name, ": access"), seen.information[0], kind);
    CHECK_EQ(test_name(label, sizeof(label), name, ": address"), seen.information[1], address);
}

static void test_whole_address_space(void) {
    /* xor edi, edi; mov rax, [rdi-8]: the last qword of the address space. */
    static const BYTE last_qword[] = {0x31, 0xFF, 0x48, 0x8B, 0x47, 0xF8};
    check_access_violation("read of 0xFFFFFFFFFFFFFFF8", last_qword, sizeof(last_qword), 2, 0,
                           0xFFFFFFFFFFFFFFF8ull);
    /* mov rdi, -4096; mov byte [rdi], 1: a write to the last page. */
    static const BYTE last_page[] = {0x48, 0xC7, 0xC7, 0x00, 0xF0, 0xFF, 0xFF, 0xC6, 0x07, 0x01};
    check_access_violation("write to 0xFFFFFFFFFFFFF000", last_page, sizeof(last_page), 7, 1,
                           0xFFFFFFFFFFFFF000ull);
    /* mov rax, 0x7FFFFFFF0000; mov al, [rax]: above user space, below the canonical hole. */
    static const BYTE high_user[] = {0x48, 0xB8, 0x00, 0x00, 0xFF, 0xFF,
                                     0xFF, 0x7F, 0x00, 0x00, 0x8A, 0x00};
    check_access_violation("read of 0x7FFFFFFF0000", high_user, sizeof(high_user), 10, 0,
                           0x7FFFFFFF0000ull);
    /* mov rax, 0x0000800000000000; mov al, [rax]: non-canonical, #GP: the address is unknown
     * to Windows, which reports -1. */
    static const BYTE non_canonical[] = {0x48, 0xB8, 0x00, 0x00, 0x00, 0x00,
                                         0x00, 0x80, 0x00, 0x00, 0x8A, 0x00};
    check_access_violation("read of non-canonical 0x800000000000", non_canonical,
                           sizeof(non_canonical), 10, 0, ~(ULONG_PTR)0);
}

/* Encodings that are #UD on the CPU and once aborted the emulator's translator. */
static void test_invalid_encodings(void) {
    static const struct {
        const char* name;
        BYTE bytes[8];
        DWORD length;
    } cases[] = {
        {"ljmp through a register (ff ed)", {0xFF, 0xED}, 2},
        {"lcall through a register (ff dd)", {0xFF, 0xDD}, 2},
        {"ljmp through a register with REX.W (48 ff e8)", {0x48, 0xFF, 0xE8}, 3},
        {"lcall through a register with 66 (66 ff d8)", {0x66, 0xFF, 0xD8}, 3},
        {"lock cmp [rax], al (f0 38 00)", {0xF0, 0x38, 0x00}, 3},
        {"lock cmp dword [rax], 0 (f0 83 38 00)", {0xF0, 0x83, 0x38, 0x00}, 4},
        {"lock bts eax, eax (f0 0f ab c0)", {0xF0, 0x0F, 0xAB, 0xC0}, 4},
        {"lock bt [rax], eax (f0 0f a3 00)", {0xF0, 0x0F, 0xA3, 0x00}, 4},
        {"lock cmpsb (f0 a6)", {0xF0, 0xA6}, 2},
        {"rep lock cmpsd with REX (f3 48 f0 a7)", {0xF3, 0x48, 0xF0, 0xA7}, 4},
        {"lock mov [rax], eax (f0 89 00)", {0xF0, 0x89, 0x00}, 3},
    };
    char label[160];
    for (DWORD i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        ULONG_PTR result = run_bytes(cases[i].bytes, cases[i].length);
        CHECK_EQ(test_name(label, sizeof(label), cases[i].name, ": raises an exception"), result,
                 CODE_FAULTED);
        CHECK_STATUS(test_name(label, sizeof(label), cases[i].name, ": STATUS_ILLEGAL_INSTRUCTION"),
                     seen.code, STATUS_ILLEGAL_INSTRUCTION);
        CHECK_EQ(test_name(label, sizeof(label), cases[i].name, ": at the instruction"),
                 seen.address, (ULONG_PTR)code_page);
    }
    /* xor eax, eax; inc rax; inc rax; ljmp through a register: the instructions before it in
     * the same block run exactly once, and the exception names the bad one. */
    static const BYTE after_others[] = {0x31, 0xC0, 0x48, 0xFF, 0xC0, 0x48, 0xFF, 0xC0, 0xFF, 0xED};
    run_bytes(after_others, sizeof(after_others));
    CHECK_STATUS("bad encoding after others: STATUS_ILLEGAL_INSTRUCTION", seen.code,
                 STATUS_ILLEGAL_INSTRUCTION);
    CHECK_EQ("bad encoding after others: at the instruction", seen.address,
             (ULONG_PTR)code_page + 8);
    CHECK_DEC("bad encoding after others: the instructions before it ran once", seen.rax, 2);
    CHECK_DEC("bad encoding after others: one exception", seen.count, 1);
    /* Under the trap flag, an invalid instruction whose second byte would start a refused one
     * (8D CF: lea with a register operand; CF alone is a 32-bit iret). ntoy spun for ever,
     * taking the CF for the next instruction; then the trap flag leaked into the dispatcher.
     * Found by the encoding sweep. pushfq; or qword [rsp], 0x100; popfq; 8d cf. */
    static const BYTE stepped_invalid[] = {0x9C, 0x48, 0x81, 0x0C, 0x24, 0x00,
                                           0x01, 0x00, 0x00, 0x9D, 0x8D, 0xCF};
    run_bytes(stepped_invalid, sizeof(stepped_invalid));
    CHECK_STATUS("8d cf under TF: STATUS_ILLEGAL_INSTRUCTION", seen.first_code,
                 STATUS_ILLEGAL_INSTRUCTION);
    CHECK_EQ("8d cf under TF: at the instruction", seen.address, (ULONG_PTR)code_page + 10);
    CHECK_DEC("8d cf under TF: one exception", seen.count, 1);
    /* A valid locked instruction still works: lock inc qword [rcx+16] (rcx = the page). */
    static const BYTE locked_inc[] = {0xF0, 0x48, 0xFF, 0x41, 0x10, 0x48, 0x8B, 0x41, 0x10};
    *(ULONG_PTR*)(code_page + 16) = 41;
    CHECK_DEC("lock inc [mem] still runs", run_bytes(locked_inc, sizeof(locked_inc)), 42);
}

/* INT n reaches only the DPL3 gates; every other vector is #GP, an access violation with an
 * unknown address at the INT instruction (issue 8, defect 5). */
static void test_software_interrupts(void) {
    static const BYTE vectors[] = {0x80, 0x0E, 0x08, 0x01, 0x2F, 0xFF};
    char label[160];
    for (DWORD i = 0; i < sizeof(vectors); ++i) {
        const BYTE code[] = {0xCD, vectors[i]};
        static const char* names[] = {"int 0x80", "int 0x0e (not a page fault)",
                                      "int 0x08", "int 0x01",
                                      "int 0x2f", "int 0xff"};
        check_access_violation(names[i], code, sizeof(code), 0, 0, ~(ULONG_PTR)0);
        CHECK_DEC(test_name(label, sizeof(label), names[i], ": one exception"), seen.count, 1);
    }
    /* int 0x2e: the alternative system-call gate. An unknown number answers
     * STATUS_INVALID_SYSTEM_SERVICE in RAX: mov eax, 0xFFFF; int 0x2e. */
    static const BYTE syscall_gate[] = {0xB8, 0xFF, 0xFF, 0x00, 0x00, 0xCD, 0x2E};
    CHECK_STATUS("int 0x2e is a system call", run_bytes(syscall_gate, sizeof(syscall_gate)),
                 0xC000001C);
    CHECK_DEC("int 0x2e raises nothing", seen.count, 0);
    /* int 0x2c: an assertion, reported at the instruction. */
    static const BYTE assertion[] = {0xCD, 0x2C};
    run_bytes(assertion, sizeof(assertion));
    CHECK_STATUS("int 0x2c: STATUS_ASSERTION_FAILURE", seen.code, 0xC0000420);
    CHECK_EQ("int 0x2c: at the instruction", seen.address, (ULONG_PTR)code_page);
    /* int 0x2d with no debugger: the byte after it is skipped and a breakpoint reported at
     * that byte, with the service in RAX as the first parameter: mov eax, 1; int 0x2d; int3 */
    static const BYTE debug_service[] = {0xB8, 0x01, 0x00, 0x00, 0x00, 0xCD, 0x2D, 0xCC};
    run_bytes(debug_service, sizeof(debug_service));
    CHECK_STATUS("int 0x2d: STATUS_BREAKPOINT", seen.code, STATUS_BREAKPOINT);
    CHECK_EQ("int 0x2d: at the byte after it", seen.address, (ULONG_PTR)code_page + 7);
    CHECK_EQ("int 0x2d: the service", seen.information[0], 1);
}

/* The trap flag: a single-step handler sees the trap, the dispatcher does not run under it,
 * and the CONTEXT keeps it (issue 8, defect 6). pushfq; or dword [rsp], 0x100; popfq; nop;
 * nop */
static void test_trap_flag(void) {
    static const BYTE step[] = {0x9C, 0x81, 0x0C, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9D, 0x90, 0x90};
    ULONG_PTR result = run_bytes(step, sizeof(step));
    CHECK_EQ("single step: raises an exception", result, CODE_FAULTED);
    CHECK_STATUS("single step: STATUS_SINGLE_STEP", seen.code, STATUS_SINGLE_STEP);
    CHECK_DEC("single step: exactly one", seen.count, 1);
    CHECK_EQ("single step: after the instruction that followed popfq", seen.address,
             (ULONG_PTR)code_page + 10);
    CHECK_TRUE("single step: the CONTEXT keeps the trap flag", (seen.eflags & 0x100) != 0);
    /* The same, then a jump to a system address: the single step lands there first, and
     * going on from it is an access violation at the jump target. */
    static const BYTE jump[] = {
        0x9C, 0x81, 0x0C, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9D, 0x48, 0xB8,
        0x00, 0x10, 0x00, 0x00, 0x00, 0x80, 0xFF, 0xFF, 0xFF, 0xE0}; /* mov rax, 0xFFFF800000001000;
                                                                        jmp rax */
    foreign_target = 0xFFFF800000001000ull;
    continue_single_steps = TRUE;
    result = run_bytes(jump, sizeof(jump));
    continue_single_steps = FALSE;
    foreign_target = 0;
    CHECK_EQ("jump to system space under TF: raises an exception", result, CODE_FAULTED);
    CHECK_STATUS("jump to system space under TF: first a single step", seen.first_code,
                 STATUS_SINGLE_STEP);
    CHECK_STATUS("jump to system space under TF: then an access violation", seen.code,
                 STATUS_ACCESS_VIOLATION);
    CHECK_EQ("jump to system space under TF: an execute", seen.information[0], 8);
    CHECK_EQ("jump to system space under TF: at the target", seen.information[1],
             0xFFFF800000001000ull);
}

/* A handler that continues a single step with the trap flag still set: the next trap comes
 * after the next instruction, not before it (the emulator once trapped again at once, so a
 * single-stepped program never moved). nop; nop; nop; then the handler ends the case at the
 * first exception that is not a single step: ud2. */
static volatile LONG steps_seen;
static volatile ULONG_PTR step_addresses[8];
static LONG WINAPI keep_stepping(EXCEPTION_POINTERS* pointers) {
    CONTEXT* context = pointers->ContextRecord;
    if (pointers->ExceptionRecord->ExceptionCode != STATUS_SINGLE_STEP ||
        context->Rip < (ULONG_PTR)code_page || context->Rip >= (ULONG_PTR)code_page + 0x1000) {
        return EXCEPTION_CONTINUE_SEARCH;
    }
    if (steps_seen < 8) {
        step_addresses[steps_seen] = context->Rip;
    }
    ++steps_seen;
    context->EFlags |= 0x100;
    return EXCEPTION_CONTINUE_EXECUTION;
}

static void test_continued_single_steps(void) {
    /* pushfq; or dword [rsp], 0x100; popfq; nop; nop; nop; ud2 */
    static const BYTE code[] = {0x9C, 0x81, 0x0C, 0x24, 0x00, 0x01, 0x00,
                                0x00, 0x9D, 0x90, 0x90, 0x90, 0x0F, 0x0B};
    PVOID handler = AddVectoredExceptionHandler(1, keep_stepping);
    steps_seen = 0;
    run_bytes(code, sizeof(code));
    RemoveVectoredExceptionHandler(handler);
    CHECK_STATUS("stepping on: ends at ud2", seen.code, STATUS_ILLEGAL_INSTRUCTION);
    CHECK_DEC("stepping on: one single step per instruction", steps_seen, 3);
    CHECK_EQ("stepping on: the first after the nop that followed popfq", step_addresses[0],
             (ULONG_PTR)code_page + 10);
    CHECK_EQ("stepping on: the second after the next nop", step_addresses[1],
             (ULONG_PTR)code_page + 11);
    CHECK_EQ("stepping on: the third before ud2", step_addresses[2], (ULONG_PTR)code_page + 12);
}

/* Compatibility mode: a far return to selector 0x23, then ud2. The exception reaches the
 * 64-bit dispatcher with SegCs 0x23 in the CONTEXT (issue 8, defect 7).
 * lea rax, [rip+5]; push 0x23; push rax; retfq; ud2 */
static void test_compatibility_mode(void) {
    static const BYTE far_return[] = {0x48, 0x8D, 0x05, 0x05, 0x00, 0x00, 0x00,
                                      0x6A, 0x23, 0x50, 0x48, 0xCB, 0x0F, 0x0B};
    ULONG_PTR result = run_bytes(far_return, sizeof(far_return));
    CHECK_EQ("ud2 in compatibility mode: raises an exception", result, CODE_FAULTED);
    CHECK_STATUS("ud2 in compatibility mode: STATUS_ILLEGAL_INSTRUCTION", seen.code,
                 STATUS_ILLEGAL_INSTRUCTION);
    CHECK_EQ("ud2 in compatibility mode: at the instruction", seen.address,
             (ULONG_PTR)code_page + 12);
    CHECK_EQ("ud2 in compatibility mode: SegCs", seen.segcs, 0x23);
    CHECK_DEC("ud2 in compatibility mode: one exception", seen.count, 1);
}

/* A 32-bit IRET (CF without REX.W) from user mode. Unicorn 2.0.1 enters virtual-8086 mode
 * when the EFLAGS image has VM set, whatever the CPL, with CS 0, and ntoy took that for a trap
 * in kernel mode and stopped with a bug check; a CPU at CPL 3 ignores VM and faults on the null
 * CS. A good frame returns as on the CPU. Found by the encoding sweep (guest/fuzz). */
static void test_narrow_iret(void) {
    static const BYTE to_vm86[] = {
        0x48, 0x83, 0xEC, 0x14,                         /* sub rsp, 20 */
        0xC7, 0x04, 0x24, 0x00, 0x40, 0x00, 0x00,       /* mov dword [rsp], 0x4000 */
        0xC7, 0x44, 0x24, 0x04, 0x00, 0x00, 0x00, 0x00, /* cs 0 */
        0xC7, 0x44, 0x24, 0x08, 0x02, 0x02, 0x02, 0x00, /* eflags VM | IF */
        0xC7, 0x44, 0x24, 0x0C, 0x00, 0x00, 0x00, 0x00, /* esp 0 */
        0xC7, 0x44, 0x24, 0x10, 0x00, 0x00, 0x00, 0x00, /* ss 0 */
        0xCF};                                          /* iretd */
    ULONG_PTR result = run_bytes(to_vm86, sizeof(to_vm86));
    CHECK_EQ("iretd with VM in the flags: raises an exception", result, CODE_FAULTED);
    CHECK_STATUS("iretd with VM in the flags: STATUS_ACCESS_VIOLATION", seen.code,
                 STATUS_ACCESS_VIOLATION);
    CHECK_EQ("iretd with VM in the flags: at the iretd", seen.address, (ULONG_PTR)code_page + 43);
    CHECK_EQ("iretd with VM in the flags: in 64-bit mode", seen.segcs, 0x33);
    static const BYTE good_frame[] = {
        0x48, 0x89, 0xE1,                               /* mov rcx, rsp */
        0x48, 0x83, 0xEC, 0x14,                         /* sub rsp, 20 */
        0x48, 0x8D, 0x05, 0x20, 0x00, 0x00, 0x00,       /* lea rax, [rip + target] */
        0x89, 0x04, 0x24,                               /* mov [rsp], eax */
        0xC7, 0x44, 0x24, 0x04, 0x33, 0x00, 0x00, 0x00, /* cs 0x33 */
        0xC7, 0x44, 0x24, 0x08, 0x02, 0x02, 0x00, 0x00, /* eflags IF */
        0x89, 0x4C, 0x24, 0x0C,                         /* esp: as before */
        0xC7, 0x44, 0x24, 0x10, 0x2B, 0x00, 0x00, 0x00, /* ss 0x2b */
        0xCF,                                           /* iretd */
        0xB8, 0x2A, 0x00, 0x00, 0x00};                  /* target: mov eax, 42 */
    if ((ULONG_PTR)code_page >> 32 || saved_rsp >> 32) {
        print_str("# skipped: iretd to a good frame needs the code and stack below 4 GB\n");
        return;
    }
    CHECK_DEC("iretd to a good frame returns there", run_bytes(good_frame, sizeof(good_frame)), 42);
}

/* Arithmetic exceptions as Windows names them (issue 8, defect 11). */
static void test_arithmetic(void) {
    /* mov rax, INT64_MIN; cqo; mov rcx, -1; idiv rcx */
    static const BYTE overflow[] = {0x48, 0xB8, 0,    0,    0,    0,    0,    0,
                                    0,    0x80, 0x48, 0x99, 0x48, 0xC7, 0xC1, 0xFF,
                                    0xFF, 0xFF, 0xFF, 0x48, 0xF7, 0xF9};
    run_bytes(overflow, sizeof(overflow));
    CHECK_STATUS("idiv INT64_MIN by -1: STATUS_INTEGER_OVERFLOW", seen.code, 0xC0000095);
    CHECK_EQ("idiv INT64_MIN by -1: at the instruction", seen.address, (ULONG_PTR)code_page + 19);
    /* The divisor in memory: push -1; mov eax, 0x80000000; cdq; idiv dword [rsp] */
    static const BYTE overflow_memory[] = {0x6A, 0xFF, 0xB8, 0x00, 0x00, 0x00,
                                           0x80, 0x99, 0xF7, 0x3C, 0x24};
    run_bytes(overflow_memory, sizeof(overflow_memory));
    CHECK_STATUS("idiv INT32_MIN by -1 in memory: STATUS_INTEGER_OVERFLOW", seen.code, 0xC0000095);
    /* xor ecx, ecx; idiv rcx: a true division by zero */
    static const BYTE by_zero[] = {0x31, 0xC9, 0x48, 0xF7, 0xF9};
    run_bytes(by_zero, sizeof(by_zero));
    CHECK_STATUS("idiv by zero: STATUS_INTEGER_DIVIDE_BY_ZERO", seen.code, 0xC0000094);
    /* x87 with the zero-divide exception unmasked: fninit; push 0x37B; fldcw [rsp];
     * fld1; fldz; fdivp; fwait */
    static const BYTE x87[] = {0xDB, 0xE3, 0x68, 0x7B, 0x03, 0x00, 0x00, 0xD9, 0x2C,
                               0x24, 0xD9, 0xE8, 0xD9, 0xEE, 0xDE, 0xF9, 0x9B};
    run_bytes(x87, sizeof(x87));
    CHECK_STATUS("x87 divide by zero: STATUS_FLOAT_DIVIDE_BY_ZERO", seen.code, 0xC000008E);
    __asm__ volatile("fninit");
}

/* The SSE behaviours QEMU's translator leaves out (issue 8, defect 11): a legacy SSE
 * instruction's 16-byte memory operand must be aligned (#GP: an access violation at -1, as
 * Windows reports any #GP), and an SSE exception unmasked in MXCSR raises #XM (the exception
 * Windows names from the MXCSR flags, which the context shows). */
static void check_general_protection(const char* name, const BYTE* bytes, DWORD length,
                                     DWORD offset) {
    check_access_violation(name, bytes, length, offset, 0, ~(ULONG_PTR)0);
}

/* mov rax, code_page + offset (10 bytes), then the instruction. */
static DWORD with_rax(BYTE* out, DWORD offset, const BYTE* insn, DWORD length) {
    ULONG_PTR address = (ULONG_PTR)code_page + offset;
    out[0] = 0x48;
    out[1] = 0xB8;
    for (int i = 0; i < 8; ++i) {
        out[2 + i] = (BYTE)(address >> (8 * i));
    }
    for (DWORD i = 0; i < length; ++i) {
        out[10 + i] = insn[i];
    }
    return 10 + length;
}

static void reset_mxcsr(void) {
    __asm__ volatile("push $0x1F80\n\tldmxcsr (%%rsp)\n\tpop %%rcx" ::: "rcx", "memory");
}

/* A thread that competes for the CPU while the SIMD cases run: with threads competing the
 * engine preempts between blocks (block-boundary stops), and a check that raises must still
 * leave before its instruction. */
static volatile LONG stop_spinning;
static DWORD WINAPI spin(LPVOID unused) {
    (void)unused;
    while (!stop_spinning) {
    }
    return 0;
}

static void test_simd(void) {
    BYTE code[64];
    DWORD n;
    stop_spinning = 0;
    HANDLE spinner = CreateThread(NULL, 0, spin, NULL, 0, NULL);
    CHECK_TRUE("a thread to compete with the SIMD cases", spinner != NULL);
    static const BYTE movdqa_load[] = {0x66, 0x0F, 0x6F, 0x00};      /* movdqa xmm0, [rax] */
    static const BYTE movaps_store[] = {0x0F, 0x29, 0x00};           /* movaps [rax], xmm0 */
    static const BYTE addps_memory[] = {0x0F, 0x58, 0x00};           /* addps xmm0, [rax] */
    static const BYTE movups_load[] = {0x0F, 0x10, 0x00};            /* movups xmm0, [rax] */
    static const BYTE cmpxchg16b[] = {0xF0, 0x48, 0x0F, 0xC7, 0x08}; /* lock cmpxchg16b [rax] */
    static const BYTE fxsave[] = {0x0F, 0xAE, 0x00};                 /* fxsave [rax] */
    static const BYTE movq_load[] = {0xF3, 0x0F, 0x7E, 0x00};        /* movq xmm0, [rax] */
    n = with_rax(code, 0x808, movdqa_load, sizeof(movdqa_load));
    check_general_protection("movdqa from 8 mod 16", code, n, 10);
    n = with_rax(code, 0x801, movaps_store, sizeof(movaps_store));
    check_general_protection("movaps to 1 mod 16", code, n, 10);
    n = with_rax(code, 0x804, addps_memory, sizeof(addps_memory));
    check_general_protection("addps with an operand at 4 mod 16", code, n, 10);
    n = with_rax(code, 0x808, cmpxchg16b, sizeof(cmpxchg16b));
    check_general_protection("cmpxchg16b at 8 mod 16", code, n, 10);
    n = with_rax(code, 0x808, fxsave, sizeof(fxsave));
    check_general_protection("fxsave at 8 mod 16", code, n, 10);
    /* ldmxcsr of a value with a reserved bit (16-31) set: push 0x11F80; ldmxcsr [rsp] */
    static const BYTE ldmxcsr_reserved[] = {0x68, 0x80, 0x1F, 0x01, 0x00, 0x0F, 0xAE, 0x14, 0x24};
    check_general_protection("ldmxcsr with bit 16 set", ldmxcsr_reserved, sizeof(ldmxcsr_reserved),
                             5);
    reset_mxcsr();
    n = with_rax(code, 0x800, movdqa_load, sizeof(movdqa_load));
    CHECK_EQ("movdqa from an aligned address runs", run_bytes(code, n),
             (ULONG_PTR)code_page + 0x800);
    n = with_rax(code, 0x808, movups_load, sizeof(movups_load));
    CHECK_EQ("movups from 8 mod 16 runs", run_bytes(code, n), (ULONG_PTR)code_page + 0x808);
    n = with_rax(code, 0x801, movq_load, sizeof(movq_load));
    CHECK_EQ("movq (8 bytes) from 1 mod 16 runs", run_bytes(code, n), (ULONG_PTR)code_page + 0x801);
    /* An aligned instruction in a loop whose address moves: the check is made each time it runs,
     * not once when it is translated. lea rcx, [rax+16]; (loop:) movdqa xmm0, [rax];
     * add rax, 8; cmp rax, rcx; jbe loop */
    static const BYTE moving[] = {0x48, 0x8D, 0x48, 0x10, 0x66, 0x0F, 0x6F, 0x00, 0x48,
                                  0x83, 0xC0, 0x08, 0x48, 0x39, 0xC8, 0x76, 0xF3};
    n = with_rax(code, 0x800, moving, sizeof(moving));
    check_general_protection("movdqa in a loop, on its second pass", code, n, 14);

    /* divss by zero with ZM unmasked: push 0x1D80; ldmxcsr [rsp]; pop rcx; xorps xmm1, xmm1;
     * mov eax, 0x3F800000; movd xmm0, eax; divss xmm0, xmm1 */
    static const BYTE divss_by_zero[] = {0x68, 0x80, 0x1D, 0x00, 0x00, 0x0F, 0xAE, 0x14, 0x24,
                                         0x59, 0x0F, 0x57, 0xC9, 0xB8, 0x00, 0x00, 0x80, 0x3F,
                                         0x66, 0x0F, 0x6E, 0xC0, 0xF3, 0x0F, 0x5E, 0xC1};
    run_bytes(divss_by_zero, sizeof(divss_by_zero));
    reset_mxcsr();
    CHECK_STATUS("divss by zero, ZM unmasked: STATUS_FLOAT_DIVIDE_BY_ZERO", seen.code, 0xC000008E);
    CHECK_EQ("divss by zero: at the divss", seen.address, (ULONG_PTR)code_page + 22);
    CHECK_EQ("divss by zero: MXCSR has ZE set", seen.mxcsr & 0x3F, 0x04);
    /* The same with ZM masked (0x1F80): infinity, no exception. */
    BYTE masked[sizeof(divss_by_zero)];
    for (DWORD i = 0; i < sizeof(masked); ++i) {
        masked[i] = divss_by_zero[i];
    }
    masked[2] = 0x1F;
    CHECK_NE("divss by zero, ZM masked, runs", run_bytes(masked, sizeof(masked)), CODE_FAULTED);
    /* sqrtss of -1 with IM unmasked (0x1F00): push 0x1F00; ldmxcsr [rsp]; pop rcx;
     * mov eax, 0xBF800000; movd xmm1, eax; sqrtss xmm0, xmm1 */
    static const BYTE sqrt_invalid[] = {0x68, 0x00, 0x1F, 0x00, 0x00, 0x0F, 0xAE, 0x14,
                                        0x24, 0x59, 0xB8, 0x00, 0x00, 0x80, 0xBF, 0x66,
                                        0x0F, 0x6E, 0xC8, 0xF3, 0x0F, 0x51, 0xC1};
    run_bytes(sqrt_invalid, sizeof(sqrt_invalid));
    reset_mxcsr();
    CHECK_STATUS("sqrtss of -1, IM unmasked: STATUS_FLOAT_INVALID_OPERATION", seen.code,
                 0xC0000090);
    CHECK_EQ("sqrtss of -1: MXCSR has IE set", seen.mxcsr & 0x3F, 0x01);
    /* divss 1/3 with PM unmasked (0x0F80): inexact. */
    static const BYTE inexact[] = {0x68, 0x80, 0x0F, 0x00, 0x00, 0x0F, 0xAE, 0x14, 0x24, 0x59, 0xB8,
                                   0x00, 0x00, 0x40, 0x40, 0x66, 0x0F, 0x6E, 0xC8, 0xB8, 0x00, 0x00,
                                   0x80, 0x3F, 0x66, 0x0F, 0x6E, 0xC0, 0xF3, 0x0F, 0x5E, 0xC1};
    run_bytes(inexact, sizeof(inexact));
    reset_mxcsr();
    CHECK_STATUS("divss 1/3, PM unmasked: STATUS_FLOAT_INEXACT_RESULT", seen.code, 0xC000008F);
    stop_spinning = 1;
    if (spinner != NULL) {
        WaitForSingleObject(spinner, INFINITE);
        CloseHandle(spinner);
    }
}

/* An instruction whose immediate crosses into the next page: 2.0.1 reads such an operand as
 * two aligned reads, the first starting before the instruction, where the byte 0xCF (an IRET
 * opcode, if it began an instruction) stood. The translation guard took that read for an
 * instruction of its own and refused it, for ever: the program hung (issue 11's msvcrt). */
static void test_operand_across_pages(void) {
    BYTE* pages = VirtualAlloc(NULL, 0x2000, MEM_COMMIT | MEM_RESERVE, PAGE_EXECUTE_READWRITE);
    if (!CHECK_TRUE("two executable pages", pages != NULL)) {
        return;
    }
    static const BYTE code[] = {0x89, 0xCF, /* mov edi, ecx: its 0xCF is read again below */
                                0xB9, 0x2A, 0x00,
                                0x00, 0x00, /* mov ecx, 42: the immediate crosses the page */
                                0x89, 0xC8, /* mov eax, ecx */
                                0xC3};      /* ret */
    BYTE* at = pages + 0x1000 - 5;
    for (DWORD i = 0; i < sizeof(code); ++i) {
        at[i] = code[i];
    }
    CHECK_DEC("an operand across a page boundary runs", run_code(at), 42);
    VirtualFree(pages, 0, MEM_RELEASE);
}

/* Self-modifying code, which the engine must catch on every path a store takes: ntoy lets
 * stores to pages without translated code run inline (UnicornQuirks' clean stores), and gives
 * a page the slow path back when code is translated from it.
 * 1. Bytes written by ordinary stores, run, rewritten (one immediate), run again.
 * 2. A block that rewrites its own next instruction before reaching it. */
static void test_self_modifying_code(void) {
    BYTE* pages = VirtualAlloc(NULL, 0x2000, MEM_COMMIT | MEM_RESERVE, PAGE_EXECUTE_READWRITE);
    if (!CHECK_TRUE("pages for self-modifying code", pages != NULL)) {
        return;
    }
    volatile BYTE* at = pages + 0x1000; /* a page nothing has run from yet */
    static const BYTE returns_one[] = {0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3}; /* mov eax,1; ret */
    for (DWORD i = 0; i < sizeof(returns_one); ++i) {
        at[i] = returns_one[i];
    }
    CHECK_DEC("freshly written code runs", run_code((BYTE*)at), 1);
    at[1] = 2;
    CHECK_DEC("code rewritten after it ran runs the new immediate", run_code((BYTE*)at), 2);
    for (ULONG i = 3; i < 200; ++i) {
        at[1] = (BYTE)i;
        if (run_code((BYTE*)at) != i) {
            CHECK_DEC("every rewrite is seen", i, 0);
            break;
        }
    }
    /* lea rdx, [rip + 4]; mov byte [rdx + 1], 7; mov eax, 5; ret: the store lands on the
     * immediate of the mov that follows it in the same block. */
    static const BYTE rewrites_next[] = {0x48, 0x8D, 0x15, 0x04, 0x00, 0x00, 0x00, /* lea rdx */
                                         0xC6, 0x42, 0x01, 0x07,                   /* mov [rdx+1] */
                                         0xB8, 0x05, 0x00, 0x00, 0x00, 0xC3};
    for (DWORD i = 0; i < sizeof(rewrites_next); ++i) {
        pages[i] = rewrites_next[i];
    }
    CHECK_DEC("a block that rewrites its next instruction runs the new one", run_code(pages), 7);
    VirtualFree(pages, 0, MEM_RELEASE);
}

int start(void) {
    code_page = VirtualAlloc(NULL, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_EXECUTE_READWRITE);
    if (!CHECK_TRUE("an executable page", code_page != NULL)) {
        return test_done();
    }
    AddVectoredExceptionHandler(1, on_exception);
    test_whole_address_space();
    test_invalid_encodings();
    test_software_interrupts();
    test_trap_flag();
    test_continued_single_steps();
    test_compatibility_mode();
    test_narrow_iret();
    test_arithmetic();
    test_simd();
    test_operand_across_pages();
    test_self_modifying_code();
    return test_done();
}
