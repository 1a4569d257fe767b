/* The full page heap (Windows' gflags /p /enable /full), on when the kernel starts the process
 * with FLG_HEAP_PAGE_ALLOCS in PEB->NtGlobalFlag (`ntoy run --pageheap`).
 *
 * Every block gets a reservation of its own: its data pages are committed, the page after
 * them stays reserved and never committed, and the block is placed so that its 16-byte
 * aligned end is the end of the data: a read or write past it faults at the instruction that
 * does it. The few bytes between the caller's size and that aligned end are filled with a
 * pattern and checked when the block is freed or validated. A freed block's pages are
 * decommitted and its reservation kept, so that a use after free faults too; the oldest freed
 * reservations are released once more than FREED_KEPT are held.
 *
 * Blocks are found by address in a hash table of records kept apart from the blocks (so a
 * double free is seen without touching decommitted memory). A vectored handler, added with
 * the first page heap, names the block an access violation hit: a line on stderr,
 * "ntoy: page heap: ...", before the exception goes on to the program's handlers. */
#include "heap_internal.h"

#define BUCKETS 4096
#define FREED_KEPT 4096
#define FILL 0xD0
#define RECORD_CHUNK 0x10000

typedef struct PageBlock {
    struct PageBlock* bucket_next;
    LIST_ENTRY links; /* the heap's busy blocks, or the freed queue */
    Heap* heap;
    BYTE* base;      /* the reservation */
    SIZE_T reserved; /* its size: data pages and the no-access page */
    BYTE* data;      /* the caller's block */
    SIZE_T size;     /* the caller's size */
    BOOLEAN busy;
} PageBlock;

static RTL_CRITICAL_SECTION page_lock = {(PVOID)(LONG_PTR)-1, -1, 0, NULL, NULL, 0};
static PageBlock* buckets[BUCKETS];
static PageBlock* spare_records;
static LIST_ENTRY freed_queue = {&freed_queue, &freed_queue};
static ULONG freed_count;
static LONG handler_added;

BOOLEAN ntoy_page_heap_enabled(VOID) {
    return (NTOY_FIELD(ntoy_current_peb(), NTOY_PEB_NT_GLOBAL_FLAG, ULONG) &
            FLG_HEAP_PAGE_ALLOCS) != 0;
}

static inline ULONG bucket_of(const void* data) {
    return (ULONG)(((ULONG_PTR)data >> 4) * 0x9E3779B1u >> 20) % BUCKETS;
}

static inline SIZE_T round_up(SIZE_T value, SIZE_T to) {
    return (value + to - 1) & ~(to - 1);
}

static PageBlock* new_record(void) {
    if (spare_records == NULL) {
        PVOID chunk = NULL;
        SIZE_T bytes = RECORD_CHUNK;
        if (!NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &chunk, 0, &bytes,
                                                MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE))) {
            return NULL;
        }
        PageBlock* records = chunk;
        for (SIZE_T i = 0; i < bytes / sizeof(PageBlock); ++i) {
            records[i].bucket_next = spare_records;
            spare_records = &records[i];
        }
    }
    PageBlock* record = spare_records;
    spare_records = record->bucket_next;
    return record;
}

static PageBlock* find(const void* data) {
    for (PageBlock* record = buckets[bucket_of(data)]; record != NULL;
         record = record->bucket_next) {
        if (record->data == data) {
            return record;
        }
    }
    return NULL;
}

static void forget(PageBlock* record) {
    PageBlock** link = &buckets[bucket_of(record->data)];
    while (*link != record) {
        link = &(*link)->bucket_next;
    }
    *link = record->bucket_next;
    record->bucket_next = spare_records;
    spare_records = record;
}

static void release(PageBlock* record) {
    PVOID base = record->base;
    SIZE_T bytes = 0;
    NtFreeVirtualMemory(NtCurrentProcess(), &base, &bytes, MEM_RELEASE);
}

static BOOLEAN fill_intact(const PageBlock* record) {
    const BYTE* end = record->data + round_up(record->size, UNIT);
    for (const BYTE* p = record->data + record->size; p < end; ++p) {
        if (*p != FILL) {
            return FALSE;
        }
    }
    return TRUE;
}

