/* The NT heap (RtlCreateHeap, RtlAllocateHeap and the rest of ntoy/rtl_heap.h), built on the
 * virtual-memory system calls as Windows' is.
 *
 * A heap is a list of segments. A segment is one reservation (1 MB for the first of a
 * growable heap by default, each later one twice the last, up to 64 MB, or what one block
 * needs) whose front part is committed and tiled with blocks; it commits more, at least
 * 64 KB at a time, when no free block fits, and a free block that reaches the end of the
 * committed part gives back what lies more than 64 KB past its start, once that is 64 KB or
 * more (decommit). The heap's
 * own structure sits at the start of its first segment. Blocks of more than 0xFF000 bytes
 * with their header (Windows x64's VirtualMemoryThreshold) get an allocation of their own.
 *
 * Every block starts with a 16-byte header: its size and its neighbour's in 16-byte units,
 * flags, the unused bytes past the caller's size, and a check value that mixes those with
 * the heap's random cookie and the header's address. A header whose check does not match
 * (an overrun from the block before), a free of a block that is not busy (a double free), or
 * a free list whose links do not point back (a write after free) is corruption: the call
 * fails and raises STATUS_HEAP_CORRUPTION, non-continuable, as Windows does. Checks happen
 * whenever a call reads a header, which is every call that touches the block or its
 * neighbours, and everywhere in RtlValidateHeap.
 *
 * Free blocks of fewer than 128 units sit on a list per size, with a bitmap of the non-empty
 * ones; larger ones on one list, first fit. Blocks returned are 16-byte aligned. Each heap has
 * a critical section unless it was created with HEAP_NO_SERIALIZE. With FLG_HEAP_PAGE_ALLOCS
 * in PEB->NtGlobalFlag every heap is a page heap instead (page_heap.c).
 *
 * A growable, serialized heap also has a front end, as Windows' heaps have had since NT 4's
 * lookaside lists: a freed block of fewer than 64 units goes, whole and still busy to the
 * back end above, on a singly linked list of its size (at most 8 KB of blocks a list), and
 * an allocation of that size takes the newest one back. Neither takes the critical section:
 * a lock of its own, which every back-end operation holds too, guards the lists, so that each call
 * is about a hundred instructions instead of a split or a merge. A cached block is marked
 * BLOCK_CACHED in its header (a second free of it is a double free), and its link carries a
 * check value, so a write after free is found when the block is taken again. Blocks cached do
 * not merge with their neighbours: the back end takes them all back (flush) before a walk,
 * before it fails an allocation for want of room, and when a free leaves a free run of the
 * decommit threshold or more, so that the commit still falls after frees. */
#include "heap_internal.h"

#define DEFAULT_RESERVE 0x100000
#define MAXIMUM_SEGMENT_RESERVE 0x4000000
#define COMMIT_STEP 0x10000
#define DECOMMIT_THRESHOLD 0x10000
#define VIRTUAL_THRESHOLD_UNITS 0xFF00
#define MINIMUM_UNITS 2 /* header and free-list links */
#define ALLOCATION_GRANULARITY 0x10000
#define FRONT_END_LIST_UNITS 0x200 /* 8 KB of blocks on each front-end list at most */

#define BLOCK_BUSY 0x01
#define BLOCK_LAST 0x02    /* the last committed block of its segment */
#define BLOCK_VIRTUAL 0x04 /* a block with its own allocation */
#define BLOCK_CACHED 0x08  /* busy to the back end, free on a front-end list */
#define SEGMENT_SHIFT 8    /* the segment's index in the flags' high byte */

/* ---- The process's heaps ------------------------------------------------------------------- */

static RTL_CRITICAL_SECTION heap_list_lock = {(PVOID)(LONG_PTR)-1, -1, 0, NULL, NULL, 0};
static LIST_ENTRY heap_list = {&heap_list, &heap_list};
static ULONG heap_count;
/* PEB.ProcessHeaps: the first 16 slots here, as Windows starts; then arrays of whole pages
 * straight from NtAllocateVirtualMemory (not from the process heap: this runs under
 * heap_list_lock, and a thread holding the process heap's lock may be waiting for it). The
 * process heap is always the first. */
static PVOID initial_peb_heaps[16];

/* Adds HEAP to PEB.ProcessHeaps, growing the array when it is full; under heap_list_lock.
 * A heap that does not fit (no memory for a larger array) stays off the PEB's list only:
 * GetProcessHeaps, which walks heap_list, still counts it. */
static VOID peb_add_heap(Heap* heap) {
    BYTE* peb = ntoy_current_peb();
    ULONG count = NTOY_FIELD(peb, NTOY_PEB_NUMBER_OF_HEAPS, ULONG);
    ULONG maximum = NTOY_FIELD(peb, NTOY_PEB_MAXIMUM_NUMBER_OF_HEAPS, ULONG);
    PVOID* heaps = NTOY_FIELD(peb, NTOY_PEB_PROCESS_HEAPS, PVOID*);
    if (heaps == NULL) {
        heaps = initial_peb_heaps;
        maximum = sizeof initial_peb_heaps / sizeof initial_peb_heaps[0];
        count = 0;
    }
    if (count == maximum) {
        PVOID larger = NULL;
        SIZE_T bytes = (2 * (SIZE_T)maximum * sizeof(PVOID) + 0xFFF) & ~(SIZE_T)0xFFF;
        if (!NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &larger, 0, &bytes,
                                                MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE))) {
            return;
        }
        memcpy(larger, heaps, count * sizeof(PVOID));
        PVOID* old = heaps;
        heaps = larger;
        maximum = (ULONG)(bytes / sizeof(PVOID));
        /* The new array is published before the old one goes, so that whoever reads the PEB
         * (a debugger, a report) never follows a pointer to freed memory. */
        NTOY_FIELD(peb, NTOY_PEB_PROCESS_HEAPS, PVOID*) = heaps;
        NTOY_FIELD(peb, NTOY_PEB_MAXIMUM_NUMBER_OF_HEAPS, ULONG) = maximum;
        if (old != initial_peb_heaps) {
            PVOID base = old;
            SIZE_T none = 0;
            NtFreeVirtualMemory(NtCurrentProcess(), &base, &none, MEM_RELEASE);
        }
    }
    heaps[count++] = heap;
    NTOY_FIELD(peb, NTOY_PEB_PROCESS_HEAPS, PVOID*) = heaps;
    NTOY_FIELD(peb, NTOY_PEB_MAXIMUM_NUMBER_OF_HEAPS, ULONG) = maximum;
    NTOY_FIELD(peb, NTOY_PEB_NUMBER_OF_HEAPS, ULONG) = count;
}

/* Takes HEAP off PEB.ProcessHeaps, keeping the order of the others; under heap_list_lock. */
static VOID peb_remove_heap(Heap* heap) {
    BYTE* peb = ntoy_current_peb();
    ULONG count = NTOY_FIELD(peb, NTOY_PEB_NUMBER_OF_HEAPS, ULONG);
    PVOID* heaps = NTOY_FIELD(peb, NTOY_PEB_PROCESS_HEAPS, PVOID*);
    for (ULONG i = 0; heaps != NULL && i < count; ++i) {
        if (heaps[i] == heap) {
            memmove(&heaps[i], &heaps[i + 1], (count - i - 1) * sizeof(PVOID));
            heaps[count - 1] = NULL;
            NTOY_FIELD(peb, NTOY_PEB_NUMBER_OF_HEAPS, ULONG) = count - 1;
            return;
        }
    }
}

static void list_insert_tail(PLIST_ENTRY head, PLIST_ENTRY entry) {
    entry->Flink = head;
    entry->Blink = head->Blink;
    head->Blink->Flink = entry;
    head->Blink = entry;
}

static void list_remove(PLIST_ENTRY entry) {
    entry->Blink->Flink = entry->Flink;
    entry->Flink->Blink = entry->Blink;
}

