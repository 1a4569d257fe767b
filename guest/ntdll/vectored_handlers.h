/* ntdll-internal: running the registered vectored exception and continue handlers. */
#ifndef NTOY_NTDLL_VECTORED_HANDLERS_H
#define NTOY_NTDLL_VECTORED_HANDLERS_H

#include "ntoy/nt_types.h"

/* Calls the vectored exception handlers in order until one returns
 * EXCEPTION_CONTINUE_EXECUTION; returns whether one did. */
BOOLEAN ntoy_call_vectored_exception_handlers(PEXCEPTION_POINTERS pointers);

/* Calls the vectored continue handlers in order until one returns
 * EXCEPTION_CONTINUE_EXECUTION. */
VOID ntoy_call_vectored_continue_handlers(PEXCEPTION_POINTERS pointers);

#endif
