/* Each CPU exception reaches a vectored handler with the code and the instruction address
 * Windows gives it: int3 at the int3 itself, ud2, divide by zero, and a privileged
 * instruction at CPL3. The handler steps over the instruction and the program goes on.
 * Prints one line per case and exits with the number of mismatches. */
#include <windows.h>

#include "common/print.h"

static volatile DWORD seen_code;
static volatile DWORD64 seen_rip, seen_address;

static LONG WINAPI step_over(EXCEPTION_POINTERS* pointers) {
    seen_code = pointers->ExceptionRecord->ExceptionCode;
    seen_address = (DWORD64)pointers->ExceptionRecord->ExceptionAddress;
    seen_rip = pointers->ContextRecord->Rip;
    /* Step over the instruction: int3 and hlt are one byte, ud2 and div ecx two. */
    BYTE* at = (BYTE*)seen_rip;
    pointers->ContextRecord->Rip += at[0] == 0xCC || at[0] == 0xF4 ? 1 : 2;
    return EXCEPTION_CONTINUE_EXECUTION;
}

static int check(const char* name, DWORD want_code, DWORD64 want_rip) {
    int bad = seen_code != want_code || seen_rip != want_rip || seen_address != want_rip;
    print_str(bad ? "not ok " : "ok ");
    print_str(name);
    print_str(": code ");
    print_hex(seen_code);
    print_str(" at ");
    print_hex(seen_rip);
    if (bad) {
        print_str(" (want ");
        print_hex(want_code);
        print_str(" at ");
        print_hex(want_rip);
        print_str(")");
    }
    print_str("\n");
    seen_code = 0;
    return bad;
}

/* A new thread starts with Windows' floating-point state: every SSE and x87 exception
 * masked, round to nearest (MXCSR 0x1F80, x87 control word 0x27F). */
static int check_initial_fp_state(void) {
    unsigned mxcsr = 0;
    unsigned short fcw = 0;
    __asm__ volatile("stmxcsr %0\n fnstcw %1" : "=m"(mxcsr), "=m"(fcw));
    int bad = mxcsr != 0x1F80 || fcw != 0x27F;
    print_str(bad ? "not ok " : "ok ");
    print_str("initial MXCSR ");
    print_hex(mxcsr);
    print_str(" and x87 control word ");
    print_hex(fcw);
    print_str(bad ? " (want 0x1F80 and 0x27F)\n" : "\n");
    return bad;
}

int start(void) {
    int failures = check_initial_fp_state();
    AddVectoredExceptionHandler(1, step_over);
    DWORD64 at;
    __asm__ volatile("lea 0f(%%rip), %0\n0: int3\n" : "=r"(at));
    failures += check("int3", EXCEPTION_BREAKPOINT, at);
    __asm__ volatile("lea 0f(%%rip), %0\n0: ud2\n" : "=r"(at));
    failures += check("ud2", EXCEPTION_ILLEGAL_INSTRUCTION, at);
    __asm__ volatile("xor %%ecx, %%ecx\nlea 0f(%%rip), %0\n0: div %%ecx\n"
                     : "=r"(at)
                     :
                     : "eax", "ecx", "edx");
    failures += check("divide by zero", EXCEPTION_INT_DIVIDE_BY_ZERO, at);
    __asm__ volatile("lea 0f(%%rip), %0\n0: hlt\n" : "=r"(at));
    failures += check("hlt at CPL3", EXCEPTION_PRIV_INSTRUCTION, at);
    return failures;
}