/* ---- Naming the block an access violation hit ----------------------------------------------- */

static SIZE_T append(char* line, SIZE_T length, const char* text) {
    while (*text != '\0' && length < 255) {
        line[length++] = *text++;
    }
    return length;
}

static SIZE_T append_number(char* line, SIZE_T length, ULONG_PTR value, BOOLEAN hex) {
    char digits[24];
    int count = 0;
    do {
        digits[count++] = "0123456789abcdef"[hex ? value & 0xF : value % 10];
        value = hex ? value >> 4 : value / 10;
    } while (value != 0);
    if (hex) {
        length = append(line, length, "0x");
    }
    while (count > 0 && length < 255) {
        line[length++] = digits[--count];
    }
    return length;
}

static LONG name_faulting_block(PEXCEPTION_POINTERS pointers) {
    PEXCEPTION_RECORD record = pointers->ExceptionRecord;
    if (record->ExceptionCode != (DWORD)STATUS_ACCESS_VIOLATION || record->NumberParameters < 2 ||
        !RtlTryEnterCriticalSection(&page_lock)) {
        return EXCEPTION_CONTINUE_SEARCH;
    }
    BYTE* address = (BYTE*)record->ExceptionInformation[1];
    const PageBlock* hit = NULL;
    for (ULONG i = 0; i < BUCKETS && hit == NULL; ++i) {
        for (const PageBlock* block = buckets[i]; block != NULL; block = block->bucket_next) {
            if (address >= block->base && address < block->base + block->reserved) {
                hit = block;
                break;
            }
        }
    }
    if (hit != NULL) {
        char line[256];
        SIZE_T length = append(line, 0, "ntoy: page heap: ");
        length = append(line, length, record->ExceptionInformation[0] == 1 ? "write" : "read");
        length = append(line, length, " of ");
        length = append_number(line, length, (ULONG_PTR)address, TRUE);
        if (!hit->busy) {
            length = append(line, length, ", in the freed ");
        } else if (address >= hit->data + hit->size) {
            length = append(line, length, ", ");
            length =
                append_number(line, length, (ULONG_PTR)(address - hit->data - hit->size), FALSE);
            length = append(line, length, " bytes past the end of the ");
        } else {
            length = append(line, length, ", before the start of the ");
        }
        length = append_number(line, length, hit->size, FALSE);
        length = append(line, length, "-byte block at ");
        length = append_number(line, length, (ULONG_PTR)hit->data, TRUE);
        length = append(line, length, " of heap ");
        length = append_number(line, length, (ULONG_PTR)hit->heap, TRUE);
        length = append(line, length, "\n");
        IO_STATUS_BLOCK io;
        NtWriteFile(NTOY_FIELD(ntoy_process_parameters(), NTOY_PARAMS_STANDARD_ERROR, HANDLE), NULL,
                    NULL, NULL, &io, line, (ULONG)length, NULL, NULL);
    }
    RtlLeaveCriticalSection(&page_lock);
    return EXCEPTION_CONTINUE_SEARCH;
}

/* ---- The heap calls ------------------------------------------------------------------------ */

static PVOID allocate(Heap* heap, SIZE_T size) {
    if (size > ((SIZE_T)1 << 46)) {
        return NULL;
    }
    SIZE_T data_bytes = round_up(size, UNIT);
    SIZE_T committed = round_up(data_bytes, PAGE);
    if (committed == 0) {
        committed = PAGE;
    }
    PVOID base = NULL;
    SIZE_T reserved = committed + PAGE;
    if (!NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &reserved, MEM_RESERVE,
                                            PAGE_READWRITE))) {
        return NULL;
    }
    PVOID commit_base = base;
    SIZE_T commit_bytes = committed;
    PageBlock* record = new_record();
    if (record == NULL ||
        !NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &commit_base, 0, &commit_bytes,
                                            MEM_COMMIT, PAGE_READWRITE))) {
        if (record != NULL) {
            record->bucket_next = spare_records;
            spare_records = record;
        }
        PVOID release_base = base;
        SIZE_T release_bytes = 0;
        NtFreeVirtualMemory(NtCurrentProcess(), &release_base, &release_bytes, MEM_RELEASE);
        return NULL;
    }
    record->heap = heap;
    record->base = base;
    record->reserved = reserved;
    record->data = (BYTE*)base + committed - data_bytes;
    record->size = size;
    record->busy = TRUE;
    memset(record->data + size, FILL, data_bytes - size);
    ULONG bucket = bucket_of(record->data);
    record->bucket_next = buckets[bucket];
    buckets[bucket] = record;
    record->links.Flink = &heap->page_blocks;
    record->links.Blink = heap->page_blocks.Blink;
    heap->page_blocks.Blink->Flink = &record->links;
    heap->page_blocks.Blink = &record->links;
    return record->data;
}