/* ---- Headers ---------------------------------------------------------------------------- */

/* Each field times an odd constant, so that a change to any one field always changes the
 * check; read in two loads, not four, since every heap call checks a header or three. */
static inline ULONG header_check(const Heap* heap, const BlockHeader* header) {
    ULONGLONG sizes; /* units and previous_units */
    ULONG rest;      /* flags and unused */
    __builtin_memcpy(&sizes, &header->units, sizeof(sizes));
    __builtin_memcpy(&rest, &header->flags, sizeof(rest));
    ULONG mixed =
        (ULONG)sizes * 0x9E3779B1u ^ (ULONG)(sizes >> 32) * 0x85EBCA77u ^ rest * 0xC2B2AE3Du;
    return mixed ^ heap->cookie ^ (ULONG)((ULONG_PTR)header >> 4);
}

static inline void seal(const Heap* heap, BlockHeader* header) {
    header->check = header_check(heap, header);
}

static inline BOOLEAN intact(const Heap* heap, const BlockHeader* header) {
    return header->check == header_check(heap, header);
}

static inline BlockHeader* next_block(BlockHeader* header) {
    return (BlockHeader*)((BYTE*)header + ((SIZE_T)header->units << UNIT_SHIFT));
}

static inline BlockHeader* previous_block(BlockHeader* header) {
    return (BlockHeader*)((BYTE*)header - ((SIZE_T)header->previous_units << UNIT_SHIFT));
}

static inline Segment* segment_of(const Heap* heap, const BlockHeader* header) {
    return heap->segments[header->flags >> SEGMENT_SHIFT];
}

static inline SIZE_T user_size(const BlockHeader* header) {
    return ((SIZE_T)header->units << UNIT_SHIFT) - sizeof(BlockHeader) - header->unused;
}

/* ---- Free lists ------------------------------------------------------------------------- */

static inline PLIST_ENTRY free_links(BlockHeader* header) {
    return (PLIST_ENTRY)(header + 1);
}

static inline PLIST_ENTRY list_for(Heap* heap, ULONG units) {
    return units < SMALL_LISTS ? &heap->free_lists[units] : &heap->big_free;
}

static void link_free(Heap* heap, BlockHeader* header) {
    PLIST_ENTRY head = list_for(heap, header->units);
    PLIST_ENTRY links = free_links(header);
    links->Flink = head->Flink;
    links->Blink = head;
    head->Flink->Blink = links;
    head->Flink = links;
    if (header->units < SMALL_LISTS) {
        heap->list_bitmap[header->units >> 6] |= 1ull << (header->units & 63);
    }
}

/* Whether the block's free-list neighbours point back at it: a write into a freed block
 * breaks that. */
static BOOLEAN links_intact(BlockHeader* header) {
    PLIST_ENTRY links = free_links(header);
    return links->Flink->Blink == links && links->Blink->Flink == links;
}

static void unlink_free(Heap* heap, BlockHeader* header) {
    PLIST_ENTRY links = free_links(header);
    PLIST_ENTRY forward = links->Flink;
    PLIST_ENTRY back = links->Blink;
    back->Flink = forward;
    forward->Blink = back;
    if (forward == back && header->units < SMALL_LISTS) {
        heap->list_bitmap[header->units >> 6] &= ~(1ull << (header->units & 63));
    }
}

static inline BlockHeader* block_of_links(PLIST_ENTRY links) {
    return (BlockHeader*)links - 1;
}

/* ---- Memory ------------------------------------------------------------------------------ */

static ULONG page_protection(const Heap* heap) {
    return (heap->flags & HEAP_CREATE_ENABLE_EXECUTE) != 0 ? PAGE_EXECUTE_READWRITE
                                                           : PAGE_READWRITE;
}

static inline SIZE_T round_up(SIZE_T value, SIZE_T to) {
    return (value + to - 1) & ~(to - 1);
}

static BOOLEAN commit_pages(const Heap* heap, BYTE* address, SIZE_T size) {
    PVOID base = address;
    SIZE_T bytes = size;
    return NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &bytes, MEM_COMMIT,
                                              page_protection(heap)));
}

static void decommit_pages(BYTE* address, SIZE_T size) {
    PVOID base = address;
    SIZE_T bytes = size;
    NtFreeVirtualMemory(NtCurrentProcess(), &base, &bytes, MEM_DECOMMIT);
}

static void release_allocation(PVOID address) {
    PVOID base = address;
    SIZE_T bytes = 0;
    NtFreeVirtualMemory(NtCurrentProcess(), &base, &bytes, MEM_RELEASE);
}

/* ---- Segments ---------------------------------------------------------------------------- */

/* Lays out a fresh segment at BASE, of which the first COMMITTED bytes are committed, with
 * its blocks starting at FIRST: one free block, the last. */
static Segment* start_segment(Heap* heap, ULONG index, BYTE* base, BYTE* segment_at,
                              SIZE_T committed, SIZE_T reserved) {
    Segment* segment = (Segment*)segment_at;
    segment->heap = heap;
    segment->base = base;
    segment->first_block = (BYTE*)round_up((ULONG_PTR)(segment + 1), UNIT);
    segment->commit_end = base + committed;
    segment->reserve_end = base + reserved;
    segment->index = index;
    heap->segments[index] = segment;
    heap->segment_count = index + 1;
    BlockHeader* block = (BlockHeader*)segment->first_block;
    block->units = (ULONG)((segment->commit_end - segment->first_block) >> UNIT_SHIFT);
    block->previous_units = 0;
    block->flags = (USHORT)(BLOCK_LAST | (index << SEGMENT_SHIFT));
    block->unused = 0;
    seal(heap, block);
    segment->last_block = block;
    link_free(heap, block);
    return segment;
}

/* A new segment with room for a block of UNITS. */
static BOOLEAN add_segment(Heap* heap, ULONG units) {
    if (heap->segment_count == MAXIMUM_SEGMENTS) {
        return FALSE;
    }
    SIZE_T needed = round_up(sizeof(Segment) + UNIT + ((SIZE_T)units << UNIT_SHIFT), PAGE);
    SIZE_T reserve = heap->next_reserve;
    if (reserve < needed) {
        reserve = round_up(needed, ALLOCATION_GRANULARITY);
    }
    PVOID base = NULL;
    SIZE_T bytes = reserve;
    if (!NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &bytes, MEM_RESERVE,
                                            page_protection(heap)))) {
        /* Room for this block only, then. */
        base = NULL;
        bytes = reserve = round_up(needed, ALLOCATION_GRANULARITY);
        if (!NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &bytes, MEM_RESERVE,
                                                page_protection(heap)))) {
            return FALSE;
        }
    }
    SIZE_T commit = needed > COMMIT_STEP ? needed : COMMIT_STEP;
    if (commit > reserve) {
        commit = reserve;
    }
    if (!commit_pages(heap, base, commit)) {
        release_allocation(base);
        return FALSE;
    }
    if (heap->next_reserve < MAXIMUM_SEGMENT_RESERVE) {
        heap->next_reserve *= 2;
    }
    start_segment(heap, heap->segment_count, base, base, commit, reserve);
    return TRUE;
}

