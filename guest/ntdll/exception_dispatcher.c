/* KiUserExceptionDispatcher: where the kernel resumes a thread that took an exception in user
 * mode (exception_entry.h has the frame). The C half runs the vectored handlers and the frames'
 * handlers and then resumes the thread with NtContinue or hands the exception back to the
 * kernel with NtRaiseException, second chance, which ends the process with the exception code.
 * Neither returns unless its arguments are bad. */
#include "ntoy/ntdll_exports.h"
#include "vectored_handlers.h"

#define NTOY_EXCEPTION_ENTRY "KiUserExceptionDispatcher"
#include "exception_entry.h"

void ntoy_dispatch_exception(PEXCEPTION_RECORD record, PCONTEXT context) {
    EXCEPTION_POINTERS pointers = {record, context};
    NTSTATUS status;
    /* The vectored handlers, then each frame's handler from the faulting one outwards
     * (RtlDispatchException); the outermost frame of every thread runs the top-level filter
     * (unhandled_filter.c). */
    BOOLEAN resume = ntoy_call_vectored_exception_handlers(&pointers) ||
                     ntoy_dispatch_to_frames(record, context);
    if (resume) {
        ntoy_call_vectored_continue_handlers(&pointers);
        status = NtContinue(context, FALSE);
    } else {
        status = NtRaiseException(record, context, FALSE);
    }
    /* Only a context or record the kernel refuses gets here; nothing can resume the thread. */
    for (;;) {
        NtTerminateProcess(NtCurrentProcess(), status);
    }
}
