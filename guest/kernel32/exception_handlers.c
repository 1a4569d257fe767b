/* Vectored exception and continue handlers live in ntdll, which runs them when an
 * exception is dispatched; kernel32's functions hand over to it (on Windows they are export
 * forwarders to the same ntdll functions). */
#include "kernel32_private.h"

PVOID AddVectoredExceptionHandler(ULONG First, PVECTORED_EXCEPTION_HANDLER Handler) {
    return RtlAddVectoredExceptionHandler(First, Handler);
}

ULONG RemoveVectoredExceptionHandler(PVOID Handle) {
    return RtlRemoveVectoredExceptionHandler(Handle);
}

PVOID AddVectoredContinueHandler(ULONG First, PVECTORED_EXCEPTION_HANDLER Handler) {
    return RtlAddVectoredContinueHandler(First, Handler);
}

ULONG RemoveVectoredContinueHandler(PVOID Handle) {
    return RtlRemoveVectoredContinueHandler(Handle);
}