/* Commits more of some segment so that a free block of UNITS exists. */
static BOOLEAN grow(Heap* heap, ULONG units, PVOID* corruption) {
    SIZE_T needed = (SIZE_T)units << UNIT_SHIFT;
    for (ULONG i = heap->segment_count; i-- > 0;) {
        Segment* segment = heap->segments[i];
        BlockHeader* last = segment->last_block;
        if (!intact(heap, last)) {
            *corruption = last;
            return FALSE;
        }
        BOOLEAN last_free = (last->flags & BLOCK_BUSY) == 0;
        SIZE_T tail = last_free ? (SIZE_T)last->units << UNIT_SHIFT : 0;
        SIZE_T extra = round_up(needed - tail, PAGE);
        SIZE_T room = (SIZE_T)(segment->reserve_end - segment->commit_end);
        if (extra > room) {
            continue;
        }
        SIZE_T commit = extra > COMMIT_STEP ? extra : COMMIT_STEP;
        if (commit > room) {
            commit = room;
        }
        if (last_free && !links_intact(last)) {
            *corruption = last;
            return FALSE;
        }
        if (!commit_pages(heap, segment->commit_end, commit)) {
            return FALSE;
        }
        BlockHeader* grown;
        if (last_free) {
            unlink_free(heap, last);
            last->units += (ULONG)(commit >> UNIT_SHIFT);
            grown = last;
        } else {
            grown = (BlockHeader*)segment->commit_end;
            grown->units = (ULONG)(commit >> UNIT_SHIFT);
            grown->previous_units = last->units;
            grown->flags = (USHORT)(BLOCK_LAST | (i << SEGMENT_SHIFT));
            grown->unused = 0;
            last->flags &= ~BLOCK_LAST;
            seal(heap, last);
        }
        seal(heap, grown);
        segment->last_block = grown;
        segment->commit_end += commit;
        link_free(heap, grown);
        return TRUE;
    }
    return (heap->flags & HEAP_GROWABLE) != 0 && add_segment(heap, units);
}

/* ---- Blocks ------------------------------------------------------------------------------ */

/* A free block of at least UNITS, unlinked; NULL when there is none or (*CORRUPTION set) the
 * lists are damaged. */
static BlockHeader* take_free(Heap* heap, ULONG units, PVOID* corruption) {
    PLIST_ENTRY found = NULL;
    if (units < SMALL_LISTS) {
        for (ULONG word = units >> 6; word < 2; ++word) {
            ULONGLONG bits = heap->list_bitmap[word];
            if (word == units >> 6) {
                bits &= ~0ull << (units & 63);
            }
            if (bits != 0) {
                found = heap->free_lists[word * 64 + __builtin_ctzll(bits)].Flink;
                break;
            }
        }
    }
    if (found == NULL) {
        for (PLIST_ENTRY entry = heap->big_free.Flink; entry != &heap->big_free;
             entry = entry->Flink) {
            if (block_of_links(entry)->units >= units) {
                found = entry;
                break;
            }
        }
        if (found == NULL) {
            return NULL;
        }
    }
    BlockHeader* block = block_of_links(found);
    if (!intact(heap, block) || (block->flags & BLOCK_BUSY) != 0 || !links_intact(block)) {
        *corruption = block;
        return NULL;
    }
    unlink_free(heap, block);
    return block;
}

/* Makes BLOCK (not on a list, busy or about to be) UNITS long, giving what is left over back
 * as a free block when it is big enough to be one, and marks it busy for SIZE bytes. The block
 * after a split-off part must be intact: the caller checked it. */
static void shape_busy(Heap* heap, BlockHeader* block, ULONG units, SIZE_T size) {
    ULONG total = block->units;
    USHORT segment_bits = block->flags & (USHORT)(0xFF << SEGMENT_SHIFT);
    BOOLEAN last = (block->flags & BLOCK_LAST) != 0;
    if (total - units >= MINIMUM_UNITS) {
        BlockHeader* rest = (BlockHeader*)((BYTE*)block + ((SIZE_T)units << UNIT_SHIFT));
        rest->units = total - units;
        rest->previous_units = units;
        rest->flags = (USHORT)(segment_bits | (last ? BLOCK_LAST : 0));
        rest->unused = 0;
        seal(heap, rest);
        if (last) {
            segment_of(heap, rest)->last_block = rest;
        } else {
            BlockHeader* after = next_block(rest);
            after->previous_units = rest->units;
            seal(heap, after);
        }
        link_free(heap, rest);
        block->units = units;
        last = FALSE;
    }
    block->flags = (USHORT)(segment_bits | BLOCK_BUSY | (last ? BLOCK_LAST : 0));
    block->unused = (USHORT)(((SIZE_T)block->units << UNIT_SHIFT) - sizeof(BlockHeader) - size);
    seal(heap, block);
}

/* Gives the tail of the segment's committed part back when the free block BLOCK, the last,
 * is more than the threshold long. */
static void decommit_tail(Heap* heap, BlockHeader* block) {
    Segment* segment = segment_of(heap, block);
    /* One commit step stays committed past the block's start, so that a heap whose use goes
     * up and down across a boundary does not commit and decommit the same pages each time. */
    BYTE* keep_end = (BYTE*)round_up(
        (ULONG_PTR)block + ((SIZE_T)MINIMUM_UNITS << UNIT_SHIFT) + COMMIT_STEP, PAGE);
    if (keep_end >= segment->commit_end ||
        (SIZE_T)(segment->commit_end - keep_end) < DECOMMIT_THRESHOLD) {
        return;
    }
    decommit_pages(keep_end, (SIZE_T)(segment->commit_end - keep_end));
    segment->commit_end = keep_end;
    block->units = (ULONG)((keep_end - (BYTE*)block) >> UNIT_SHIFT);
    seal(heap, block);
}

/* Frees the busy, intact, non-virtual BLOCK, merging it with free neighbours, and returns the
 * free block it became part of. Checks every header and link it will change before changing
 * anything: NULL with *CORRUPTION set when one is damaged. */
static BlockHeader* free_block(Heap* heap, BlockHeader* block, PVOID* corruption) {
    BlockHeader* previous = NULL;
    BlockHeader* next = NULL;
    BlockHeader* after = NULL; /* the first block after the merged one, if any */
    if (block->previous_units != 0) {
        BlockHeader* candidate = previous_block(block);
        if (!intact(heap, candidate) || candidate->units != block->previous_units) {
            *corruption = candidate;
            return NULL;
        }
        if ((candidate->flags & BLOCK_BUSY) == 0) {
            if (!links_intact(candidate)) {
                *corruption = candidate;
                return NULL;
            }
            previous = candidate;
        }
    }
    BOOLEAN last = (block->flags & BLOCK_LAST) != 0;
    if (!last) {
        BlockHeader* candidate = next_block(block);
        if (!intact(heap, candidate) || candidate->previous_units != block->units) {
            *corruption = candidate;
            return NULL;
        }
        if ((candidate->flags & BLOCK_BUSY) == 0) {
            if (!links_intact(candidate)) {
                *corruption = candidate;
                return NULL;
            }
            next = candidate;
            last = (candidate->flags & BLOCK_LAST) != 0;
            if (!last) {
                after = next_block(candidate);
                if (!intact(heap, after)) {
                    *corruption = after;
                    return NULL;
                }
            }
        } else {
            after = candidate;
        }
    }
    BlockHeader* merged = block;
    ULONG units = block->units;
    if (previous != NULL) {
        unlink_free(heap, previous);
        units += previous->units;
        merged = previous;
    }
    if (next != NULL) {
        unlink_free(heap, next);
        units += next->units;
    }
    merged->units = units;
    merged->flags = (USHORT)((block->flags & (0xFF << SEGMENT_SHIFT)) | (last ? BLOCK_LAST : 0));
    merged->unused = 0;
    seal(heap, merged);
    if (merged != block) {
        /* The freed header stays readable as a free one: a second free of it is seen. */
        block->flags &= ~BLOCK_BUSY;
        seal(heap, block);
    }
    if (after != NULL) {
        after->previous_units = units;
        seal(heap, after);
    } else {
        segment_of(heap, merged)->last_block = merged;
        decommit_tail(heap, merged);
    }
    link_free(heap, merged);
    return merged;
}

/* ---- Blocks with their own allocation ------------------------------------------------------ */

static inline LargeBlock* large_of(BlockHeader* header) {
    return (LargeBlock*)((BYTE*)header - offsetof(LargeBlock, header));
}

