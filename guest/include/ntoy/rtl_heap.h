/* ntdll's critical sections, RtlRaiseException and the NT heap: their structures, laid out
 * as 64-bit Windows lays them out, and the prototypes of their exports, with the Windows
 * signatures (ntdll_exports.h includes this). Guest-only. */
#ifndef NTOY_RTL_HEAP_H
#define NTOY_RTL_HEAP_H

#include "ntoy/nt_types.h"

/* ---- Critical sections ------------------------------------------------------------------- */

/* LockCount, as since Windows Server 2003 SP1: bit 0 is 1 while the section is free, bit 1 is
 * 0 while a waiter has been woken and has not yet run, and the bits above are the ones'
 * complement of the number of waiting threads; -1 is "free, nobody waiting". RecursionCount
 * counts the owner's entries, OwningThread is its thread id, LockSemaphore the auto-reset event
 * waiters sleep on, created by the first thread that has to wait. */
typedef struct _RTL_CRITICAL_SECTION {
    PVOID DebugInfo; /* PRTL_CRITICAL_SECTION_DEBUG; (PVOID)-1 when none, as since Windows 8 */
    LONG LockCount;
    LONG RecursionCount;
    HANDLE OwningThread;
    HANDLE LockSemaphore;
    ULONG_PTR SpinCount;
} RTL_CRITICAL_SECTION, *PRTL_CRITICAL_SECTION;
_Static_assert(sizeof(RTL_CRITICAL_SECTION) == 0x28, "RTL_CRITICAL_SECTION size");
_Static_assert(offsetof(RTL_CRITICAL_SECTION, LockCount) == 0x8, "CS.LockCount");
_Static_assert(offsetof(RTL_CRITICAL_SECTION, OwningThread) == 0x10, "CS.OwningThread");
_Static_assert(offsetof(RTL_CRITICAL_SECTION, LockSemaphore) == 0x18, "CS.LockSemaphore");
_Static_assert(offsetof(RTL_CRITICAL_SECTION, SpinCount) == 0x20, "CS.SpinCount");

/* InitializeCriticalSectionEx flags (the high byte of a spin count). */
#define RTL_CRITICAL_SECTION_FLAG_NO_DEBUG_INFO 0x01000000
#define RTL_CRITICAL_SECTION_FLAG_DYNAMIC_SPIN 0x02000000
#define RTL_CRITICAL_SECTION_FLAG_STATIC_INIT 0x04000000
#define RTL_CRITICAL_SECTION_FLAG_RESOURCE_TYPE 0x08000000
#define RTL_CRITICAL_SECTION_FLAG_FORCE_DEBUG_INFO 0x10000000
#define RTL_CRITICAL_SECTION_ALL_FLAG_BITS 0xFF000000
#define RTL_CRITICAL_SECTION_FLAG_RESERVED                                                \
    (RTL_CRITICAL_SECTION_ALL_FLAG_BITS &                                                 \
     ~(RTL_CRITICAL_SECTION_FLAG_NO_DEBUG_INFO | RTL_CRITICAL_SECTION_FLAG_DYNAMIC_SPIN | \
       RTL_CRITICAL_SECTION_FLAG_STATIC_INIT | RTL_CRITICAL_SECTION_FLAG_RESOURCE_TYPE |  \
       RTL_CRITICAL_SECTION_FLAG_FORCE_DEBUG_INFO))

NTSTATUS RtlInitializeCriticalSection(PRTL_CRITICAL_SECTION CriticalSection);
NTSTATUS RtlInitializeCriticalSectionAndSpinCount(PRTL_CRITICAL_SECTION CriticalSection,
                                                  ULONG SpinCount);
NTSTATUS RtlInitializeCriticalSectionEx(PRTL_CRITICAL_SECTION CriticalSection, ULONG SpinCount,
                                        ULONG Flags);
NTSTATUS RtlEnterCriticalSection(PRTL_CRITICAL_SECTION CriticalSection);
BOOLEAN RtlTryEnterCriticalSection(PRTL_CRITICAL_SECTION CriticalSection);
NTSTATUS RtlLeaveCriticalSection(PRTL_CRITICAL_SECTION CriticalSection);
NTSTATUS RtlDeleteCriticalSection(PRTL_CRITICAL_SECTION CriticalSection);

