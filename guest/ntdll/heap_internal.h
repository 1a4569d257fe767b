/* ntdll-internal: the heap's structures (heap.c) and the page heap's entry points
 * (page_heap.c), which heap.c's exports hand over to when the heap is a page heap. */
#ifndef NTOY_NTDLL_HEAP_INTERNAL_H
#define NTOY_NTDLL_HEAP_INTERNAL_H

#include "ntoy/nt_status.h"
#include "ntoy/ntdll_exports.h"
#include "ntoy/teb.h"

#define UNIT 16 /* block granularity and alignment */
#define UNIT_SHIFT 4
#define PAGE 0x1000
#define SMALL_LISTS 128
#define MAXIMUM_SEGMENTS 64
#define HEAP_SIGNATURE 0xEEFFEEFF
#define FRONT_END_LISTS 64 /* freed blocks of fewer units are cached by the front end */

typedef struct BlockHeader {
    ULONG units; /* the whole block, header included, in 16-byte units */
    ULONG previous_units;
    USHORT flags;  /* BLOCK_* and the segment index */
    USHORT unused; /* bytes of a busy block past the caller's size */
    ULONG check;   /* header_check(): the fields, the heap's cookie and the address */
} BlockHeader;
_Static_assert(sizeof(BlockHeader) == UNIT, "a header is one unit");

typedef struct Segment {
    struct Heap* heap;
    BYTE* base; /* of the reservation */
    BYTE* first_block;
    BYTE* commit_end;
    BYTE* reserve_end;
    BlockHeader* last_block; /* the one that ends at commit_end */
    ULONG index;
    ULONG reserved;
} Segment;

/* A block with an allocation of its own: this record starts the allocation, the caller's
 * bytes follow its header. */
typedef struct LargeBlock {
    LIST_ENTRY links;
    SIZE_T allocation_size;
    SIZE_T size; /* the caller's */
    BlockHeader header;
} LargeBlock;
_Static_assert(sizeof(LargeBlock) % UNIT == 0, "large blocks stay aligned");

/* The front end's list of freed blocks of one size, newest first, linked through their
 * caller's bytes (CachedLink, heap.c). */
typedef struct FrontEndList {
    BlockHeader* head;
    ULONG depth;
    ULONG reserved;
} FrontEndList;

typedef struct Heap {
    ULONG signature;
    ULONG flags; /* the creation flags */
    ULONG cookie;
    ULONG segment_count;
    BOOLEAN page_heap;
    PRTL_CRITICAL_SECTION lock; /* NULL: HEAP_NO_SERIALIZE */
    RTL_CRITICAL_SECTION lock_storage;
    SIZE_T next_reserve; /* of the next segment */
    LIST_ENTRY process_links;
    LIST_ENTRY large_blocks;
    LIST_ENTRY big_free; /* free blocks of SMALL_LISTS units or more */
    ULONGLONG list_bitmap[SMALL_LISTS / 64];
    LIST_ENTRY free_lists[SMALL_LISTS]; /* by size in units */
    Segment* segments[MAXIMUM_SEGMENTS];
    LIST_ENTRY page_blocks; /* page heap: its busy blocks */
    BOOLEAN front_end;      /* growable and serialized: small frees are cached */
    LONG front_end_owner;   /* the thread holding the front end's lock (heap.c), or 0 */
    ULONG front_end_depth;  /* how many times it holds it */
    FrontEndList front_end_lists[FRONT_END_LISTS]; /* by size in units */
} Heap;

/* heap.c */
void ntoy_heap_report_corruption(PVOID heap, PVOID address);
void ntoy_heap_allocation_failed(ULONG flags, SIZE_T size);

/* page_heap.c: every allocation in its own pages, ending at a page boundary before a page that
 * is reserved and never committed; freed blocks decommitted. */
BOOLEAN ntoy_page_heap_enabled(VOID);
PVOID ntoy_page_heap_allocate(Heap* heap, ULONG flags, SIZE_T size);
BOOLEAN ntoy_page_heap_free(Heap* heap, ULONG flags, PVOID address);
SIZE_T ntoy_page_heap_size(Heap* heap, ULONG flags, PVOID address);
PVOID ntoy_page_heap_reallocate(Heap* heap, ULONG flags, PVOID address, SIZE_T size);
BOOLEAN ntoy_page_heap_validate(Heap* heap, ULONG flags, PVOID address);
NTSTATUS ntoy_page_heap_walk(Heap* heap, PRTL_HEAP_WALK_ENTRY entry);
VOID ntoy_page_heap_destroy(Heap* heap);

/* The process heap, in PEB->ProcessHeap: made before any DLL runs (loader.c). */
NTSTATUS ntoy_heap_initialize_process(VOID);

#endif