static PVOID allocate_large(Heap* heap, SIZE_T size) {
    if (size > ~(SIZE_T)0 - sizeof(LargeBlock) - ALLOCATION_GRANULARITY) {
        return NULL;
    }
    PVOID base = NULL;
    SIZE_T bytes = sizeof(LargeBlock) + size;
    if (!NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &bytes,
                                            MEM_COMMIT | MEM_RESERVE, page_protection(heap)))) {
        return NULL;
    }
    LargeBlock* large = base;
    large->allocation_size = bytes;
    large->size = size;
    large->header.units = 0;
    large->header.previous_units = 0;
    large->header.flags = BLOCK_BUSY | BLOCK_VIRTUAL;
    large->header.unused = 0;
    seal(heap, &large->header);
    list_insert_tail(&heap->large_blocks, &large->links);
    return &large->header + 1; /* fresh pages read as zero */
}

static BOOLEAN large_links_intact(LargeBlock* large) {
    return large->links.Flink->Blink == &large->links && large->links.Blink->Flink == &large->links;
}

static void free_large(LargeBlock* large) {
    list_remove(&large->links);
    release_allocation(large);
}

/* ---- Finding a caller's block -------------------------------------------------------------- */

/* Reads the header before ADDRESS with no lock held, so that a wild pointer faults in the
 * caller's thread while the heap stays usable (a handler may go on). */
static inline void probe_header(PVOID address) {
    (void)*(volatile ULONG*)&((BlockHeader*)address - 1)->check;
}

/* The header of the busy block at ADDRESS; NULL with *CORRUPTION set when there is none. */
static BlockHeader* busy_block(Heap* heap, PVOID address, PVOID* corruption) {
    BlockHeader* header = (BlockHeader*)address - 1;
    if (((ULONG_PTR)address & (UNIT - 1)) != 0 || !intact(heap, header) ||
        (header->flags & (BLOCK_BUSY | BLOCK_CACHED)) != BLOCK_BUSY) {
        *corruption = address;
        return NULL;
    }
    if ((header->flags & BLOCK_VIRTUAL) != 0
            ? !large_links_intact(large_of(header))
            : (header->flags >> SEGMENT_SHIFT) >= heap->segment_count) {
        *corruption = address;
        return NULL;
    }
    return header;
}

/* ---- Locking and failures ----------------------------------------------------------------- */

static inline BOOLEAN serialized(const Heap* heap, ULONG flags) {
    return heap->lock != NULL && ((flags | heap->flags) & HEAP_NO_SERIALIZE) == 0;
}

/* The front end's lock. The fast paths hold it for a few dozen instructions; every back-end
 * operation holds it throughout, and so does HeapLock's owner. It belongs to a thread and
 * counts, as the critical section does: HeapLock's owner goes on using the heap, and so does
 * a thread whose handler caught a fault raised while the lock was held. */