/* ---- Raising exceptions ------------------------------------------------------------------ */

/* Raises RECORD from the caller: the CONTEXT is the caller's state at the return address,
 * which becomes the record's ExceptionAddress, as on Windows. Returns if a handler continues. */
VOID RtlRaiseException(PEXCEPTION_RECORD ExceptionRecord);

/* ---- The heap ------------------------------------------------------------------------------ */

#define HEAP_NO_SERIALIZE 0x00000001
#define HEAP_GROWABLE 0x00000002
#define HEAP_GENERATE_EXCEPTIONS 0x00000004
#define HEAP_ZERO_MEMORY 0x00000008
#define HEAP_REALLOC_IN_PLACE_ONLY 0x00000010
#define HEAP_TAIL_CHECKING_ENABLED 0x00000020
#define HEAP_FREE_CHECKING_ENABLED 0x00000040
#define HEAP_DISABLE_COALESCE_ON_FREE 0x00000080
#define HEAP_CREATE_ALIGN_16 0x00010000
#define HEAP_CREATE_ENABLE_TRACING 0x00020000
#define HEAP_CREATE_ENABLE_EXECUTE 0x00040000
#define HEAP_CLASS_1 0x00001000 /* a private heap (HeapCreate's) */

/* PEB->NtGlobalFlag: full page heap (gflags /p /enable /full). */
#define FLG_HEAP_PAGE_ALLOCS 0x02000000

#define STATUS_HEAP_CORRUPTION ((NTSTATUS)0xC0000374L)

/* RtlWalkHeap's entry (kernel32's HeapWalk translates it to PROCESS_HEAP_ENTRY). */
#define RTL_HEAP_BUSY 0x0001
#define RTL_HEAP_SEGMENT 0x0002
#define RTL_HEAP_UNCOMMITTED_RANGE 0x0100

typedef struct _RTL_HEAP_WALK_ENTRY {
    PVOID DataAddress;
    SIZE_T DataSize;
    UCHAR OverheadBytes;
    UCHAR SegmentIndex;
    USHORT Flags;
    union {
        struct {
            SIZE_T Settable;
            USHORT TagIndex;
            USHORT AllocatorBackTraceIndex;
            ULONG Reserved[2];
        } Block;
        struct {
            ULONG CommittedSize;
            ULONG UnCommittedSize;
            PVOID FirstEntry;
            PVOID LastEntry;
        } Segment;
    } u;
} RTL_HEAP_WALK_ENTRY, *PRTL_HEAP_WALK_ENTRY;
_Static_assert(sizeof(RTL_HEAP_WALK_ENTRY) == 0x30, "RTL_HEAP_WALK_ENTRY size");

typedef PVOID PRTL_HEAP_PARAMETERS; /* accepted and not read */

PVOID RtlCreateHeap(ULONG Flags, PVOID HeapBase, SIZE_T ReserveSize, SIZE_T CommitSize, PVOID Lock,
                    PRTL_HEAP_PARAMETERS Parameters);
/* NULL when the heap is gone; the heap itself when it cannot be destroyed (the process heap). */
PVOID RtlDestroyHeap(PVOID HeapHandle);
PVOID RtlAllocateHeap(PVOID HeapHandle, ULONG Flags, SIZE_T Size);
BOOLEAN RtlFreeHeap(PVOID HeapHandle, ULONG Flags, PVOID BaseAddress);
PVOID RtlReAllocateHeap(PVOID HeapHandle, ULONG Flags, PVOID BaseAddress, SIZE_T Size);
/* The caller's size of the block; (SIZE_T)-1 for a pointer that is not a busy block. */
SIZE_T RtlSizeHeap(PVOID HeapHandle, ULONG Flags, PVOID BaseAddress);
BOOLEAN RtlValidateHeap(PVOID HeapHandle, ULONG Flags, PVOID BaseAddress);
NTSTATUS RtlWalkHeap(PVOID HeapHandle, PRTL_HEAP_WALK_ENTRY Entry);
BOOLEAN RtlLockHeap(PVOID HeapHandle);
BOOLEAN RtlUnlockHeap(PVOID HeapHandle);
/* The number of heaps; up to NUMBER of them in HEAPS. */
ULONG RtlGetProcessHeaps(ULONG NumberOfHeaps, PVOID* ProcessHeaps);

#endif
