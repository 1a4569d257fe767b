/* A sweep of the encoding space, one instruction at a time (docs/fuzzing.md).
 *
 *     encoding_sweep PREFIX [FIRST] [COUNT]
 *
 * Runs COUNT (65536) encodings from FIRST (0): encoding i is the PREFIX bytes (hex, "-" for
 * none), then the two bytes i >> 8 and i & 0xFF, then zero bytes (a ModRM, SIB and
 * displacement of zero where the instruction wants them). Each is single-stepped from the
 * start of an executable page (code_harness.h), with every general register pointing into a
 * scratch buffer, so that memory operands hit memory. Whatever the bytes are, the instruction
 * must end in a single step or an exception the guest sees: a family of encodings that
 * aborts the emulator's translator (issue 8, defect 2) would stop ntoy instead.
 *
 * Each encoding's number is printed (4 hex digits) before it runs: an instruction that points
 * RSP at no memory (`lea rsp, [rax+rax]`) leaves the next exception nowhere to go, and the
 * process ends with its code, as on Windows; fuzz/sweep then goes on after the last number
 * printed. The end is "encoding_sweep: PREFIX: COUNT encodings from FIRST: S stepped,
 * U illegal, O other, L FS/GS loads not run" and exit status 0; an exception code no instruction
 * should raise is printed and the exit is 1. Not run: `int 0x29` (__fastfail, which ends the
 * process by design) and loads of FS and GS (code_harness.h says why). */
#include <windows.h>

#include "code_harness.h"
#include "common/command_line.h"
#include "common/print.h"

enum { kScratchBytes = 0x10000, kStackBytes = 0x10000, kMaxPrefix = 8 };

static unsigned long long stepped, illegal, other, unexpected, segment_loads;

static int expected_code(DWORD code) {
    switch (code) {
        case STATUS_ACCESS_VIOLATION:
        case STATUS_ILLEGAL_INSTRUCTION:
        case STATUS_PRIVILEGED_INSTRUCTION:
        case STATUS_BREAKPOINT:
        case STATUS_INTEGER_DIVIDE_BY_ZERO:
        case STATUS_INTEGER_OVERFLOW:
        case STATUS_ARRAY_BOUNDS_EXCEEDED:
        case STATUS_DATATYPE_MISALIGNMENT:
        case STATUS_FLOAT_DIVIDE_BY_ZERO:
        case STATUS_FLOAT_INVALID_OPERATION:
        case STATUS_FLOAT_MULTIPLE_TRAPS:
        case STATUS_FLOAT_MULTIPLE_FAULTS:
        case STATUS_GUARD_PAGE_VIOLATION:
        case STATUS_STACK_OVERFLOW:
        case 0xC0000420: /* STATUS_ASSERTION_FAILURE */
            return 1;
        default:
            return 0;
    }
}

static enum code_harness_verdict code_harness_exception(const EXCEPTION_RECORD* record) {
    if (record->ExceptionCode == CODE_HARNESS_SEGMENT_LOAD)
        ++segment_loads;
    else if (record->ExceptionCode == STATUS_SINGLE_STEP)
        ++stepped;
    else if (record->ExceptionCode == STATUS_ILLEGAL_INSTRUCTION)
        ++illegal;
    else if (expected_code(record->ExceptionCode))
        ++other;
    else {
        ++unexpected;
        print_str("encoding_sweep: unexpected exception ");
        print_hex(record->ExceptionCode);
        print_str(" at ");
        print_hex((ULONG_PTR)record->ExceptionAddress);
        print_str("\n");
    }
    return CODE_HARNESS_END;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* "f0", "f048", "-": the prefix bytes; -1 if the text is not whole hex bytes. */
static int parse_prefix(const char* text, BYTE* prefix) {
    if (text[0] == '-' && text[1] == 0)
        return 0;
    int n = 0;
    for (; text[0] && text[1] && n < kMaxPrefix; text += 2) {
        const int high = hex_digit(text[0]), low = hex_digit(text[1]);
        if (high < 0 || low < 0)
            return -1;
        prefix[n++] = (BYTE)(high << 4 | low);
    }
    return text[0] == 0 && n > 0 ? n : -1;
}

int start(void) {
    char prefix_text[2 * kMaxPrefix + 2];
    BYTE prefix[kMaxPrefix];
    unsigned long long first = 0, count = 0x10000;
    const int prefix_length =
        get_argument(1, prefix_text, sizeof prefix_text) ? parse_prefix(prefix_text, prefix) : -1;
    if (prefix_length < 0 || !get_number_argument(2, 0, &first) ||
        !get_number_argument(3, 0x10000, &count) || first > 0xFFFF || count > 0x10000 - first) {
        print_str("usage: encoding_sweep PREFIX|- [FIRST] [COUNT]  (PREFIX in hex, e.g. f048)\n");
        return 2;
    }
    BYTE* code = code_harness_alloc(0x1000, PAGE_EXECUTE_READWRITE);
    BYTE* scratch = code_harness_alloc(kScratchBytes, PAGE_READWRITE);
    BYTE* stack = code_harness_alloc(kStackBytes, PAGE_READWRITE);
    if (code == NULL || scratch == NULL || stack == NULL) {
        print_last_error("code_harness_alloc failed");
        return 1;
    }
    /* The stack holds pointers into itself and the scratch buffer pointers into itself, so
     * that what an instruction pops or loads is an address as often as not. */
    for (ULONG_PTR i = 0; i < kStackBytes; i += 8)
        *(ULONG_PTR*)(stack + i) =
            (ULONG_PTR)stack + kStackBytes / 4 + (i % (kStackBytes / 2) & ~15ull);
    for (ULONG_PTR i = 0; i < kScratchBytes; i += 8)
        *(ULONG_PTR*)(scratch + i) =
            (ULONG_PTR)scratch + kScratchBytes / 4 + (i % (kScratchBytes / 2));
    code_harness_install();
    for (unsigned long long i = first; i < first + count; ++i) {
        for (int b = 0; b < 32; ++b)
            code[b] = 0;
        for (int b = 0; b < prefix_length; ++b)
            code[b] = prefix[b];
        code[prefix_length] = (BYTE)(i >> 8);
        code[prefix_length + 1] = (BYTE)i;
        print_hex_width(i, 4);
        print_str("\n");
        if (code[prefix_length] == 0xCD && code[prefix_length + 1] == 0x29)
            continue;
        ULONG_PTR registers[16];
        for (int r = 0; r < 16; ++r)
            registers[r] = (ULONG_PTR)scratch + kScratchBytes / 2 + r * 64;
        registers[1] = 4; /* RCX: a short count for loops and rep */
        registers[4] = (ULONG_PTR)stack + kStackBytes / 2;
        run_code(registers, code);
    }
    print_str("encoding_sweep: ");
    print_str(prefix_length ? prefix_text : "-");
    print_str(": ");
    print_dec(count);
    print_str(" encodings from ");
    print_hex(first);
    print_str(": ");
    print_dec(stepped);
    print_str(" stepped, ");
    print_dec(illegal);
    print_str(" illegal, ");
    print_dec(other);
    print_str(" other, ");
    print_dec(segment_loads);
    print_str(" FS/GS loads not run\n");
    return unexpected ? 1 : 0;
}