static inline BOOLEAN try_lock_front_end(Heap* heap, ULONG me) {
    LONG holder = 0;
    if (__atomic_compare_exchange_n(&heap->front_end_owner, &holder, (LONG)me, FALSE,
                                    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        heap->front_end_depth = 1;
        return TRUE;
    }
    if (holder == (LONG)me) {
        ++heap->front_end_depth;
        return TRUE;
    }
    return FALSE;
}

/* Waits for the front end's lock: on the critical section while another thread holds that
 * (a back-end operation or HeapLock, which may take long), else by letting the holder, a fast
 * path, run. */
static __attribute__((noinline)) void wait_for_front_end(Heap* heap, ULONG me) {
    while (!try_lock_front_end(heap, me)) {
        PRTL_CRITICAL_SECTION section = heap->lock;
        HANDLE owner = section != NULL ? section->OwningThread : NULL;
        if (owner != NULL && owner != (HANDLE)(ULONG_PTR)me) {
            RtlEnterCriticalSection(section);
            RtlLeaveCriticalSection(section);
        } else {
            NtYieldExecution();
        }
    }
}

static inline void lock_front_end(Heap* heap) {
    ULONG me = ntoy_current_thread_id();
    if (!try_lock_front_end(heap, me)) {
        wait_for_front_end(heap, me);
    }
}

static inline void unlock_front_end(Heap* heap) {
    if (--heap->front_end_depth == 0) {
        __atomic_store_n(&heap->front_end_owner, 0, __ATOMIC_RELEASE);
    }
}

/* The back end's lock: the critical section (unless HEAP_NO_SERIALIZE), then the front end's,
 * since the back end rewrites headers of blocks the front end holds. */
static inline void lock_heap(Heap* heap, ULONG flags) {
    if (serialized(heap, flags)) {
        RtlEnterCriticalSection(heap->lock);
    }
    if (heap->front_end) {
        lock_front_end(heap);
    }
}

static inline void unlock_heap(Heap* heap, ULONG flags) {
    if (heap->front_end) {
        unlock_front_end(heap);
    }
    if (serialized(heap, flags)) {
        RtlLeaveCriticalSection(heap->lock);
    }
}

/* ---- The front end ------------------------------------------------------------------------ */

/* Where a cached block keeps its link: the first 16 of its caller's bytes (every block has
 * them). CHECK ties the link to the block and the heap's cookie. */
typedef struct CachedLink {
    BlockHeader* next;
    ULONG_PTR check;
} CachedLink;

static inline CachedLink* cached_link(BlockHeader* block) {
    return (CachedLink*)(block + 1);
}

static inline ULONG_PTR link_check(const Heap* heap, const BlockHeader* block,
                                   const BlockHeader* next) {
    return ((ULONG_PTR)next ^ (ULONG_PTR)block) * 0x9E3779B97F4A7C15ull ^ heap->cookie;
}

/* Whether freed blocks of UNITS (0: one with its own allocation) are the front end's. */
static inline BOOLEAN cached_by_front_end(const Heap* heap, ULONG units) {
    return heap->front_end && units != 0 && units < FRONT_END_LISTS;
}

/* A cached block of UNITS made busy for SIZE bytes; NULL when the list is empty, or (with
 * *CORRUPTION set) when its newest block or link was overwritten. Front-end lock held. */
static inline BlockHeader* take_cached(Heap* heap, ULONG units, SIZE_T size, PVOID* corruption) {
    FrontEndList* list = &heap->front_end_lists[units];
    BlockHeader* block = list->head;
    if (block == NULL) {
        return NULL;
    }
    CachedLink* link = cached_link(block);
    if (!intact(heap, block) || block->units != units ||
        (block->flags & (BLOCK_BUSY | BLOCK_CACHED)) != (BLOCK_BUSY | BLOCK_CACHED) ||
        link->check != link_check(heap, block, link->next)) {
        *corruption = block;
        return NULL;
    }
    list->head = link->next;
    --list->depth;
    block->flags &= ~BLOCK_CACHED;
    block->unused = (USHORT)(((SIZE_T)units << UNIT_SHIFT) - sizeof(BlockHeader) - size);
    seal(heap, block);
    return block;
}

static inline void push_cached(Heap* heap, FrontEndList* list, BlockHeader* block) {
    CachedLink* link = cached_link(block);
    link->next = list->head;
    link->check = link_check(heap, block, list->head);
    list->head = block;
    ++list->depth;
    block->flags |= BLOCK_CACHED;
    seal(heap, block);
}

/* Caches the busy, intact segment block BLOCK when its list has room. The block after it must
 * be intact, as the back end's free would require: an overrun is found here, not later. */
static inline BOOLEAN cache(Heap* heap, BlockHeader* block, PVOID* corruption) {
    FrontEndList* list = &heap->front_end_lists[block->units];
    if ((list->depth + 1) * block->units > FRONT_END_LIST_UNITS) {
        return FALSE;
    }
    if ((block->flags & BLOCK_LAST) == 0 && !intact(heap, next_block(block))) {
        *corruption = next_block(block);
        return FALSE;
    }
    push_cached(heap, list, block);
    return TRUE;
}

/* Gives every cached block back to the back end, where it merges with its free neighbours,
 * and returns how many there were; stops at damage (*CORRUPTION set), leaving the block it
 * was on cached. Back-end lock held. */
static ULONG flush_front_end(Heap* heap, PVOID* corruption) {
    ULONG flushed = 0;
    for (ULONG units = 0; units < FRONT_END_LISTS; ++units) {
        FrontEndList* list = &heap->front_end_lists[units];
        while (list->head != NULL) {
            BlockHeader* block = take_cached(heap, units, 0, corruption);
            if (block == NULL) {
                return flushed;
            }
            if (free_block(heap, block, corruption) == NULL) {
                push_cached(heap, list, block); /* a neighbour is damaged, not this block */
                return flushed;
            }
            ++flushed;
        }
    }
    return flushed;
}

void ntoy_heap_report_corruption(PVOID heap, PVOID address) {
    EXCEPTION_RECORD record;
    memset(&record, 0, sizeof(record));
    record.ExceptionCode = (DWORD)STATUS_HEAP_CORRUPTION;
    record.ExceptionFlags = EXCEPTION_NONCONTINUABLE;
    record.NumberParameters = 2;
    record.ExceptionInformation[0] = (ULONG_PTR)heap;
    record.ExceptionInformation[1] = (ULONG_PTR)address;
    RtlRaiseException(&record);
}

/* HEAP_GENERATE_EXCEPTIONS: a failed allocation raises STATUS_NO_MEMORY with the size asked
 * for, as Windows does; otherwise the thread's last status and error say it. */
void ntoy_heap_allocation_failed(ULONG flags, SIZE_T size) {
    if ((flags & HEAP_GENERATE_EXCEPTIONS) != 0) {
        EXCEPTION_RECORD record;
        memset(&record, 0, sizeof(record));
        record.ExceptionCode = (DWORD)STATUS_NO_MEMORY;
        record.NumberParameters = 1;
        record.ExceptionInformation[0] = size;
        RtlRaiseException(&record);
    }
    NTOY_FIELD(ntoy_current_teb(), NTOY_TEB_LAST_STATUS_VALUE, NTSTATUS) = STATUS_NO_MEMORY;
    RtlSetLastWin32Error(RtlNtStatusToDosError(STATUS_NO_MEMORY));
}

/* ---- Creating and destroying ----------------------------------------------------------------- */

static ULONG new_cookie(PVOID seed) {
    ULONG low, high;
    __asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
    ULONGLONG mixed = ((ULONGLONG)high << 32 | low) ^ (ULONG_PTR)seed;
    mixed *= 0x9E3779B97F4A7C15ull;
    return (ULONG)(mixed >> 32) | 1;
}

PVOID RtlCreateHeap(ULONG Flags, PVOID HeapBase, SIZE_T ReserveSize, SIZE_T CommitSize, PVOID Lock,
                    PRTL_HEAP_PARAMETERS Parameters) {
    (void)Parameters; /* tuning values Windows reads; the defaults here stand */
    if (HeapBase != NULL) {
        return NULL; /* heaps in memory the caller provides are not supported */
    }
    if (ReserveSize == 0) {
        ReserveSize = DEFAULT_RESERVE;
        Flags |= HEAP_GROWABLE;
    }
    if (CommitSize > ReserveSize) {
        ReserveSize = CommitSize;
    }
    SIZE_T header_bytes = round_up(sizeof(Heap) + sizeof(Segment) + UNIT, UNIT);
    ReserveSize =
        round_up(ReserveSize > header_bytes + PAGE ? ReserveSize : header_bytes + PAGE, PAGE);
    CommitSize =
        round_up(CommitSize > header_bytes + PAGE ? CommitSize : header_bytes + PAGE, PAGE);
    if (CommitSize > ReserveSize) {
        CommitSize = ReserveSize;
    }
    ULONG protect =
        (Flags & HEAP_CREATE_ENABLE_EXECUTE) != 0 ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE;
    PVOID base = NULL;
    SIZE_T bytes = ReserveSize;
    if (!NT_SUCCESS(
            NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &bytes, MEM_RESERVE, protect))) {
        return NULL;
    }
    PVOID commit_base = base;
    SIZE_T commit_bytes = CommitSize;
    if (!NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &commit_base, 0, &commit_bytes,
                                            MEM_COMMIT, protect))) {
        release_allocation(base);
        return NULL;
    }
    Heap* heap = base;
    heap->signature = HEAP_SIGNATURE;
    heap->flags = Flags & ~HEAP_CLASS_1;
    heap->cookie = new_cookie(base);
    heap->next_reserve = ReserveSize < DEFAULT_RESERVE ? DEFAULT_RESERVE : ReserveSize * 2;
    if (heap->next_reserve > MAXIMUM_SEGMENT_RESERVE) {
        heap->next_reserve = MAXIMUM_SEGMENT_RESERVE;
    }
    heap->large_blocks.Flink = heap->large_blocks.Blink = &heap->large_blocks;
    heap->big_free.Flink = heap->big_free.Blink = &heap->big_free;
    heap->page_blocks.Flink = heap->page_blocks.Blink = &heap->page_blocks;
    for (ULONG i = 0; i < SMALL_LISTS; ++i) {
        heap->free_lists[i].Flink = heap->free_lists[i].Blink = &heap->free_lists[i];
    }
    if ((Flags & HEAP_NO_SERIALIZE) != 0) {
        heap->lock = NULL;
    } else if (Lock != NULL) {
        heap->lock = Lock;
    } else {
        RtlInitializeCriticalSection(&heap->lock_storage);
        heap->lock = &heap->lock_storage;
    }
    heap->page_heap = ntoy_page_heap_enabled();
    heap->front_end = heap->lock != NULL && (Flags & HEAP_GROWABLE) != 0 && !heap->page_heap;
    heap->front_end_owner = 0;
    heap->front_end_depth = 0;
    memset(heap->front_end_lists, 0, sizeof(heap->front_end_lists));
    start_segment(heap, 0, base, (BYTE*)(heap + 1), bytes < CommitSize ? bytes : CommitSize, bytes);

    RtlEnterCriticalSection(&heap_list_lock);
    list_insert_tail(&heap_list, &heap->process_links);
    ++heap_count;
    peb_add_heap(heap);
    RtlLeaveCriticalSection(&heap_list_lock);
    return heap;
}

static BOOLEAN is_process_heap(PVOID heap) {
    return heap == NTOY_FIELD(ntoy_current_peb(), NTOY_PEB_PROCESS_HEAP, PVOID);
}

PVOID RtlDestroyHeap(PVOID HeapHandle) {
    Heap* heap = HeapHandle;
    if (heap == NULL || heap->signature != HEAP_SIGNATURE || is_process_heap(heap)) {
        return HeapHandle;
    }
    RtlEnterCriticalSection(&heap_list_lock);
    list_remove(&heap->process_links);
    --heap_count;
    peb_remove_heap(heap);
    RtlLeaveCriticalSection(&heap_list_lock);
    if (heap->page_heap) {
        ntoy_page_heap_destroy(heap);
    }
    while (heap->large_blocks.Flink != &heap->large_blocks) {
        LargeBlock* large = (LargeBlock*)heap->large_blocks.Flink;
        free_large(large);
    }
    if (heap->lock == &heap->lock_storage) {
        RtlDeleteCriticalSection(&heap->lock_storage);
    }
    heap->signature = 0;
    for (ULONG i = heap->segment_count; i-- > 0;) {
        release_allocation(heap->segments[i]->base); /* the first holds the heap itself */
    }
    return NULL;
}

/* ---- Allocating and freeing ---------------------------------------------------------------- */

/* UNITS for a block of SIZE bytes; 0 when it needs an allocation of its own. */
static inline ULONG units_for(SIZE_T size) {
    if (size > ((SIZE_T)VIRTUAL_THRESHOLD_UNITS << UNIT_SHIFT) - sizeof(BlockHeader)) {
        return 0;
    }
    ULONG units = (ULONG)((size + sizeof(BlockHeader) + UNIT - 1) >> UNIT_SHIFT);
    return units < MINIMUM_UNITS ? MINIMUM_UNITS : units;
}

