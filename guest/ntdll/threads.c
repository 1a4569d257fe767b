/* The thread registry (threads.h): a list of the threads ntdll started, each with its TEB and
 * a handle to itself. Records come from the loader heap and go back to it. */
#include "threads.h"
#include "loader.h"
#include "ntoy/nt_status.h"
#include "ntoy/ntdll_exports.h"
#include "ntoy/teb.h"

typedef struct ThreadRecord {
    struct ThreadRecord* next;
    struct ThreadRecord* previous;
    BYTE* teb;
    HANDLE handle; /* SYNCHRONIZE on the thread; NULL when the kernel would not give one */
} ThreadRecord;

static ThreadRecord* threads;

static void unlink_record(ThreadRecord* record) {
    if (record->previous != NULL) {
        record->previous->next = record->next;
    } else {
        threads = record->next;
    }
    if (record->next != NULL) {
        record->next->previous = record->previous;
    }
    if (record->handle != NULL) {
        NtClose(record->handle);
    }
    ldrp_free(record);
}

NTSTATUS ldrp_thread_register(VOID) {
    ThreadRecord* record = ldrp_allocate(sizeof(ThreadRecord));
    if (record == NULL) {
        return STATUS_NO_MEMORY;
    }
    record->teb = ntoy_current_teb();
    /* A kernel that cannot duplicate handles has no NtCreateThreadEx either, so its one thread
     * never ends behind ntdll's back: without a handle the record counts as alive. */
    HANDLE handle = NULL;
    if (!NT_SUCCESS(NtDuplicateObject(NtCurrentProcess(), NtCurrentThread(), NtCurrentProcess(),
                                      &handle, SYNCHRONIZE, 0, 0))) {
        handle = NULL;
    }
    record->handle = handle;
    /* A TEB the kernel reused belongs to this thread now; the record of the thread it was
     * built for, which ended unseen, goes. */
    for (ThreadRecord* other = threads; other != NULL; other = other->next) {
        if (other->teb == record->teb) {
            unlink_record(other);
            break;
        }
    }
    record->previous = NULL;
    record->next = threads;
    if (threads != NULL) {
        threads->previous = record;
    }
    threads = record;
    return STATUS_SUCCESS;
}

VOID ldrp_thread_unregister(VOID) {
    BYTE* teb = ntoy_current_teb();
    for (ThreadRecord* record = threads; record != NULL; record = record->next) {
        if (record->teb == teb) {
            unlink_record(record);
            return;
        }
    }
}

/* Whether the thread behind RECORD has ended: its handle is signalled. */
static BOOLEAN has_ended(const ThreadRecord* record) {
    if (record->handle == NULL || record->teb == ntoy_current_teb()) {
        return FALSE;
    }
    LARGE_INTEGER no_wait;
    no_wait.QuadPart = 0;
    return NtWaitForSingleObject(record->handle, FALSE, &no_wait) == STATUS_WAIT_0;
}

VOID ldrp_for_each_thread(ThreadVisitor visit, PVOID context) {
    ThreadRecord* record = threads;
    while (record != NULL) {
        ThreadRecord* next = record->next;
        if (has_ended(record)) {
            unlink_record(record);
        } else {
            visit(record->teb, context);
        }
        record = next;
    }
}