/* Decommits a busy block's pages and queues its reservation. */
static void retire(PageBlock* record) {
    record->links.Blink->Flink = record->links.Flink;
    record->links.Flink->Blink = record->links.Blink;
    PVOID base = record->base;
    SIZE_T bytes = record->reserved - PAGE;
    NtFreeVirtualMemory(NtCurrentProcess(), &base, &bytes, MEM_DECOMMIT);
    record->busy = FALSE;
    record->links.Flink = &freed_queue;
    record->links.Blink = freed_queue.Blink;
    freed_queue.Blink->Flink = &record->links;
    freed_queue.Blink = &record->links;
    if (++freed_count > FREED_KEPT) {
        PageBlock* oldest = (PageBlock*)((BYTE*)freed_queue.Flink - offsetof(PageBlock, links));
        freed_queue.Flink = oldest->links.Flink;
        oldest->links.Flink->Blink = &freed_queue;
        --freed_count;
        release(oldest);
        forget(oldest);
    }
}

/* The busy block at ADDRESS of HEAP, or NULL with *CORRUPTION set. */
static PageBlock* busy_record(Heap* heap, PVOID address, PVOID* corruption) {
    PageBlock* record = find(address);
    if (record == NULL || !record->busy || record->heap != heap || !fill_intact(record)) {
        *corruption = address;
        return NULL;
    }
    return record;
}

static void add_handler_once(void) {
    if (__atomic_exchange_n(&handler_added, 1, __ATOMIC_ACQ_REL) == 0) {
        RtlAddVectoredExceptionHandler(0, name_faulting_block);
    }
}

PVOID ntoy_page_heap_allocate(Heap* heap, ULONG flags, SIZE_T size) {
    add_handler_once();
    RtlEnterCriticalSection(&page_lock);
    PVOID data =
        (heap->flags & HEAP_GROWABLE) != 0 || size <= 0xFF000 - UNIT ? allocate(heap, size) : NULL;
    RtlLeaveCriticalSection(&page_lock);
    if (data == NULL) {
        ntoy_heap_allocation_failed(flags, size);
    }
    return data; /* fresh pages read as zero: HEAP_ZERO_MEMORY holds */
}

BOOLEAN ntoy_page_heap_free(Heap* heap, ULONG flags, PVOID address) {
    (void)flags;
    PVOID corruption = NULL;
    RtlEnterCriticalSection(&page_lock);
    PageBlock* record = busy_record(heap, address, &corruption);
    if (record != NULL) {
        retire(record);
    }
    RtlLeaveCriticalSection(&page_lock);
    if (corruption != NULL) {
        ntoy_heap_report_corruption(heap, corruption);
        return FALSE;
    }
    return TRUE;
}

SIZE_T ntoy_page_heap_size(Heap* heap, ULONG flags, PVOID address) {
    (void)flags;
    PVOID corruption = NULL;
    RtlEnterCriticalSection(&page_lock);
    PageBlock* record = busy_record(heap, address, &corruption);
    SIZE_T size = record != NULL ? record->size : (SIZE_T)-1;
    RtlLeaveCriticalSection(&page_lock);
    return size;
}

/* A block always moves, unless it must stay and its new size has the same aligned end: so a
 * pointer kept to the old block faults. */
