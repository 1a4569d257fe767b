/* SetUnhandledExceptionFilter and UnhandledExceptionFilter: the program's top-level filter,
 * which runs before the process dies of an exception nothing else handled.
 *
 * As on Windows, ntdll calls kernel32's UnhandledExceptionFilter last (installed with
 * RtlSetUnhandledExceptionFilter the first time a program sets a filter; before that it would
 * have nothing to call). UnhandledExceptionFilter runs the program's filter; whatever that
 * returns other than EXCEPTION_CONTINUE_SEARCH is the verdict. Without a filter, or when it
 * passes the exception on, the default ending on Windows is Windows Error Reporting; on ntoy
 * it is the kernel's one-line report and exit status, which EXCEPTION_CONTINUE_SEARCH gives. */
#include "kernel32_private.h"

static LPTOP_LEVEL_EXCEPTION_FILTER program_filter;
static LONG installed;

LPTOP_LEVEL_EXCEPTION_FILTER SetUnhandledExceptionFilter(
    LPTOP_LEVEL_EXCEPTION_FILTER lpTopLevelExceptionFilter) {
    if (__atomic_exchange_n(&installed, 1, __ATOMIC_ACQ_REL) == 0) {
        RtlSetUnhandledExceptionFilter(UnhandledExceptionFilter);
    }
    return __atomic_exchange_n(&program_filter, lpTopLevelExceptionFilter, __ATOMIC_ACQ_REL);
}

LONG UnhandledExceptionFilter(struct _EXCEPTION_POINTERS* ExceptionInfo) {
    LPTOP_LEVEL_EXCEPTION_FILTER filter = __atomic_load_n(&program_filter, __ATOMIC_ACQUIRE);
    if (filter != NULL) {
        LONG verdict = filter(ExceptionInfo);
        if (verdict == EXCEPTION_EXECUTE_HANDLER || verdict == EXCEPTION_CONTINUE_EXECUTION) {
            return verdict;
        }
    }
    return EXCEPTION_CONTINUE_SEARCH;
}