/* The allocation itself, lock held. */
static PVOID allocate(Heap* heap, SIZE_T size, PVOID* corruption) {
    ULONG units = units_for(size);
    if (units == 0) {
        return (heap->flags & HEAP_GROWABLE) != 0 ? allocate_large(heap, size) : NULL;
    }
    BlockHeader* block = take_free(heap, units, corruption);
    if (block == NULL) {
        if (*corruption != NULL || !grow(heap, units, corruption)) {
            return NULL;
        }
        block = take_free(heap, units, corruption);
        if (block == NULL) {
            return NULL;
        }
    }
    if (block->units - units >= MINIMUM_UNITS && (block->flags & BLOCK_LAST) == 0 &&
        !intact(heap, next_block(block))) {
        *corruption = next_block(block);
        link_free(heap, block);
        return NULL;
    }
    shape_busy(heap, block, units, size);
    return block + 1;
}

/* The front end's share of RtlAllocateHeap and RtlFreeHeap, on their callers' path: nothing
 * here calls out unless the lock is contended, and anything unusual (an empty list, a block
 * that is not the front end's, damage) is left to the slow path, which looks again with the
 * whole lock held and reports what it finds. */

/* The largest caller's size the front end serves. */
#define FRONT_END_MAXIMUM_SIZE (((SIZE_T)(FRONT_END_LISTS - 1) << UNIT_SHIFT) - sizeof(BlockHeader))

static inline PVOID allocate_from_front_end(Heap* heap, SIZE_T size) {
    const ULONG units = units_for(size);
    lock_front_end(heap);
    PVOID ignored = NULL;
    BlockHeader* block = take_cached(heap, units, size, &ignored);
    unlock_front_end(heap);
    return block != NULL ? block + 1 : NULL;
}

static inline BOOLEAN free_to_front_end(Heap* heap, PVOID address) {
    BlockHeader* block = (BlockHeader*)address - 1;
    if (((ULONG_PTR)address & (UNIT - 1)) != 0) {
        return FALSE;
    }
    probe_header(address);
    lock_front_end(heap);
    PVOID ignored = NULL;
    BOOLEAN cached = intact(heap, block) &&
                     (block->flags & (BLOCK_BUSY | BLOCK_CACHED | BLOCK_VIRTUAL)) == BLOCK_BUSY &&
                     cached_by_front_end(heap, block->units) &&
                     (block->flags >> SEGMENT_SHIFT) < heap->segment_count &&
                     cache(heap, block, &ignored);
    unlock_front_end(heap);
    return cached;
}

/* An allocation with the whole lock held: a cached block of its size, else the segments',
 * else the segments' once the front end has given its blocks back. */
static PVOID allocate_locked(Heap* heap, SIZE_T size, PVOID* corruption) {
    ULONG units = units_for(size);
    if (cached_by_front_end(heap, units)) {
        BlockHeader* cached = take_cached(heap, units, size, corruption);
        if (cached != NULL || *corruption != NULL) {
            return cached != NULL ? cached + 1 : NULL;
        }
    }
    PVOID block = allocate(heap, size, corruption);
    if (block == NULL && *corruption == NULL && heap->front_end &&
        flush_front_end(heap, corruption) != 0 && *corruption == NULL) {
        block = allocate(heap, size, corruption);
    }
    return block;
}

static __attribute__((noinline)) PVOID allocate_slowly(Heap* heap, ULONG flags, SIZE_T size) {
    PVOID corruption = NULL;
    lock_heap(heap, flags);
    PVOID block = allocate_locked(heap, size, &corruption);
    unlock_heap(heap, flags);
    if (block == NULL) {
        if (corruption != NULL) {
            ntoy_heap_report_corruption(heap, corruption);
            return NULL;
        }
        ntoy_heap_allocation_failed(flags, size);
        return NULL;
    }
    if ((flags & HEAP_ZERO_MEMORY) != 0) {
        memset(block, 0, size);
    }
    return block;
}

PVOID RtlAllocateHeap(PVOID HeapHandle, ULONG Flags, SIZE_T Size) {
    Heap* heap = HeapHandle;
    Flags |= heap->flags & (HEAP_GENERATE_EXCEPTIONS | HEAP_NO_SERIALIZE);
    if (heap->front_end && Size <= FRONT_END_MAXIMUM_SIZE) {
        PVOID block = allocate_from_front_end(heap, Size);
        if (block != NULL) {
            if ((Flags & HEAP_ZERO_MEMORY) != 0) {
                memset(block, 0, Size);
            }
            return block;
        }
    }
    if (heap->page_heap) {
        return ntoy_page_heap_allocate(heap, Flags, Size);
    }
    return allocate_slowly(heap, Flags, Size);
}

static __attribute__((noinline)) BOOLEAN free_slowly(Heap* heap, ULONG flags, PVOID address) {
    PVOID corruption = NULL;
    BOOLEAN freed = FALSE;
    probe_header(address);
    lock_heap(heap, flags);
    BlockHeader* block = busy_block(heap, address, &corruption);
    if (block != NULL) {
        if ((block->flags & BLOCK_VIRTUAL) != 0) {
            free_large(large_of(block));
            freed = TRUE;
        } else {
            BlockHeader* merged = free_block(heap, block, &corruption);
            freed = merged != NULL;
            /* Cached blocks keep free space apart and off the segment's end, where it would be
             * decommitted: once the free run at the end is that large, they go back too. Each
             * flush takes back only what was cached since the last one. */
            if (freed && heap->front_end && (merged->flags & BLOCK_LAST) != 0 &&
                merged->units >= DECOMMIT_THRESHOLD >> UNIT_SHIFT) {
                flush_front_end(heap, &corruption);
            }
        }
    }
    unlock_heap(heap, flags);
    if (corruption != NULL) {
        ntoy_heap_report_corruption(heap, corruption);
    }
    return freed;
}

BOOLEAN RtlFreeHeap(PVOID HeapHandle, ULONG Flags, PVOID BaseAddress) {
    if (BaseAddress == NULL) {
        return TRUE;
    }
    Heap* heap = HeapHandle;
    Flags |= heap->flags & HEAP_NO_SERIALIZE;
    if (heap->front_end && free_to_front_end(heap, BaseAddress)) {
        return TRUE;
    }
    if (heap->page_heap) {
        return ntoy_page_heap_free(heap, Flags, BaseAddress);
    }
    return free_slowly(heap, Flags, BaseAddress);
}

SIZE_T RtlSizeHeap(PVOID HeapHandle, ULONG Flags, PVOID BaseAddress) {
    Heap* heap = HeapHandle;
    Flags |= heap->flags & HEAP_NO_SERIALIZE;
    if (heap->page_heap) {
        return ntoy_page_heap_size(heap, Flags, BaseAddress);
    }
    PVOID corruption = NULL;
    SIZE_T size = (SIZE_T)-1;
    probe_header(BaseAddress);
    lock_heap(heap, Flags);
    BlockHeader* block = busy_block(heap, BaseAddress, &corruption);
    if (block != NULL) {
        size = (block->flags & BLOCK_VIRTUAL) != 0 ? large_of(block)->size : user_size(block);
    }
    unlock_heap(heap, Flags);
    return size;
}

