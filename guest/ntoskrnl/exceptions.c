/* Kernel-mode structured exception handling: the table-based x64 unwinder of ntdll
 * (ntdll/unwind.c, c_specific_handler.c, raise_exception.c, compiled in here too) on the kernel
 * stack, so that a driver's __try/__except (clang's, for the mingw target: docs/drivers.md)
 * catches what ExRaiseStatus, ProbeForRead, ProbeForWrite and MmProbeAndLockPages raise, and an
 * access violation on a user address taken in a function it calls. What nothing handles is
 * KMODE_EXCEPTION_NOT_HANDLED (0x1E), as on Windows.
 *
 * This side provides what differs from user mode: RtlLookupFunctionEntry over the loaded
 * system images, the current thread's kernel stack, resuming a context at CPL0, and
 * dispatching a raised exception here rather than through a system call. */
#include "../ntdll/unwind.h"
#include "ntoy/kernel_services.h"
#include "ntoy/nt_status.h"

#define NTOY_KS_DECLARE(number, name, argument_count) DWORD64 name();
NTOY_KERNEL_SERVICES(NTOY_KS_DECLARE)
#undef NTOY_KS_DECLARE

#define NTOY_EXCEPTION_ENTRY "NtoyKernelExceptionDispatcher"
#include "../ntdll/exception_entry.h"

#define STATUS_DATATYPE_MISALIGNMENT ((NTSTATUS)0x80000002L)
#define IMAGE_DIRECTORY_ENTRY_EXCEPTION 3
/* The highest user address a probe accepts, as Windows' MmUserProbeAddress (x64, 8 TB
 * user space there; ntoy's user space ends lower, and its pages above are never mapped). */
#define USER_PROBE_ADDRESS 0x00007FFFFFFF0000ULL

PRUNTIME_FUNCTION RtlLookupFunctionEntry(DWORD64 ControlPc, PDWORD64 ImageBase,
                                         PUNWIND_HISTORY_TABLE HistoryTable) {
    (void)HistoryTable;
    const DWORD64 base = NtoyKsImageBase(ControlPc);
    if (base == 0)
        return NULL;
    /* The image's headers are mapped (read-only): its exception directory is .pdata. */
    const BYTE* nt = (const BYTE*)base + *(const LONG*)(base + 0x3C);
    const DWORD* directory = (const DWORD*)(nt + 0x18 + 0x70 + 8 * IMAGE_DIRECTORY_ENTRY_EXCEPTION);
    if (directory[0] == 0 || directory[1] < sizeof(RUNTIME_FUNCTION))
        return NULL;
    *ImageBase = base;
    return ntoy_search_function_table((PRUNTIME_FUNCTION)(base + directory[0]),
                                      directory[1] / sizeof(RUNTIME_FUNCTION),
                                      (DWORD)(ControlPc - base), base);
}

void ntoy_unwind_stack_bounds(DWORD64* limit, DWORD64* base) {
    *limit = NtoyKsStackBounds(0);
    *base = NtoyKsStackBounds(1);
}

void ntoy_unwind_resume(PCONTEXT context) {
    NtoyKsContinue((DWORD64)context);
    __builtin_unreachable();
}

void ntoy_unwind_exit(NTSTATUS status) {
    /* An exit unwind ran every frame's handler: the system thread ends. */
    NtoyKsEndSystemThread((DWORD64)(ULONG)status);
    __builtin_unreachable();
}

void ntoy_unwind_give_up(NTSTATUS status) {
    EXCEPTION_RECORD record;
    memset(&record, 0, sizeof record);
    record.ExceptionCode = (DWORD)status;
    NtoyKsUnhandledException((DWORD64)&record, 0);
    __builtin_unreachable();
}

/* What the frames do with an exception, raised or taken: a handler that continues resumes the
 * context; one that executes its __except block never returns here; none is a bug check. */
static __attribute__((noreturn)) void dispatch(PEXCEPTION_RECORD record, PCONTEXT context) {
    if (ntoy_dispatch_to_frames(record, context)) {
        ntoy_unwind_resume(context);
    }
    NtoyKsUnhandledException((DWORD64)record, (DWORD64)context);
    __builtin_unreachable();
}

void ntoy_raise_with_context(PEXCEPTION_RECORD record, PCONTEXT context) {
    record->ExceptionAddress = (PVOID)context->Rip;
    dispatch(record, context);
}

void ntoy_dispatch_exception(PEXCEPTION_RECORD record, PCONTEXT context) {
    dispatch(record, context);
}

__attribute__((noreturn)) VOID ExRaiseStatus(NTSTATUS Status) {
    EXCEPTION_RECORD record;
    memset(&record, 0, sizeof record);
    record.ExceptionCode = (DWORD)Status;
    RtlRaiseException(&record);
    /* A handler continued a status raised as noncontinuable in spirit: raise it again. */
    for (;;) {
        record.ExceptionFlags = EXCEPTION_NONCONTINUABLE;
        RtlRaiseException(&record);
    }
}

/* Windows' ProbeForRead and ProbeForWrite: a user buffer's alignment, then its range against
 * the highest user address (STATUS_DATATYPE_MISALIGNMENT, STATUS_ACCESS_VIOLATION); a length
 * of zero passes. ProbeForWrite also writes each page (what it was, back), so that a
 * read-only or absent page raises here, inside the caller's __try. */
/* The alignment and range both probes check; the range's end. */
static ULONG_PTR probe_range(ULONG_PTR start, SIZE_T length, ULONG alignment) {
    if ((start & (alignment - 1)) != 0)
        ExRaiseStatus(STATUS_DATATYPE_MISALIGNMENT);
    const ULONG_PTR end = start + length;
    if (end < start || end > USER_PROBE_ADDRESS)
        ExRaiseStatus(STATUS_ACCESS_VIOLATION);
    return end;
}

VOID ProbeForRead(const volatile VOID* Address, SIZE_T Length, ULONG Alignment) {
    if (Length != 0)
        probe_range((ULONG_PTR)Address, Length, Alignment);
}

VOID ProbeForWrite(volatile VOID* Address, SIZE_T Length, ULONG Alignment) {
    if (Length == 0)
        return;
    const ULONG_PTR start = (ULONG_PTR)Address;
    const ULONG_PTR end = probe_range(start, Length, Alignment);
    for (ULONG_PTR page = start & ~0xFFFULL; page < end; page += 0x1000) {
        volatile BYTE* at = (volatile BYTE*)(page < start ? start : page);
        *at = *at;
    }
}
