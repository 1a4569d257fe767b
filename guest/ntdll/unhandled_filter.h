/* ntdll-internal: the handler of every thread's outermost frame (RtlUserThreadStart), which
 * runs the top-level exception filter (unhandled_filter.c). */
#ifndef NTOY_NTDLL_UNHANDLED_FILTER_H
#define NTOY_NTDLL_UNHANDLED_FILTER_H

#include "ntoy/ntdll_exports.h"

#define EXCEPTION_EXECUTE_HANDLER_VALUE 1

#endif
