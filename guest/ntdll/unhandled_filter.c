/* The process's top-level exception filter, which an exception reaches when nothing else
 * handled it (RtlSetUnhandledExceptionFilter; kernel32 installs its UnhandledExceptionFilter
 * here, which runs the program's SetUnhandledExceptionFilter filter).
 *
 * On Windows the filter is called from the __except of RtlUserThreadStart, the outermost
 * frame of every thread; its verdict decides: EXCEPTION_EXECUTE_HANDLER ends the process with
 * the exception code, EXCEPTION_CONTINUE_EXECUTION resumes the faulting context, and
 * EXCEPTION_CONTINUE_SEARCH lets the exception go unhandled, which on ntoy is the kernel's
 * one-line report and exit status (docs/exit-status.md). */
#include "unhandled_filter.h"

#include "ntoy/nt_status.h"

static PVECTORED_EXCEPTION_HANDLER top_level_filter;

VOID RtlSetUnhandledExceptionFilter(PVECTORED_EXCEPTION_HANDLER TopLevelExceptionFilter) {
    __atomic_store_n(&top_level_filter, TopLevelExceptionFilter, __ATOMIC_RELEASE);
}

LONG ntoy_call_unhandled_exception_filter(PEXCEPTION_POINTERS pointers) {
    PVECTORED_EXCEPTION_HANDLER filter = __atomic_load_n(&top_level_filter, __ATOMIC_ACQUIRE);
    if (filter == NULL) {
        return EXCEPTION_CONTINUE_SEARCH;
    }
    LONG verdict = filter(pointers);
    if (verdict == EXCEPTION_EXECUTE_HANDLER_VALUE) {
        /* The __except block of the thread's outermost frame: the process ends with the
         * exception's code. */
        for (;;) {
            NtTerminateProcess(NtCurrentProcess(),
                               (NTSTATUS)pointers->ExceptionRecord->ExceptionCode);
        }
    }
    return verdict == EXCEPTION_CONTINUE_EXECUTION ? EXCEPTION_CONTINUE_EXECUTION
                                                   : EXCEPTION_CONTINUE_SEARCH;
}