/* Resizes BLOCK where it is when it can; lock held. */
static BOOLEAN resize_in_place(Heap* heap, BlockHeader* block, SIZE_T size, ULONG flags,
                               PVOID* corruption) {
    if ((block->flags & BLOCK_VIRTUAL) != 0) {
        /* A block that has become small moves into a segment unless it must stay. */
        LargeBlock* large = large_of(block);
        if (size > large->allocation_size - sizeof(LargeBlock) ||
            (units_for(size) != 0 && (flags & HEAP_REALLOC_IN_PLACE_ONLY) == 0)) {
            return FALSE;
        }
        large->size = size;
        return TRUE;
    }
    ULONG units = units_for(size);
    if (units == 0) {
        return FALSE;
    }
    BlockHeader* next = NULL;
    if ((block->flags & BLOCK_LAST) == 0) {
        next = next_block(block);
        if (!intact(heap, next)) {
            *corruption = next;
            return FALSE;
        }
    }
    if (units > block->units) {
        if (next == NULL || (next->flags & BLOCK_BUSY) != 0 || block->units + next->units < units) {
            return FALSE;
        }
        if (!links_intact(next)) {
            *corruption = next;
            return FALSE;
        }
        BlockHeader* after = NULL;
        if ((next->flags & BLOCK_LAST) == 0) {
            after = next_block(next);
            if (!intact(heap, after)) {
                *corruption = after;
                return FALSE;
            }
        }
        unlink_free(heap, next);
        block->units += next->units;
        if (after != NULL) {
            after->previous_units = block->units;
            seal(heap, after);
        } else {
            block->flags |= BLOCK_LAST;
            segment_of(heap, block)->last_block = block;
        }
        shape_busy(heap, block, units, size);
        return TRUE;
    }
    if (block->units - units >= MINIMUM_UNITS && next != NULL && (next->flags & BLOCK_BUSY) == 0) {
        /* The part given up joins the free block after it: free it as a block of its own. */
        shape_busy(heap, block, units, size);
        BlockHeader* rest = next_block(block);
        unlink_free(heap, rest);
        rest->flags |= BLOCK_BUSY;
        seal(heap, rest);
        return free_block(heap, rest, corruption) != NULL;
    }
    shape_busy(heap, block, units, size);
    return TRUE;
}

PVOID RtlReAllocateHeap(PVOID HeapHandle, ULONG Flags, PVOID BaseAddress, SIZE_T Size) {
    if (BaseAddress == NULL) {
        return NULL;
    }
    Heap* heap = HeapHandle;
    Flags |= heap->flags & (HEAP_GENERATE_EXCEPTIONS | HEAP_NO_SERIALIZE);
    if (heap->page_heap) {
        return ntoy_page_heap_reallocate(heap, Flags, BaseAddress, Size);
    }
    PVOID corruption = NULL;
    PVOID result = NULL;
    SIZE_T old_size = 0;
    probe_header(BaseAddress);
    lock_heap(heap, Flags);
    BlockHeader* block = busy_block(heap, BaseAddress, &corruption);
    if (block != NULL) {
        old_size = (block->flags & BLOCK_VIRTUAL) != 0 ? large_of(block)->size : user_size(block);
        if (resize_in_place(heap, block, Size, Flags, &corruption)) {
            result = BaseAddress;
        } else if (corruption == NULL && (Flags & HEAP_REALLOC_IN_PLACE_ONLY) == 0) {
            result = allocate_locked(heap, Size, &corruption);
            if (result != NULL) {
                memcpy(result, BaseAddress, old_size < Size ? old_size : Size);
                block = (BlockHeader*)BaseAddress - 1; /* unchanged by the allocation */
                if ((block->flags & BLOCK_VIRTUAL) != 0) {
                    free_large(large_of(block));
                } else if (free_block(heap, block, &corruption) == NULL) {
                    result = NULL;
                }
            }
        }
    }
    unlock_heap(heap, Flags);
    if (result == NULL) {
        if (corruption != NULL) {
            ntoy_heap_report_corruption(heap, corruption);
            return NULL;
        }
        if (block != NULL) {
            ntoy_heap_allocation_failed(Flags, Size);
        }
        return NULL;
    }
    if ((Flags & HEAP_ZERO_MEMORY) != 0 && Size > old_size) {
        memset((BYTE*)result + old_size, 0, Size - old_size);
    }
    return result;
}

/* ---- Locking, validating and walking --------------------------------------------------------- */

/* HeapLock: no other thread allocates or frees until HeapUnlock, the front end included. */
BOOLEAN RtlLockHeap(PVOID HeapHandle) {
    Heap* heap = HeapHandle;
    if (heap->lock != NULL) {
        RtlEnterCriticalSection(heap->lock);
    }
    if (heap->front_end) {
        lock_front_end(heap);
    }
    return TRUE;
}

BOOLEAN RtlUnlockHeap(PVOID HeapHandle) {
    Heap* heap = HeapHandle;
    if (heap->front_end) {
        unlock_front_end(heap);
    }
    if (heap->lock != NULL) {
        RtlLeaveCriticalSection(heap->lock);
    }
    return TRUE;
}

static BOOLEAN validate_segment(Heap* heap, Segment* segment) {
    BlockHeader* block = (BlockHeader*)segment->first_block;
    ULONG previous_units = 0;
    BOOLEAN previous_free = FALSE;
    for (;;) {
        if ((BYTE*)block + sizeof(BlockHeader) > segment->commit_end || !intact(heap, block) ||
            block->units < MINIMUM_UNITS || block->previous_units != previous_units ||
            (block->flags >> SEGMENT_SHIFT) != segment->index ||
            (block->flags & BLOCK_VIRTUAL) != 0) {
            return FALSE;
        }
        BOOLEAN free = (block->flags & BLOCK_BUSY) == 0;
        if (free && (previous_free || !links_intact(block))) {
            return FALSE;
        }
        if ((block->flags & BLOCK_CACHED) != 0 && (free || block->units >= FRONT_END_LISTS)) {
            return FALSE;
        }
        if ((BYTE*)next_block(block) > segment->commit_end) {
            return FALSE;
        }
        if ((block->flags & BLOCK_LAST) != 0) {
            return (BYTE*)next_block(block) == segment->commit_end && segment->last_block == block;
        }
        previous_units = block->units;
        previous_free = free;
        block = next_block(block);
    }
}

static BOOLEAN validate_heap(Heap* heap) {
    for (ULONG i = 0; i < heap->segment_count; ++i) {
        if (!validate_segment(heap, heap->segments[i])) {
            return FALSE;
        }
    }
    for (PLIST_ENTRY entry = heap->large_blocks.Flink; entry != &heap->large_blocks;
         entry = entry->Flink) {
        LargeBlock* large = (LargeBlock*)entry;
        if (!large_links_intact(large) || !intact(heap, &large->header) ||
            large->header.flags != (BLOCK_BUSY | BLOCK_VIRTUAL)) {
            return FALSE;
        }
    }
    for (ULONG units = 0; units < FRONT_END_LISTS; ++units) {
        ULONG depth = 0;
        for (BlockHeader* block = heap->front_end_lists[units].head; block != NULL;
             block = cached_link(block)->next) {
            CachedLink* link = cached_link(block);
            if (!intact(heap, block) || block->units != units ||
                (block->flags & (BLOCK_BUSY | BLOCK_CACHED)) != (BLOCK_BUSY | BLOCK_CACHED) ||
                link->check != link_check(heap, block, link->next) ||
                ++depth > heap->front_end_lists[units].depth) {
                return FALSE;
            }
        }
        if (depth != heap->front_end_lists[units].depth) {
            return FALSE;
        }
    }
    for (ULONG i = 0; i <= SMALL_LISTS; ++i) {
        PLIST_ENTRY head = i < SMALL_LISTS ? &heap->free_lists[i] : &heap->big_free;
        for (PLIST_ENTRY entry = head->Flink; entry != head; entry = entry->Flink) {
            BlockHeader* block = block_of_links(entry);
            if (entry->Flink->Blink != entry || !intact(heap, block) ||
                (block->flags & BLOCK_BUSY) != 0 ||
                (i < SMALL_LISTS ? block->units != i : block->units < SMALL_LISTS)) {
                return FALSE;
            }
        }
    }
    return TRUE;
}

