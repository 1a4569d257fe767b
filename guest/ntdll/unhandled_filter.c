/* The process's top-level exception filter and the outermost frame of every thread.
 *
 * As on Windows, RtlUserThreadStart (thread_start.c) runs the thread's start routine inside
 * a frame whose exception handler, this file's, calls the top-level filter
 * (RtlSetUnhandledExceptionFilter; kernel32 installs its UnhandledExceptionFilter, which runs the
 * program's SetUnhandledExceptionFilter filter). An exception reaches it when no frame below
 * handled it; the filter's verdict decides: EXCEPTION_EXECUTE_HANDLER unwinds the thread's frames
 * (their __finally blocks and destructors run) and ends the process with the exception code,
 * EXCEPTION_CONTINUE_EXECUTION resumes the exception's context, and EXCEPTION_CONTINUE_SEARCH lets
 * the exception go unhandled, which on ntoy is the kernel's one-line report and exit status
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
