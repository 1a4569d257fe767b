/* KiUserExceptionDispatcher: where the kernel resumes a thread that took an exception.
 *
 * The kernel has pushed the thread's state onto its user stack and pointed RIP here:
 *
 *     RSP + 0x000  CONTEXT           (0x4D0 bytes; RSP is 16-byte aligned)
 *     RSP + 0x4F0  EXCEPTION_RECORD  (0x98 bytes)
 *
 * which is the Windows x64 frame (the 0x20 bytes between them are Windows' CONTEXT_EX
 * area). The entry is assembly because nothing here was called: there is no return address
 * and the alignment is the kernel's. It passes the two records to the C dispatcher, which
 * runs the vectored handlers and then resumes the thread with NtContinue or hands the
 * exception back to the kernel with NtRaiseException, second chance, which ends the process
 * with the exception code. Neither returns unless its arguments are bad. */
#include "ntoy/nt_status.h"
#include "ntoy/ntdll_exports.h"
#include "unhandled_filter.h"
#include "vectored_handlers.h"

#define NTOY_DISPATCHER_RECORD_OFFSET 0x4F0
_Static_assert(NTOY_DISPATCHER_RECORD_OFFSET >= sizeof(CONTEXT), "record overlaps the context");
_Static_assert(NTOY_DISPATCHER_RECORD_OFFSET % 16 == 0, "record misaligned");

#define NTOY_STRINGIFY_VALUE(x) #x
#define NTOY_STRINGIFY(x) NTOY_STRINGIFY_VALUE(x)

__attribute__((noreturn, used)) void ntoy_dispatch_user_exception(PEXCEPTION_RECORD record,
                                                                  PCONTEXT context);

/* The C dispatcher gets 32 bytes of home space below the context; RSP stays 16-byte aligned
 * at the call, so the callee sees the usual RSP = 8 (mod 16). */
__asm__("\t.text\n"
        "\t.p2align 4\n"
        "\t.globl KiUserExceptionDispatcher\n"
        "\t.def KiUserExceptionDispatcher; .scl 2; .type 32; .endef\n"
        "KiUserExceptionDispatcher:\n"
        "\tcld\n"
        "\tleaq " NTOY_STRINGIFY(NTOY_DISPATCHER_RECORD_OFFSET) "(%rsp), %rcx\n"
        "\tmovq %rsp, %rdx\n"
        "\tsubq $0x20, %rsp\n"
        "\tcall ntoy_dispatch_user_exception\n"
        "\tud2\n");

void ntoy_dispatch_user_exception(PEXCEPTION_RECORD record, PCONTEXT context) {
    EXCEPTION_POINTERS pointers = {record, context};
    NTSTATUS status;
    /* The vectored handlers, then the top-level filter (which on Windows the outermost
     * frame's handler calls, after every other frame declined). */
    BOOLEAN resume = ntoy_call_vectored_exception_handlers(&pointers);
    if (!resume &&
        ntoy_call_unhandled_exception_filter(&pointers) == EXCEPTION_CONTINUE_EXECUTION) {
        if (record->ExceptionFlags & EXCEPTION_NONCONTINUABLE) {
            /* As RtlDispatchException for a frame handler: resuming what cannot be resumed is
             * STATUS_NONCONTINUABLE_EXCEPTION, with the original as its cause. Nothing can
             * resume that either, so it goes to the kernel as unhandled. */
            EXCEPTION_RECORD nested = {0};
            nested.ExceptionCode = (DWORD)STATUS_NONCONTINUABLE_EXCEPTION;
            nested.ExceptionFlags = EXCEPTION_NONCONTINUABLE;
            nested.ExceptionRecord = record;
            nested.ExceptionAddress = record->ExceptionAddress;
            status = NtRaiseException(&nested, context, FALSE);
            for (;;) {
                NtTerminateProcess(NtCurrentProcess(), status);
            }
        }
        resume = TRUE;
    }
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
