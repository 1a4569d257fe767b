/* ntdll's side of the unwinder (unwind.c): RtlLookupFunctionEntry over the loaded modules'
 * exception directories, then the tables added with RtlAddFunctionTable; the thread's user
 * stack from its TEB; a context resumed with NtContinue; a raised exception handed to the
 * kernel. */
#include "loader.h"
#include "ntoy/image_types.h"
#include "ntoy/nt_status.h"
#include "ntoy/teb.h"
#include "unwind.h"

#define IMAGE_DIRECTORY_ENTRY_EXCEPTION 3

/* The tables RtlAddFunctionTable added, newest first, under the loader lock. */
typedef struct DynamicTable {
    struct DynamicTable* Next;
    PRUNTIME_FUNCTION Entries;
    DWORD Count;
    DWORD64 Base;
    DWORD64 Low, High; /* the addresses the entries cover */
} DynamicTable;
static DynamicTable* dynamic_tables;

BOOLEAN RtlAddFunctionTable(PRUNTIME_FUNCTION FunctionTable, DWORD EntryCount,
                            DWORD64 BaseAddress) {
    DynamicTable* table = ldrp_allocate(sizeof(*table));
    if (table == NULL) {
        return FALSE;
    }
    table->Entries = FunctionTable;
    table->Count = EntryCount;
    table->Base = BaseAddress;
    table->Low = ~0ULL;
    table->High = 0;
    for (DWORD i = 0; i < EntryCount; ++i) {
        if (BaseAddress + FunctionTable[i].BeginAddress < table->Low) {
            table->Low = BaseAddress + FunctionTable[i].BeginAddress;
        }
        if (BaseAddress + FunctionTable[i].EndAddress > table->High) {
            table->High = BaseAddress + FunctionTable[i].EndAddress;
        }
    }
    ldrp_lock_loader();
    table->Next = dynamic_tables;
    dynamic_tables = table;
    ldrp_unlock_loader();
    return TRUE;
}

BOOLEAN RtlDeleteFunctionTable(PRUNTIME_FUNCTION FunctionTable) {
    ldrp_lock_loader();
    DynamicTable** link = &dynamic_tables;
    while (*link != NULL && (*link)->Entries != FunctionTable) {
        link = &(*link)->Next;
    }
    DynamicTable* table = *link;
    if (table != NULL) {
        *link = table->Next;
    }
    ldrp_unlock_loader();
    if (table == NULL) {
        return FALSE;
    }
    ldrp_free(table);
    return TRUE;
}

PRUNTIME_FUNCTION RtlLookupFunctionEntry(DWORD64 ControlPc, PDWORD64 ImageBase,
                                         PUNWIND_HISTORY_TABLE HistoryTable) {
    (void)HistoryTable;
    PRUNTIME_FUNCTION found = NULL;
    PLDR_DATA_TABLE_ENTRY module = NULL;
    ldrp_lock_loader();
    if (NT_SUCCESS(LdrFindEntryForAddress((PVOID)ControlPc, &module))) {
        DWORD64 base = (DWORD64)module->DllBase;
        ULONG size = 0;
        PRUNTIME_FUNCTION table =
            ntoy_image_directory(module->DllBase, IMAGE_DIRECTORY_ENTRY_EXCEPTION, &size);
        if (table != NULL) {
            found = ntoy_search_function_table(table, size / sizeof(RUNTIME_FUNCTION),
                                               (DWORD)(ControlPc - base), base);
        }
        *ImageBase = base;
    } else {
        /* Tables added at run time (generated code): any order, so a linear search. */
        for (DynamicTable* table = dynamic_tables; table != NULL && found == NULL;
             table = table->Next) {
            if (ControlPc < table->Low || ControlPc >= table->High) {
                continue;
            }
            DWORD rva = (DWORD)(ControlPc - table->Base);
            for (DWORD i = 0; i < table->Count; ++i) {
                if (rva >= table->Entries[i].BeginAddress && rva < table->Entries[i].EndAddress) {
                    found = &table->Entries[i];
                    *ImageBase = table->Base;
                    break;
                }
            }
        }
    }
    ldrp_unlock_loader();
    return found;
}

void ntoy_unwind_stack_bounds(DWORD64* limit, DWORD64* base) {
    BYTE* teb = ntoy_current_teb();
    *base = NTOY_FIELD(teb, NTOY_TEB_STACK_BASE, DWORD64);
    *limit = NTOY_FIELD(teb, NTOY_TEB_DEALLOCATION_STACK, DWORD64);
    if (*limit == 0) {
        *limit = NTOY_FIELD(teb, NTOY_TEB_STACK_LIMIT, DWORD64);
    }
}

void ntoy_unwind_resume(PCONTEXT context) {
    NTSTATUS status = NtContinue(context, FALSE);
    for (;;) {
        NtTerminateProcess(NtCurrentProcess(), status);
    }
}

void ntoy_unwind_exit(NTSTATUS status) {
    RtlExitUserThread(status);
}

void ntoy_unwind_give_up(NTSTATUS status) {
    for (;;) {
        NtTerminateProcess(NtCurrentProcess(), status);
    }
}

/* User mode: the kernel dispatches a raised exception as it dispatches a fault. */
void ntoy_raise_with_context(PEXCEPTION_RECORD record, PCONTEXT context) {
    record->ExceptionAddress = (PVOID)context->Rip;
    NTSTATUS status = NtRaiseException(record, context, TRUE);
    /* The kernel refused the record (more than 15 parameters, say): as Windows, that status
     * is raised instead, from the same place. */
    EXCEPTION_RECORD refusal;
    memset(&refusal, 0, sizeof(refusal));
    refusal.ExceptionCode = (DWORD)status;
    refusal.ExceptionFlags = EXCEPTION_NONCONTINUABLE;
    refusal.ExceptionRecord = record;
    refusal.ExceptionAddress = (PVOID)context->Rip;
    for (;;) {
        NtRaiseException(&refusal, context, TRUE);
        NtTerminateProcess(NtCurrentProcess(), status);
    }
}
