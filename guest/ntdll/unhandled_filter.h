/* ntdll-internal: the top-level exception filter (unhandled_filter.c). */
#ifndef NTOY_NTDLL_UNHANDLED_FILTER_H
#define NTOY_NTDLL_UNHANDLED_FILTER_H

#include "ntoy/ntdll_exports.h"

#define EXCEPTION_EXECUTE_HANDLER_VALUE 1

/* Runs the filter for an exception nothing handled. It does not return if the filter says
 * EXCEPTION_EXECUTE_HANDLER (the process ends with the exception code); otherwise it returns
 * EXCEPTION_CONTINUE_EXECUTION or EXCEPTION_CONTINUE_SEARCH (also when no filter is set). */
LONG ntoy_call_unhandled_exception_filter(PEXCEPTION_POINTERS pointers);

#endif
