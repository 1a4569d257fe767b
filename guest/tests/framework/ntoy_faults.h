/* Faulting accesses a test survives: small assembly probes, each one access, and a vectored
 * exception handler that records every exception and then
 *   - for STATUS_GUARD_PAGE_VIOLATION, continues: the access is retried, as a program that
 *     expects guard pages does;
 *   - for any other exception raised inside a probe (or by code a probe called), returns from
 *     the probe with PROBE_FAULTED in RAX, by editing the CONTEXT: RIP = the return address
 *     at RSP, RSP + 8;
 *   - for anything else, declines (the process then ends with the exception code).
 * Include once per program. */
#ifndef NTOY_TESTS_FRAMEWORK_NTOY_FAULTS_H
#define NTOY_TESTS_FRAMEWORK_NTOY_FAULTS_H

#include <windows.h>

#define PROBE_FAULTED 0xFA17FA17FA17FA17ull

/* Each probe is a leaf whose first memory access or trapping instruction is the one under
 * test, so the handler can return from it whatever RIP the exception reports. */
__asm__(
    "\t.text\n"
    "\t.p2align 4\n"
    "probe_code_start:\n"
    /* probe_read8(address): the byte at address */
    "probe_read8:\n"
    "\tmovzbl (%rcx), %eax\n"
    "\tret\n"
    /* probe_write8(address, value): 0 */
    "probe_write8:\n"
    "\tmovb %dl, (%rcx)\n"
    "\txorl %eax, %eax\n"
    "\tret\n"
    /* probe_ud2(): never returns normally */
    "probe_ud2:\n"
    "\tud2\n"
    "\tret\n"
    /* probe_int3(): 0 if a handler resumes after the breakpoint */
    "probe_int3:\n"
    "\tint3\n"
    "\txorl %eax, %eax\n"
    "\tret\n"
    /* probe_divide(divisor): 1 / divisor */
    "probe_divide:\n"
    "\tmovl $1, %eax\n"
    "\txorl %edx, %edx\n"
    "\tdivl %ecx\n"
    "\tret\n"
    "probe_code_end:\n"
    /* probe_call_code(address): calls code at address and returns its RAX. An execute fault has
     * RIP = address and RSP at the return address into here. */
    "\t.p2align 4\n"
    "probe_call_code:\n"
    "\tsubq $40, %rsp\n"
    "\tcallq *%rcx\n"
    "\taddq $40, %rsp\n"
    "\tret\n"
    /* probe_read8_with_stack(rsp, address): probe_read8(address) run with RSP set to rsp
     * (16-byte aligned, inside the committed stack), so that an exception is dispatched
     * right there. */
    "\t.p2align 4\n"
    "probe_read8_with_stack:\n"
    "\tpushq %rbp\n"
    "\tmovq %rsp, %rbp\n"
    "\tmovq %rcx, %rsp\n"
    "\tmovq %rdx, %rcx\n"
    "\tsubq $32, %rsp\n"
    "\tcallq probe_read8\n"
    "\tmovq %rbp, %rsp\n"
    "\tpopq %rbp\n"
    "\tret\n");

extern char probe_code_start[], probe_code_end[];
ULONG_PTR probe_read8(ULONG_PTR address);
ULONG_PTR probe_write8(ULONG_PTR address, ULONG_PTR value);
ULONG_PTR probe_ud2(void);
ULONG_PTR probe_int3(void);
ULONG_PTR probe_divide(ULONG_PTR divisor);
ULONG_PTR probe_read8_with_stack(ULONG_PTR rsp, ULONG_PTR address);
ULONG_PTR probe_call_code(ULONG_PTR address);

/* What the handler saw, for the last exception and in total. */
typedef struct FaultLog {
    LONG count;
    DWORD code;
    DWORD number_parameters;
    ULONG_PTR information0;
    ULONG_PTR information1;
    ULONG_PTR exception_address;
    ULONG_PTR context_rip;
} FaultLog;

static volatile FaultLog fault_log;
/* The code address probe_call is calling: an execute fault there is the probe's. */
static volatile ULONG_PTR fault_call_target;

static inline void fault_reset(void) {
    fault_log.count = 0;
    fault_log.code = 0;
    fault_log.number_parameters = 0;
    fault_log.information0 = 0;
    fault_log.information1 = 0;
    fault_log.exception_address = 0;
    fault_log.context_rip = 0;
}

static LONG WINAPI fault_handler(EXCEPTION_POINTERS* pointers) {
    const EXCEPTION_RECORD* record = pointers->ExceptionRecord;
    CONTEXT* context = pointers->ContextRecord;
    fault_log.count = fault_log.count + 1;
    fault_log.code = record->ExceptionCode;
    fault_log.number_parameters = record->NumberParameters;
    fault_log.information0 = record->NumberParameters > 0 ? record->ExceptionInformation[0] : 0;
    fault_log.information1 = record->NumberParameters > 1 ? record->ExceptionInformation[1] : 0;
    fault_log.exception_address = (ULONG_PTR)record->ExceptionAddress;
    fault_log.context_rip = context->Rip;
    if (record->ExceptionCode == STATUS_GUARD_PAGE_VIOLATION) {
        return EXCEPTION_CONTINUE_EXECUTION;
    }
    BOOL in_probe =
        context->Rip >= (ULONG_PTR)probe_code_start && context->Rip < (ULONG_PTR)probe_code_end;
    if (!in_probe && (fault_call_target == 0 || context->Rip != fault_call_target)) {
        return EXCEPTION_CONTINUE_SEARCH;
    }
    context->Rip = *(ULONG_PTR*)context->Rsp;
    context->Rsp += 8;
    context->Rax = PROBE_FAULTED;
    return EXCEPTION_CONTINUE_EXECUTION;
}

static inline ULONG_PTR probe_call(ULONG_PTR address) {
    fault_call_target = address;
    ULONG_PTR result = probe_call_code(address);
    fault_call_target = 0;
    return result;
}

/* Commits 96 KB of the thread's stack below the caller by touching it page by page
 * (___chkstk_ms probes every page of a frame this big), so that the stack need not grow
 * while an exception is being dispatched: vm_stack_exception.c tests that case alone. */
static __attribute__((noinline)) void fault_grow_stack(void) {
    volatile unsigned char pad[96 * 1024];
    pad[0] = 0;
    pad[sizeof(pad) - 1] = 0;
}

/* Installs the handler first in the list. */
static inline BOOL fault_install(void) {
    fault_grow_stack();
    fault_reset();
    return AddVectoredExceptionHandler(1, fault_handler) != NULL;
}

#endif