BOOLEAN RtlValidateHeap(PVOID HeapHandle, ULONG Flags, PVOID BaseAddress) {
    Heap* heap = HeapHandle;
    if (heap == NULL || heap->signature != HEAP_SIGNATURE) {
        return FALSE;
    }
    Flags |= heap->flags & HEAP_NO_SERIALIZE;
    if (heap->page_heap) {
        return ntoy_page_heap_validate(heap, Flags, BaseAddress);
    }
    BOOLEAN valid;
    if (BaseAddress != NULL) {
        probe_header(BaseAddress);
    }
    lock_heap(heap, Flags);
    if (BaseAddress == NULL) {
        valid = validate_heap(heap);
    } else {
        PVOID corruption = NULL;
        BlockHeader* block = busy_block(heap, BaseAddress, &corruption);
        valid = block != NULL;
        if (valid && (block->flags & BLOCK_VIRTUAL) == 0) {
            Segment* segment = segment_of(heap, block);
            valid = (BYTE*)block >= segment->first_block &&
                    (BYTE*)next_block(block) <= segment->commit_end;
        }
    }
    unlock_heap(heap, Flags);
    return valid;
}

static void report_segment(Segment* segment, PRTL_HEAP_WALK_ENTRY entry) {
    entry->DataAddress = segment->base;
    entry->DataSize = (SIZE_T)(segment->reserve_end - segment->base);
    entry->OverheadBytes = sizeof(Segment);
    entry->SegmentIndex = (UCHAR)segment->index;
    entry->Flags = RTL_HEAP_SEGMENT;
    entry->u.Segment.CommittedSize = (ULONG)(segment->commit_end - segment->base);
    entry->u.Segment.UnCommittedSize = (ULONG)(segment->reserve_end - segment->commit_end);
    entry->u.Segment.FirstEntry = segment->first_block;
    entry->u.Segment.LastEntry = segment->reserve_end;
}

static void report_block(Heap* heap, BlockHeader* block, PRTL_HEAP_WALK_ENTRY entry) {
    memset(&entry->u, 0, sizeof(entry->u));
    entry->DataAddress = block + 1;
    entry->SegmentIndex = (UCHAR)segment_of(heap, block)->index;
    if ((block->flags & BLOCK_BUSY) != 0) {
        entry->DataSize = user_size(block);
        entry->OverheadBytes = (UCHAR)(sizeof(BlockHeader) + block->unused);
        entry->Flags = RTL_HEAP_BUSY;
    } else {
        entry->DataSize = ((SIZE_T)block->units << UNIT_SHIFT) - sizeof(BlockHeader);
        entry->OverheadBytes = sizeof(BlockHeader);
        entry->Flags = 0;
    }
}

static void report_large(LargeBlock* large, PRTL_HEAP_WALK_ENTRY entry) {
    memset(&entry->u, 0, sizeof(entry->u));
    entry->DataAddress = &large->header + 1;
    entry->DataSize = large->size;
    entry->OverheadBytes = sizeof(LargeBlock);
    entry->SegmentIndex = 0;
    entry->Flags = RTL_HEAP_BUSY;
}

/* The entry after the segment with index INDEX's entries: the next segment, else the first
 * large block. */
static NTSTATUS report_after_segment(Heap* heap, ULONG index, PRTL_HEAP_WALK_ENTRY entry) {
    if (index + 1 < heap->segment_count) {
        report_segment(heap->segments[index + 1], entry);
        return STATUS_SUCCESS;
    }
    if (heap->large_blocks.Flink != &heap->large_blocks) {
        report_large((LargeBlock*)heap->large_blocks.Flink, entry);
        return STATUS_SUCCESS;
    }
    return STATUS_NO_MORE_ENTRIES;
}

static NTSTATUS walk_next(Heap* heap, PRTL_HEAP_WALK_ENTRY entry) {
    if (entry->DataAddress == NULL) {
        report_segment(heap->segments[0], entry);
        return STATUS_SUCCESS;
    }
    if ((entry->Flags & RTL_HEAP_SEGMENT) != 0) {
        for (ULONG i = 0; i < heap->segment_count; ++i) {
            if (heap->segments[i]->base == entry->DataAddress) {
                report_block(heap, (BlockHeader*)heap->segments[i]->first_block, entry);
                return STATUS_SUCCESS;
            }
        }
        return STATUS_INVALID_PARAMETER;
    }
    if ((entry->Flags & RTL_HEAP_UNCOMMITTED_RANGE) != 0) {
        for (ULONG i = 0; i < heap->segment_count; ++i) {
            if (heap->segments[i]->commit_end == entry->DataAddress) {
                return report_after_segment(heap, i, entry);
            }
        }
        return STATUS_INVALID_PARAMETER;
    }
    BlockHeader* block = (BlockHeader*)entry->DataAddress - 1;
    if (((ULONG_PTR)entry->DataAddress & (UNIT - 1)) != 0 || !intact(heap, block)) {
        return STATUS_INVALID_PARAMETER;
    }
    if ((block->flags & BLOCK_VIRTUAL) != 0) {
        PLIST_ENTRY next = large_of(block)->links.Flink;
        if (next == &heap->large_blocks) {
            return STATUS_NO_MORE_ENTRIES;
        }
        report_large((LargeBlock*)next, entry);
        return STATUS_SUCCESS;
    }
    if ((block->flags >> SEGMENT_SHIFT) >= heap->segment_count) {
        return STATUS_INVALID_PARAMETER;
    }
    Segment* segment = segment_of(heap, block);
    if ((block->flags & BLOCK_LAST) == 0) {
        BlockHeader* next = next_block(block);
        if (!intact(heap, next)) {
            return STATUS_INVALID_PARAMETER;
        }
        report_block(heap, next, entry);
        return STATUS_SUCCESS;
    }
    if (segment->commit_end < segment->reserve_end) {
        memset(&entry->u, 0, sizeof(entry->u));
        entry->DataAddress = segment->commit_end;
        entry->DataSize = (SIZE_T)(segment->reserve_end - segment->commit_end);
        entry->OverheadBytes = 0;
        entry->SegmentIndex = (UCHAR)segment->index;
        entry->Flags = RTL_HEAP_UNCOMMITTED_RANGE;
        return STATUS_SUCCESS;
    }
    return report_after_segment(heap, segment->index, entry);
}

NTSTATUS RtlWalkHeap(PVOID HeapHandle, PRTL_HEAP_WALK_ENTRY Entry) {
    Heap* heap = HeapHandle;
    if (heap == NULL || heap->signature != HEAP_SIGNATURE) {
        return STATUS_INVALID_PARAMETER;
    }
    if (heap->page_heap) {
        return ntoy_page_heap_walk(heap, Entry);
    }
    lock_heap(heap, 0);
    PVOID corruption = NULL;
    /* A walk shows the back end's blocks as they are, so the front end gives its back first;
     * damage stops that, and what is still cached shows up busy. */
    if (Entry->DataAddress == NULL) {
        (void)flush_front_end(heap, &corruption);
    }
    NTSTATUS status = walk_next(heap, Entry);
    unlock_heap(heap, 0);
    return status;
}

ULONG RtlGetProcessHeaps(ULONG NumberOfHeaps, PVOID* ProcessHeaps) {
    RtlEnterCriticalSection(&heap_list_lock);
    ULONG count = heap_count;
    ULONG i = 0;
    for (PLIST_ENTRY entry = heap_list.Flink; entry != &heap_list && i < NumberOfHeaps;
         entry = entry->Flink) {
        ProcessHeaps[i++] = (BYTE*)entry - offsetof(Heap, process_links);
    }
    RtlLeaveCriticalSection(&heap_list_lock);
    return count;
}

NTSTATUS ntoy_heap_initialize_process(VOID) {
    PVOID heap = RtlCreateHeap(HEAP_GROWABLE, NULL, 0, 0, NULL, NULL);
    if (heap == NULL) {
        return STATUS_NO_MEMORY;
    }
    NTOY_FIELD(ntoy_current_peb(), NTOY_PEB_PROCESS_HEAP, PVOID) = heap;
    return STATUS_SUCCESS;
}
