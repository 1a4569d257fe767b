/* ntdll-internal: the x64 unwinder's exports (unwind.c, c_specific_handler.c) and the
 * frame-based half of exception dispatch. */
#ifndef NTOY_NTDLL_UNWIND_H
#define NTOY_NTDLL_UNWIND_H

#include "ntoy/ntdll_exports.h"
#include "ntoy/unwind_types.h"

#define STATUS_UNWIND ((NTSTATUS)0xC0000027L)
#define STATUS_BAD_STACK ((NTSTATUS)0xC0000028L)
#define STATUS_INVALID_UNWIND_TARGET ((NTSTATUS)0xC0000029L)

VOID RtlCaptureContext(PCONTEXT ContextRecord);
PRUNTIME_FUNCTION RtlLookupFunctionEntry(DWORD64 ControlPc, PDWORD64 ImageBase,
                                         PUNWIND_HISTORY_TABLE HistoryTable);
PEXCEPTION_ROUTINE RtlVirtualUnwind(DWORD HandlerType, DWORD64 ImageBase, DWORD64 ControlPc,
                                    PRUNTIME_FUNCTION FunctionEntry, PCONTEXT ContextRecord,
                                    PVOID* HandlerData, PDWORD64 EstablisherFrame,
                                    PKNONVOLATILE_CONTEXT_POINTERS ContextPointers);
VOID RtlUnwindEx(PVOID TargetFrame, PVOID TargetIp, PEXCEPTION_RECORD ExceptionRecord,
                 PVOID ReturnValue, PCONTEXT ContextRecord, PUNWIND_HISTORY_TABLE HistoryTable);
VOID RtlUnwind(PVOID TargetFrame, PVOID TargetIp, PEXCEPTION_RECORD ExceptionRecord,
               PVOID ReturnValue);
BOOLEAN RtlAddFunctionTable(PRUNTIME_FUNCTION FunctionTable, DWORD EntryCount, DWORD64 BaseAddress);
BOOLEAN RtlDeleteFunctionTable(PRUNTIME_FUNCTION FunctionTable);
EXCEPTION_DISPOSITION __C_specific_handler(PEXCEPTION_RECORD ExceptionRecord,
                                           PVOID EstablisherFrame, PCONTEXT ContextRecord,
                                           PDISPATCHER_CONTEXT DispatcherContext);

/* Where the unwinder runs (ntdll/unwind_user.c for user mode, ntoskrnl/exceptions.c for
 * kernel mode): the current stack's bounds; a context resumed; the end of a thread whose exit
 * unwind ran every handler; the end when even raising a status failed. */
void ntoy_unwind_stack_bounds(DWORD64* limit, DWORD64* base);
__attribute__((noreturn)) void ntoy_unwind_resume(PCONTEXT context);
__attribute__((noreturn)) void ntoy_unwind_exit(NTSTATUS status);
__attribute__((noreturn)) void ntoy_unwind_give_up(NTSTATUS status);
/* RtlRaiseException's second half (raise_exception.c has the capture): dispatches RECORD,
 * raised with the caller's CONTEXT; does not return unless the exception is continued. */
__attribute__((used)) void ntoy_raise_with_context(PEXCEPTION_RECORD record, PCONTEXT context);

/* The entry for RVA in a sorted function table (an image's .pdata), following indirect
 * entries; NULL if none covers it. */
PRUNTIME_FUNCTION ntoy_search_function_table(PRUNTIME_FUNCTION entries, DWORD count, DWORD rva,
                                             DWORD64 base);

/* RtlDispatchException's frame walk: from CONTEXT (the exception's), each frame's exception
 * handler in turn. TRUE when one said ExceptionContinueExecution (resume CONTEXT); FALSE when
 * none took it. A handler that executes an __except block does not return here. */
BOOLEAN ntoy_dispatch_to_frames(PEXCEPTION_RECORD record, PCONTEXT context);

#endif
