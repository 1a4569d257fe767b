/* Lookaside lists: a lock-free stack of free blocks (a 16-byte compare-and-swap of the first
 * block and a change counter, so that a block taken and given back meanwhile cannot fool a
 * pop), up to Depth blocks; beyond that blocks go back to Free. The default Allocate and Free
 * are the pool's, charged to the driver that asked for the block, so that pool tracking names
 * it. Paged lists never raise the IRQL: their blocks are paged pool. */
#include "ntoskrnl_private.h"

#define LOOKASIDE_DEPTH 256
#define LOOKASIDE_MINIMUM_BLOCK 8 /* a free block holds the link to the next */

_Static_assert(sizeof(GENERAL_LOOKASIDE) == 0x80, "GENERAL_LOOKASIDE");
_Static_assert(offsetof(GENERAL_LOOKASIDE, Allocate) == 0x30, "Allocate");
_Static_assert(offsetof(GENERAL_LOOKASIDE, ListEntry) == 0x40, "ListEntry");

static BOOLEAN swap_head(NTOY_SLIST_HEADER* head, NTOY_SLIST_HEADER* expected,
                         NTOY_SLIST_HEADER desired) {
    BOOLEAN swapped;
    __asm__ __volatile__("lock cmpxchg16b %1\n\tsetz %0"
                         : "=q"(swapped), "+m"(*head), "+a"(expected->Next),
                           "+d"(expected->DepthSeq)
                         : "b"(desired.Next), "c"(desired.DepthSeq)
                         : "memory", "cc");
    return swapped;
}

static PVOID pop(GENERAL_LOOKASIDE* l) {
    NTOY_SLIST_HEADER seen = l->ListHead;
    for (;;) {
        if (seen.Next == NULL)
            return NULL;
        NTOY_SLIST_HEADER next = {*(PVOID*)seen.Next, ((seen.DepthSeq & ~0xFFFFULL) + 0x10000) |
                                                          ((seen.DepthSeq - 1) & 0xFFFF)};
        if (swap_head(&l->ListHead, &seen, next))
            return seen.Next;
    }
}

static BOOLEAN push(GENERAL_LOOKASIDE* l, PVOID entry) {
    NTOY_SLIST_HEADER seen = l->ListHead;
    for (;;) {
        if ((seen.DepthSeq & 0xFFFF) >= l->Depth)
            return FALSE;
        *(PVOID*)entry = seen.Next;
        NTOY_SLIST_HEADER next = {
            entry, ((seen.DepthSeq & ~0xFFFFULL) + 0x10000) | ((seen.DepthSeq + 1) & 0xFFFF)};
        if (swap_head(&l->ListHead, &seen, next))
            return TRUE;
    }
}

static void initialize(GENERAL_LOOKASIDE* l, POOL_TYPE type, PALLOCATE_FUNCTION allocate,
                       PFREE_FUNCTION free, SIZE_T size, ULONG tag) {
    memset(l, 0, sizeof *l);
    l->Depth = LOOKASIDE_DEPTH;
    l->MaximumDepth = LOOKASIDE_DEPTH;
    l->Type = type;
    l->Tag = tag;
    l->Size = (ULONG)(size < LOOKASIDE_MINIMUM_BLOCK ? LOOKASIDE_MINIMUM_BLOCK : size);
    l->Allocate = allocate;
    l->Free = free;
    l->ListEntry.Flink = l->ListEntry.Blink = &l->ListEntry;
}

static PVOID allocate(GENERAL_LOOKASIDE* l, ULONG64 caller) {
    l->TotalAllocates++;
    PVOID block = pop(l);
    if (block != NULL)
        return block;
    l->AllocateMisses++;
    if (l->Allocate != NULL)
        return l->Allocate(l->Type, l->Size, l->Tag);
    return (PVOID)NtoyKsAllocatePoolType((ULONG64)l->Type, l->Size, l->Tag, caller);
}

static void give_back(GENERAL_LOOKASIDE* l, PVOID entry, ULONG64 caller) {
    l->TotalFrees++;
    if (push(l, entry))
        return;
    l->FreeMisses++;
    if (l->Free != NULL)
        l->Free(entry);
    else
        NtoyKsFreePool((ULONG64)entry, 0, caller);
}

static void delete_list(GENERAL_LOOKASIDE* l, ULONG64 caller) {
    for (PVOID block = pop(l); block != NULL; block = pop(l)) {
        if (l->Free != NULL)
            l->Free(block);
        else
            NtoyKsFreePool((ULONG64)block, 0, caller);
    }
}

VOID NTAPI ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside,
                                           PALLOCATE_FUNCTION Allocate, PFREE_FUNCTION Free,
                                           ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth) {
    (void)Flags;
    (void)Depth; /* Windows ignores it too */
    initialize(&Lookaside->L, NonPagedPoolNx, Allocate, Free, Size, Tag);
}

VOID NTAPI ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside) {
    delete_list(&Lookaside->L, NTOY_CALLER());
}

PVOID NTAPI ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside) {
    return allocate(&Lookaside->L, NTOY_CALLER());
}

VOID NTAPI ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry) {
    give_back(&Lookaside->L, Entry, NTOY_CALLER());
}

VOID NTAPI ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside,
                                          PALLOCATE_FUNCTION Allocate, PFREE_FUNCTION Free,
                                          ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth) {
    (void)Flags;
    (void)Depth;
    initialize(&Lookaside->L, PagedPool, Allocate, Free, Size, Tag);
}

VOID NTAPI ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside) {
    delete_list(&Lookaside->L, NTOY_CALLER());
}

PVOID NTAPI ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside) {
    return allocate(&Lookaside->L, NTOY_CALLER());
}

VOID NTAPI ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry) {
    give_back(&Lookaside->L, Entry, NTOY_CALLER());
}
