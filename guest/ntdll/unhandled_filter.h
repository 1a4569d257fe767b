/* ntdll-internal: the outermost frame of every thread, whose handler runs the top-level
 * exception filter (unhandled_filter.c). */
#ifndef NTOY_NTDLL_UNHANDLED_FILTER_H
#define NTOY_NTDLL_UNHANDLED_FILTER_H

#include "ntoy/ntdll_exports.h"

#define EXCEPTION_EXECUTE_HANDLER_VALUE 1

/* Returns START(ARGUMENT); an exception nothing below handles reaches the top-level filter. */
DWORD ntoy_run_thread_start(PTHREAD_START_ROUTINE start, PVOID argument);

#endif
