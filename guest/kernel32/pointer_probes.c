/* IsBadReadPtr, IsBadWritePtr and IsBadCodePtr, as Windows does them: touch the first byte,
 * the first byte of every later page and the last byte, and answer TRUE if a touch raised
 * an exception. The touch is real, so its side effects are Windows' too: a guard page is
 * disarmed (the probe answers TRUE, the next one FALSE), a demand-zero page gets its frame, a
 * thread stack grows through its guard page.
 *
 * Windows catches the exception in a __try/__except around the touch. Here each touch is a
 * one-instruction probe in assembly, and a vectored exception handler (added once, last in
 * the list, so that the program's own vectored handlers see the exception first, as they do
 * on Windows) resumes a faulting probe at a return of 1. Unlike __except, resuming runs the
 * vectored continue handlers. */
#include "kernel32_private.h"

#define PROBE_PAGE_SIZE 0x1000

/* Each reads (or writes back) one byte at ADDRESS and returns 0, or 1 when that raised an
 * exception. */
typedef ULONG (*Probe)(volatile VOID* address);
ULONG ntoy_probe_read(volatile VOID* address);
ULONG ntoy_probe_write(volatile VOID* address);
extern const BYTE ntoy_probe_read_access[];
extern const BYTE ntoy_probe_write_access[];
extern const BYTE ntoy_probe_fault[];

/* clang-format off */
__asm__("\t.text\n"
        "\t.p2align 4\n"
        "ntoy_probe_read:\n"
        "ntoy_probe_read_access:\n"
        "\tmovzbl (%rcx), %eax\n"
        "\txorl %eax, %eax\n"
        "\tret\n"
        "ntoy_probe_write:\n"
        "ntoy_probe_write_access:\n"
        "\tlock orb $0, (%rcx)\n" /* a write that leaves the byte as it was, atomically */
        "\txorl %eax, %eax\n"
        "\tret\n"
        "ntoy_probe_fault:\n"
        "\tmovl $1, %eax\n"
        "\tret\n");
/* clang-format on */

static LONG probe_handler(PEXCEPTION_POINTERS pointers) {
    PCONTEXT context = pointers->ContextRecord;
    if (context->Rip != (DWORD64)ntoy_probe_read_access &&
        context->Rip != (DWORD64)ntoy_probe_write_access) {
        return EXCEPTION_CONTINUE_SEARCH;
    }
    /* The probes are leaf functions: the return address is on top of the stack. */
    context->Rip = (DWORD64)ntoy_probe_fault;
    return EXCEPTION_CONTINUE_EXECUTION;
}

static PVOID volatile probe_handler_handle;

static BOOL ensure_probe_handler(void) {
    if (__atomic_load_n(&probe_handler_handle, __ATOMIC_ACQUIRE) != NULL) {
        return TRUE;
    }
    PVOID handle = RtlAddVectoredExceptionHandler(0, probe_handler);
    if (handle == NULL) {
        return FALSE;
    }
    PVOID expected = NULL;
    if (!__atomic_compare_exchange_n(&probe_handler_handle, &expected, handle, FALSE,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        RtlRemoveVectoredExceptionHandler(handle); /* another thread's came first */
    }
    return TRUE;
}

/* Whether touching [first, first + ucb) with PROBE raises an exception. */
static BOOL is_bad_range(ULONG_PTR first, UINT_PTR ucb, Probe probe) {
    if (ucb == 0) {
        return FALSE;
    }
    if (first == 0) {
        return TRUE;
    }
    ULONG_PTR last = first + ucb - 1;
    if (last < first) { /* wraps around the address space */
        return TRUE;
    }
    /* Without the handler a bad pointer would end the process: call it bad. */
    if (!ensure_probe_handler()) {
        return TRUE;
    }
    if (probe((volatile VOID*)first) != 0) {
        return TRUE;
    }
    for (ULONG_PTR page = (first & ~(ULONG_PTR)(PROBE_PAGE_SIZE - 1)) + PROBE_PAGE_SIZE;
         page <= last; page += PROBE_PAGE_SIZE) {
        if (probe((volatile VOID*)page) != 0) {
            return TRUE;
        }
        if (last - page < PROBE_PAGE_SIZE) {
            break;
        }
    }
    return probe((volatile VOID*)last) != 0;
}

BOOL IsBadReadPtr(const VOID* lp, UINT_PTR ucb) {
    return is_bad_range((ULONG_PTR)lp, ucb, ntoy_probe_read);
}

BOOL IsBadWritePtr(LPVOID lp, UINT_PTR ucb) {
    return is_bad_range((ULONG_PTR)lp, ucb, ntoy_probe_write);
}

/* Whether one byte at the procedure can be read; like Windows, execute rights are not
 * checked. */
BOOL IsBadCodePtr(FARPROC lpfn) {
    return is_bad_range((ULONG_PTR)(VOID*)lpfn, 1, ntoy_probe_read);
}
