/* __C_specific_handler: the language handler of C's structured exception handling, for code
 * whose unwind info carries a SCOPE_TABLE (MSVC's __try, mingw's __try1/__except1 and
 * hand-written .seh_handler tables). While an exception is dispatched it runs the filters of
 * the scopes that contain the pc, innermost first: EXCEPTION_CONTINUE_EXECUTION resumes,
 * EXCEPTION_EXECUTE_HANDLER unwinds to the scope's __except block (RtlUnwindEx, with the
 * exception code in RAX), EXCEPTION_CONTINUE_SEARCH tries the next. While unwinding it runs
 * the __finally blocks of the scopes the unwind leaves, stopping at the target's scope. */
#include "unwind.h"

typedef LONG (*PEXCEPTION_FILTER)(EXCEPTION_POINTERS* ExceptionPointers, PVOID EstablisherFrame);
typedef VOID (*PTERMINATION_HANDLER)(BOOLEAN AbnormalTermination, PVOID EstablisherFrame);

EXCEPTION_DISPOSITION __C_specific_handler(PEXCEPTION_RECORD ExceptionRecord,
                                           PVOID EstablisherFrame, PCONTEXT ContextRecord,
                                           PDISPATCHER_CONTEXT DispatcherContext) {
    const SCOPE_TABLE_AMD64* table = DispatcherContext->HandlerData;
    DWORD64 base = DispatcherContext->ImageBase;
    DWORD pc = (DWORD)(DispatcherContext->ControlPc - base);
    if ((ExceptionRecord->ExceptionFlags & EXCEPTION_UNWIND) == 0) {
        for (DWORD i = DispatcherContext->ScopeIndex; i < table->Count; ++i) {
            const DWORD begin = table->ScopeRecord[i].BeginAddress;
            const DWORD end = table->ScopeRecord[i].EndAddress;
            const DWORD filter = table->ScopeRecord[i].HandlerAddress;
            const DWORD target = table->ScopeRecord[i].JumpTarget;
            if (pc < begin || pc >= end || target == 0) {
                continue; /* another scope, or a __finally */
            }
            LONG verdict = 1; /* HandlerAddress 1 is a filter that always says "execute" */
            if (filter != 1) {
                EXCEPTION_POINTERS pointers = {ExceptionRecord, ContextRecord};
                verdict = ((PEXCEPTION_FILTER)(base + filter))(&pointers, EstablisherFrame);
            }
            if (verdict < 0) {
                return ExceptionContinueExecution;
            }
            if (verdict > 0) {
                RtlUnwindEx(EstablisherFrame, (PVOID)(base + target), ExceptionRecord,
                            (PVOID)(ULONG_PTR)ExceptionRecord->ExceptionCode,
                            DispatcherContext->ContextRecord, DispatcherContext->HistoryTable);
            }
        }
        return ExceptionContinueSearch;
    }
    DWORD target_pc = (DWORD)(DispatcherContext->TargetIp - base);
    for (DWORD i = DispatcherContext->ScopeIndex; i < table->Count; ++i) {
        const DWORD begin = table->ScopeRecord[i].BeginAddress;
        const DWORD end = table->ScopeRecord[i].EndAddress;
        if (pc < begin || pc >= end) {
            continue;
        }
        if (ExceptionRecord->ExceptionFlags & EXCEPTION_TARGET_UNWIND) {
            /* The unwind ends in this function: scopes that also contain the target are not
             * left, so their handlers do not run. */
            BOOLEAN target_inside = FALSE;
            for (DWORD t = 0; t < table->Count && !target_inside; ++t) {
                target_inside =
                    target_pc >= table->ScopeRecord[t].BeginAddress &&
                    target_pc < table->ScopeRecord[t].EndAddress &&
                    table->ScopeRecord[t].JumpTarget == table->ScopeRecord[i].JumpTarget &&
                    table->ScopeRecord[t].HandlerAddress == table->ScopeRecord[i].HandlerAddress;
            }
            if (target_inside) {
                break;
            }
        }
        if (table->ScopeRecord[i].JumpTarget != 0) {
            if (target_pc == table->ScopeRecord[i].JumpTarget &&
                (ExceptionRecord->ExceptionFlags & EXCEPTION_TARGET_UNWIND)) {
                break; /* the __except block the unwind goes to */
            }
        } else {
            /* A __finally: run it once, abnormally, and go on past it. */
            DispatcherContext->ScopeIndex = i + 1;
            ((PTERMINATION_HANDLER)(base + table->ScopeRecord[i].HandlerAddress))(TRUE,
                                                                                  EstablisherFrame);
        }
    }
    return ExceptionContinueSearch;
}