PVOID ntoy_page_heap_reallocate(Heap* heap, ULONG flags, PVOID address, SIZE_T size) {
    PVOID corruption = NULL;
    PVOID result = NULL;
    BOOLEAN out_of_memory = FALSE;
    RtlEnterCriticalSection(&page_lock);
    PageBlock* record = busy_record(heap, address, &corruption);
    if (record != NULL) {
        if ((flags & HEAP_REALLOC_IN_PLACE_ONLY) != 0) {
            if (round_up(size, UNIT) == round_up(record->size, UNIT) && size != 0) {
                if (size > record->size && (flags & HEAP_ZERO_MEMORY) != 0) {
                    memset(record->data + record->size, 0, size - record->size);
                }
                record->size = size;
                memset(record->data + size, FILL, round_up(size, UNIT) - size);
                result = address;
            } else {
                out_of_memory = TRUE;
            }
        } else {
            SIZE_T old_size = record->size;
            result = allocate(heap, size);
            if (result != NULL) {
                memcpy(result, address, old_size < size ? old_size : size);
                retire(record);
            } else {
                out_of_memory = TRUE;
            }
        }
    }
    RtlLeaveCriticalSection(&page_lock);
    if (corruption != NULL) {
        ntoy_heap_report_corruption(heap, corruption);
    } else if (out_of_memory) {
        ntoy_heap_allocation_failed(flags, size);
    }
    return result;
}

BOOLEAN ntoy_page_heap_validate(Heap* heap, ULONG flags, PVOID address) {
    (void)flags;
    BOOLEAN valid = TRUE;
    RtlEnterCriticalSection(&page_lock);
    if (address != NULL) {
        PVOID corruption = NULL;
        valid = busy_record(heap, address, &corruption) != NULL;
    } else {
        for (PLIST_ENTRY entry = heap->page_blocks.Flink; entry != &heap->page_blocks;
             entry = entry->Flink) {
            if (!fill_intact((PageBlock*)((BYTE*)entry - offsetof(PageBlock, links)))) {
                valid = FALSE;
            }
        }
    }
    RtlLeaveCriticalSection(&page_lock);
    return valid;
}

/* The busy blocks, oldest first, each as a busy entry. */
NTSTATUS ntoy_page_heap_walk(Heap* heap, PRTL_HEAP_WALK_ENTRY entry) {
    NTSTATUS status = STATUS_SUCCESS;
    RtlEnterCriticalSection(&page_lock);
    PLIST_ENTRY next = heap->page_blocks.Flink;
    if (entry->DataAddress != NULL) {
        PageBlock* record = find(entry->DataAddress);
        if (record == NULL || !record->busy || record->heap != heap) {
            status = STATUS_INVALID_PARAMETER;
        } else {
            next = record->links.Flink;
        }
    }
    if (NT_SUCCESS(status)) {
        if (next == &heap->page_blocks) {
            status = STATUS_NO_MORE_ENTRIES;
        } else {
            PageBlock* record = (PageBlock*)((BYTE*)next - offsetof(PageBlock, links));
            memset(entry, 0, sizeof(*entry));
            entry->DataAddress = record->data;
            entry->DataSize = record->size;
            entry->OverheadBytes = (UCHAR)(round_up(record->size, UNIT) - record->size);
            entry->Flags = RTL_HEAP_BUSY;
        }
    }
    RtlLeaveCriticalSection(&page_lock);
    return status;
}

VOID ntoy_page_heap_destroy(Heap* heap) {
    RtlEnterCriticalSection(&page_lock);
    while (heap->page_blocks.Flink != &heap->page_blocks) {
        PageBlock* record =
            (PageBlock*)((BYTE*)heap->page_blocks.Flink - offsetof(PageBlock, links));
        heap->page_blocks.Flink = record->links.Flink;
        release(record);
        forget(record);
    }
    heap->page_blocks.Blink = &heap->page_blocks;
    /* Freed blocks stay queued: their reservations keep a stale pointer faulting. */
    for (PLIST_ENTRY entry = freed_queue.Flink; entry != &freed_queue; entry = entry->Flink) {
        PageBlock* record = (PageBlock*)((BYTE*)entry - offsetof(PageBlock, links));
        if (record->heap == heap) {
            record->heap = NULL;
        }
    }
    RtlLeaveCriticalSection(&page_lock);
}
