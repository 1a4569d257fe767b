/* Vectored exception and continue handlers: two ordered lists of callbacks that the
 * exception dispatcher runs before anything else.
 *
 * Handlers run without the list lock held, because a handler may itself add or remove
 * handlers or raise another exception. Each entry therefore carries a reference count: one
 * for being registered plus one for each dispatch currently calling it. Removing a handler
 * marks its entry removed and drops the registration reference; the entry leaves the list
 * when the last reference goes, so a dispatch in progress can always step to entry->next. */
#include "vectored_handlers.h"
#include "ntoy/ntdll_exports.h"

typedef struct HandlerEntry {
    struct HandlerEntry* next;
    struct HandlerEntry* previous;
    PVECTORED_EXCEPTION_HANDLER handler;
    ULONG references;
    BOOLEAN removed;
} HandlerEntry;

typedef struct HandlerList {
    HandlerEntry* head;
    HandlerEntry* tail;
} HandlerList;

static HandlerList exception_handlers;
static HandlerList continue_handlers;

/* Unused entries, refilled a chunk at a time from fresh pages and never returned to the
 * system: handlers are registered rarely and the chunks are small. */
static HandlerEntry* free_entries;

#define ENTRY_CHUNK_BYTES 0x10000 /* one allocation-granularity unit */

/* One lock for both lists and the free list. */
static volatile LONG list_lock;

/* The holder may be a thread the scheduler preempted, which runs again only once the waiter
 * gives the processor away: spin a little, then yield. */
#define LOCK_SPINS_BEFORE_YIELD 64

static void acquire_list_lock(void) {
    ULONG spins = 0;
    while (__atomic_exchange_n(&list_lock, 1, __ATOMIC_ACQUIRE) != 0) {
        while (__atomic_load_n(&list_lock, __ATOMIC_RELAXED) != 0) {
            if (++spins % LOCK_SPINS_BEFORE_YIELD == 0) {
                NtYieldExecution();
            } else {
                __builtin_ia32_pause();
            }
        }
    }
}

static void release_list_lock(void) {
    __atomic_store_n(&list_lock, 0, __ATOMIC_RELEASE);
}

/* Takes an entry from the free list, refilling it from new pages when empty. Lock held. */
static HandlerEntry* allocate_entry(void) {
    if (free_entries == NULL) {
        PVOID chunk = NULL;
        SIZE_T chunk_size = ENTRY_CHUNK_BYTES;
        NTSTATUS status = NtAllocateVirtualMemory(NtCurrentProcess(), &chunk, 0, &chunk_size,
                                                  MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
        if (!NT_SUCCESS(status)) {
            return NULL;
        }
        HandlerEntry* entries = chunk;
        size_t count = chunk_size / sizeof(HandlerEntry);
        for (size_t i = 0; i < count; ++i) {
            entries[i].next = free_entries;
            free_entries = &entries[i];
        }
    }
    HandlerEntry* entry = free_entries;
    free_entries = entry->next;
    return entry;
}

/* Drops one reference; the last one unlinks the entry and recycles it. Lock held. */
static void release_entry(HandlerList* list, HandlerEntry* entry) {
    if (--entry->references != 0) {
        return;
    }
    if (entry->previous != NULL) {
        entry->previous->next = entry->next;
    } else {
        list->head = entry->next;
    }
    if (entry->next != NULL) {
        entry->next->previous = entry->previous;
    } else {
        list->tail = entry->previous;
    }
    entry->next = free_entries;
    free_entries = entry;
}

static PVOID add_handler(HandlerList* list, ULONG first, PVECTORED_EXCEPTION_HANDLER handler) {
    acquire_list_lock();
    HandlerEntry* entry = allocate_entry();
    if (entry != NULL) {
        entry->handler = handler;
        entry->references = 1;
        entry->removed = FALSE;
        if (first != 0) {
            entry->previous = NULL;
            entry->next = list->head;
            if (list->head != NULL) {
                list->head->previous = entry;
            } else {
                list->tail = entry;
            }
            list->head = entry;
        } else {
            entry->next = NULL;
            entry->previous = list->tail;
            if (list->tail != NULL) {
                list->tail->next = entry;
            } else {
                list->head = entry;
            }
            list->tail = entry;
        }
    }
    release_list_lock();
    return entry;
}

static ULONG remove_handler(HandlerList* list, PVOID handle) {
    ULONG found = 0;
    acquire_list_lock();
    for (HandlerEntry* entry = list->head; entry != NULL; entry = entry->next) {
        if (entry == handle && !entry->removed) {
            entry->removed = TRUE;
            release_entry(list, entry);
            found = 1;
            break;
        }
    }
    release_list_lock();
    return found;
}

static BOOLEAN call_handlers(HandlerList* list, PEXCEPTION_POINTERS pointers) {
    BOOLEAN continue_execution = FALSE;
    acquire_list_lock();
    HandlerEntry* entry = list->head;
    while (entry != NULL) {
        if (entry->removed) {
            entry = entry->next;
            continue;
        }
        ++entry->references;
        PVECTORED_EXCEPTION_HANDLER handler = entry->handler;
        release_list_lock();

        LONG disposition = handler(pointers);

        acquire_list_lock();
        HandlerEntry* next = entry->next;
        release_entry(list, entry);
        if (disposition == EXCEPTION_CONTINUE_EXECUTION) {
            continue_execution = TRUE;
            break;
        }
        entry = next;
    }
    release_list_lock();
    return continue_execution;
}

PVOID RtlAddVectoredExceptionHandler(ULONG First, PVECTORED_EXCEPTION_HANDLER Handler) {
    return add_handler(&exception_handlers, First, Handler);
}

ULONG RtlRemoveVectoredExceptionHandler(PVOID Handle) {
    return remove_handler(&exception_handlers, Handle);
}

PVOID RtlAddVectoredContinueHandler(ULONG First, PVECTORED_EXCEPTION_HANDLER Handler) {
    return add_handler(&continue_handlers, First, Handler);
}

ULONG RtlRemoveVectoredContinueHandler(PVOID Handle) {
    return remove_handler(&continue_handlers, Handle);
}

BOOLEAN ntoy_call_vectored_exception_handlers(PEXCEPTION_POINTERS pointers) {
    return call_handlers(&exception_handlers, pointers);
}

VOID ntoy_call_vectored_continue_handlers(PEXCEPTION_POINTERS pointers) {
    call_handlers(&continue_handlers, pointers);
}
