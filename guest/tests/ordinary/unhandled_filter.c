/* The top-level exception filter (SetUnhandledExceptionFilter) runs before the process dies
 * of an exception nothing handled, and its verdict decides what happens, as on Windows:
 *
 *   unhandled_filter continue   the filter skips the faulting ud2 and returns
 *                               EXCEPTION_CONTINUE_EXECUTION: the program runs on (exit 0)
 *   unhandled_filter execute    EXCEPTION_EXECUTE_HANDLER: the process ends with the exception
 *                               code as its exit code (0xC000001D), no report
 *   unhandled_filter search     EXCEPTION_CONTINUE_SEARCH: the default ending (on ntoy the
 *                               kernel's one-line report and exit status 128 + 0x1D)
 *
 * Each prints what the filter saw. Without an argument it checks the API's return values. */
#include <windows.h>

#include "../framework/ntoy_test.h"

static LONG verdict;
static LONG calls;

static LONG WINAPI filter(EXCEPTION_POINTERS* pointers) {
    ++calls;
    print_str("filter ran: code ");
    print_hex(pointers->ExceptionRecord->ExceptionCode);
    print_str("\n");
    if (verdict == EXCEPTION_CONTINUE_EXECUTION) {
        pointers->ContextRecord->Rip += 2; /* past the ud2 */
    }
    return verdict;
}

static LONG WINAPI other_filter(EXCEPTION_POINTERS* pointers) {
    (void)pointers;
    return EXCEPTION_EXECUTE_HANDLER;
}

static void illegal_instruction(void) {
    __asm__ volatile("ud2");
}

static int api_checks(void) {
    CHECK_EQ("the first SetUnhandledExceptionFilter returns NULL",
             (ULONG_PTR)SetUnhandledExceptionFilter(filter), 0);
    CHECK_EQ("the next returns the previous filter",
             (ULONG_PTR)SetUnhandledExceptionFilter(other_filter), (ULONG_PTR)filter);
    EXCEPTION_RECORD record;
    record.ExceptionCode = EXCEPTION_BREAKPOINT;
    record.ExceptionFlags = 0;
    record.ExceptionRecord = NULL;
    record.ExceptionAddress = NULL;
    record.NumberParameters = 0;
    CONTEXT context;
    EXCEPTION_POINTERS pointers = {&record, &context};
    CHECK_DEC("UnhandledExceptionFilter returns the filter's EXCEPTION_EXECUTE_HANDLER",
              UnhandledExceptionFilter(&pointers), EXCEPTION_EXECUTE_HANDLER);
    verdict = EXCEPTION_CONTINUE_EXECUTION;
    SetUnhandledExceptionFilter(filter);
    calls = 0;
    illegal_instruction();
    CHECK_DEC("EXCEPTION_CONTINUE_EXECUTION resumes: the filter ran once", calls, 1);
    CHECK_EQ("SetUnhandledExceptionFilter(NULL) returns ours",
             (ULONG_PTR)SetUnhandledExceptionFilter(NULL), (ULONG_PTR)filter);
    return test_done();
}

int start(void) {
    char mode[16];
    if (!get_argument(1, mode, sizeof(mode))) {
        return api_checks();
    }
    if (test_string_equal(mode, "continue")) {
        verdict = EXCEPTION_CONTINUE_EXECUTION;
    } else if (test_string_equal(mode, "execute")) {
        verdict = EXCEPTION_EXECUTE_HANDLER;
    } else {
        verdict = EXCEPTION_CONTINUE_SEARCH;
    }
    SetUnhandledExceptionFilter(filter);
    illegal_instruction();
    print_str("ran on after the exception\n");
    return 0;
}
