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
    ULONG_PTR information[2];
    ULONG_PTR address, rip, rax;
} Seen;
static volatile Seen seen;

static LONG WINAPI on_exception(EXCEPTION_POINTERS* pointers) {
    const EXCEPTION_RECORD* record = pointers->ExceptionRecord;
    CONTEXT* context = pointers->ContextRecord;
    if (context->Rip < (ULONG_PTR)code_page || context->Rip >= (ULONG_PTR)code_page + 0x1000) {
        return EXCEPTION_CONTINUE_SEARCH;
    }
    seen.count = seen.count + 1;
    seen.code = record->ExceptionCode;
    seen.parameters = record->NumberParameters;
    seen.information[0] = record->NumberParameters > 0 ? record->ExceptionInformation[0] : 0;
    seen.information[1] = record->NumberParameters > 1 ? record->ExceptionInformation[1] : 0;
    seen.address = (ULONG_PTR)record->ExceptionAddress;
    seen.rip = context->Rip;
    seen.rax = context->Rax;
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
    /* A valid locked instruction still works: lock inc qword [rcx+16] (rcx = the page). */
    static const BYTE locked_inc[] = {0xF0, 0x48, 0xFF, 0x41, 0x10, 0x48, 0x8B, 0x41, 0x10};
    *(ULONG_PTR*)(code_page + 16) = 41;
    CHECK_DEC("lock inc [mem] still runs", run_bytes(locked_inc, sizeof(locked_inc)), 42);
}

int start(void) {
    code_page = VirtualAlloc(NULL, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_EXECUTE_READWRITE);
    if (!CHECK_TRUE("an executable page", code_page != NULL)) {
        return test_done();
    }
    AddVectoredExceptionHandler(1, on_exception);
    test_whole_address_space();
    test_invalid_encodings();
    return test_done();
}
