/* The process's top-level exception filter and the outermost frame of every thread.
 *
 * As on Windows, RtlUserThreadStart runs the thread's start routine inside a frame whose
 * exception handler calls the top-level filter (RtlSetUnhandledExceptionFilter; kernel32
 * installs its UnhandledExceptionFilter, which runs the program's SetUnhandledExceptionFilter
 * filter). An exception reaches it when no frame below handled it; the filter's verdict
 * decides: EXCEPTION_EXECUTE_HANDLER unwinds the thread's frames (their __finally blocks and
 * destructors run) and ends the process with the exception code, EXCEPTION_CONTINUE_EXECUTION
 * resumes the exception's context, and EXCEPTION_CONTINUE_SEARCH lets the exception go
 * unhandled, which on ntoy is the kernel's one-line report and exit status
 * (docs/exit-status.md). */
#include "unhandled_filter.h"

#include "ntoy/nt_status.h"
#include "unwind.h"

static PVECTORED_EXCEPTION_HANDLER top_level_filter;

VOID RtlSetUnhandledExceptionFilter(PVECTORED_EXCEPTION_HANDLER TopLevelExceptionFilter) {
    __atomic_store_n(&top_level_filter, TopLevelExceptionFilter, __ATOMIC_RELEASE);
}

EXCEPTION_DISPOSITION ntoy_thread_start_handler(PEXCEPTION_RECORD record, PVOID frame,
                                                PCONTEXT context, PDISPATCHER_CONTEXT dispatch);
extern const BYTE ntoy_thread_start_except[];

/* start(argument) in a frame with ntoy_thread_start_handler as its exception handler; the
 * handler unwinds to ntoy_thread_start_except, which ends the process with the code in RAX.
 * The nop keeps the return address inside the function. */
__asm__(
    "\t.text\n"
    "\t.p2align 4\n"
    "\t.globl ntoy_run_thread_start\n"
    "\t.def ntoy_run_thread_start; .scl 2; .type 32; .endef\n"
    "\t.seh_proc ntoy_run_thread_start\n"
    "ntoy_run_thread_start:\n"
    "\tsubq $0x28, %rsp\n"
    "\t.seh_stackalloc 0x28\n"
    "\t.seh_endprologue\n"
    "\t.seh_handler ntoy_thread_start_handler, @except\n"
    "\tmovq %rcx, %rax\n"
    "\tmovq %rdx, %rcx\n"
    "\tcall *%rax\n"
    "\tnop\n"
    "\taddq $0x28, %rsp\n"
    "\tret\n"
    "\t.globl ntoy_thread_start_except\n"
    "ntoy_thread_start_except:\n"
    "\tmovl %eax, %edx\n"
    "\tmovq $-1, %rcx\n"
    "\tcall NtTerminateProcess\n"
    "\tud2\n"
    "\t.seh_endproc\n");

EXCEPTION_DISPOSITION ntoy_thread_start_handler(PEXCEPTION_RECORD record, PVOID frame,
                                                PCONTEXT context, PDISPATCHER_CONTEXT dispatch) {
    if (record->ExceptionFlags & EXCEPTION_UNWIND) {
        return ExceptionContinueSearch;
    }
    PVECTORED_EXCEPTION_HANDLER filter = __atomic_load_n(&top_level_filter, __ATOMIC_ACQUIRE);
    if (filter == NULL) {
        return ExceptionContinueSearch;
    }
    EXCEPTION_POINTERS pointers = {record, context};
    LONG verdict = filter(&pointers);
    if (verdict == EXCEPTION_EXECUTE_HANDLER_VALUE) {
        RtlUnwindEx(frame, (PVOID)ntoy_thread_start_except, record,
                    (PVOID)(ULONG_PTR)record->ExceptionCode, dispatch->ContextRecord,
                    dispatch->HistoryTable);
    }
    return verdict == EXCEPTION_CONTINUE_EXECUTION ? ExceptionContinueExecution
                                                   : ExceptionContinueSearch;
}
