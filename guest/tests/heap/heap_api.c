/* The heap's Win32 surface (issue 11): HeapAlloc and friends on the process heap and on
 * private heaps, zeroing, sizes, 16-byte alignment, realloc in place and moving, large blocks
 * with an allocation of their own (seen with VirtualQuery), growth and the heap giving
 * committed memory back (K32GetProcessMemoryInfo), HeapWalk against VirtualQuery,
 * HeapValidate, GetProcessHeaps, fixed-size heaps, HEAP_GENERATE_EXCEPTIONS, the Local and
 * Global functions, critical sections (recursion, TryEnter, contention between threads) and
 * RaiseException's record. Only documented behaviour is checked, so Windows passes too. */
#include "../framework/ntoy_gs.h"
#include "../framework/ntoy_test.h"

#include <psapi.h>

#define PATIENCE 30000

static void fill(BYTE* p, SIZE_T n, BYTE seed) {
    for (SIZE_T i = 0; i < n; ++i) {
        p[i] = (BYTE)(seed + i * 7);
    }
}

static BOOL filled(const BYTE* p, SIZE_T n, BYTE seed) {
    for (SIZE_T i = 0; i < n; ++i) {
        if (p[i] != (BYTE)(seed + i * 7)) {
            return FALSE;
        }
    }
    return TRUE;
}

static BOOL all_zero(const BYTE* p, SIZE_T n) {
    for (SIZE_T i = 0; i < n; ++i) {
        if (p[i] != 0) {
            return FALSE;
        }
    }
    return TRUE;
}

static void clear(void* block, SIZE_T n) {
    volatile BYTE* p = block;
    for (SIZE_T i = 0; i < n; ++i) {
        p[i] = 0;
    }
}

static SIZE_T private_usage(void) {
    PROCESS_MEMORY_COUNTERS_EX counters;
    clear(&counters, sizeof(counters));
    counters.cb = sizeof(counters);
    K32GetProcessMemoryInfo(GetCurrentProcess(), (PROCESS_MEMORY_COUNTERS*)&counters,
                            sizeof(counters));
    return counters.PrivateUsage;
}

/* ---- The process heap ---------------------------------------------------------------------- */

static void test_process_heap(void) {
    HANDLE heap = GetProcessHeap();
    CHECK_NE("GetProcessHeap is not NULL", (ULONG_PTR)heap, 0);
    /* PEB.ProcessHeap, at 0x30 of the x64 PEB. */
    BYTE* peb = (BYTE*)ntoy_read_gs(0x60);
    CHECK_EQ("GetProcessHeap is PEB->ProcessHeap", (ULONG_PTR)heap, *(ULONG_PTR*)(peb + 0x30));
    HANDLE heaps[64];
    DWORD count = GetProcessHeaps(64, heaps);
    BOOL found = FALSE;
    for (DWORD i = 0; i < count && i < 64; ++i) {
        found |= heaps[i] == heap;
    }
    CHECK_TRUE("GetProcessHeaps lists the process heap", count >= 1 && found);
    CHECK_TRUE("HeapDestroy(process heap) fails", !HeapDestroy(heap));
}

/* PEB.NumberOfHeaps (0xE8) and PEB.ProcessHeaps (0xF0) list the live heaps, the process heap
 * first, past the initial 16 slots too; a destroyed heap leaves the list. */
static BOOL peb_lists_heap(HANDLE heap) {
    BYTE* peb = (BYTE*)ntoy_read_gs(0x60);
    ULONG count = *(ULONG*)(peb + 0xE8);
    HANDLE* heaps = *(HANDLE**)(peb + 0xF0);
    for (ULONG i = 0; i < count; ++i) {
        if (heaps[i] == heap) {
            return TRUE;
        }
    }
    return FALSE;
}

static void test_peb_heap_list(void) {
    BYTE* peb = (BYTE*)ntoy_read_gs(0x60);
    HANDLE* heaps = *(HANDLE**)(peb + 0xF0);
    CHECK_EQ("PEB.ProcessHeaps[0] is the process heap", (ULONG_PTR)heaps[0],
             (ULONG_PTR)GetProcessHeap());
    HANDLE listed[64];
    CHECK_EQ("PEB.NumberOfHeaps is what GetProcessHeaps counts", *(ULONG*)(peb + 0xE8),
             GetProcessHeaps(64, listed));
    HANDLE created[24];
    BOOL all = TRUE;
    for (int i = 0; i < 24; ++i) {
        created[i] = HeapCreate(0, 0, 0);
        all &= created[i] != NULL && peb_lists_heap(created[i]);
    }
    CHECK_TRUE("24 new heaps are all in PEB.ProcessHeaps", all);
    CHECK_TRUE("MaximumNumberOfHeaps covers them", *(ULONG*)(peb + 0xEC) >= *(ULONG*)(peb + 0xE8));
    BOOL gone = TRUE;
    for (int i = 0; i < 24; ++i) {
        HeapDestroy(created[i]);
        gone &= !peb_lists_heap(created[i]);
    }
    CHECK_TRUE("destroyed heaps leave PEB.ProcessHeaps", gone);
    CHECK_TRUE("the process heap is still listed", peb_lists_heap(GetProcessHeap()));
}

static void test_sizes_and_alignment(HANDLE heap) {
    static const SIZE_T sizes[] = {0, 1, 7, 15, 16, 17, 31, 100, 1000, 4095, 4096, 5000, 65536};
    BOOL aligned = TRUE, sized = TRUE, kept = TRUE;
    BYTE* blocks[sizeof(sizes) / sizeof(sizes[0])];
    for (int i = 0; i < (int)(sizeof(sizes) / sizeof(sizes[0])); ++i) {
        blocks[i] = HeapAlloc(heap, 0, sizes[i]);
        if (blocks[i] == NULL) {
            CHECK_TRUE("HeapAlloc of a small size succeeds", FALSE);
            return;
        }
        aligned &= ((ULONG_PTR)blocks[i] & 15) == 0;
        sized &= HeapSize(heap, 0, blocks[i]) == sizes[i];
        fill(blocks[i], sizes[i], (BYTE)i);
    }
    for (int i = 0; i < (int)(sizeof(sizes) / sizeof(sizes[0])); ++i) {
        kept &= filled(blocks[i], sizes[i], (BYTE)i);
        HeapFree(heap, 0, blocks[i]);
    }
    CHECK_TRUE("blocks are 16-byte aligned", aligned);
    CHECK_TRUE("HeapSize is the size asked for", sized);
    CHECK_TRUE("blocks keep their contents", kept);
}

static void test_zeroing(HANDLE heap) {
    /* Dirty a block, free it, and ask for the same size zeroed: the memory is reused. */
    BYTE* dirty = HeapAlloc(heap, 0, 200);
    fill(dirty, 200, 1);
    HeapFree(heap, 0, dirty);
    BYTE* zeroed = HeapAlloc(heap, HEAP_ZERO_MEMORY, 200);
    CHECK_TRUE("HEAP_ZERO_MEMORY zeroes the block", zeroed != NULL && all_zero(zeroed, 200));
    fill(zeroed, 200, 3);
    BYTE* grown = HeapReAlloc(heap, HEAP_ZERO_MEMORY, zeroed, 5000);
    CHECK_TRUE("HeapReAlloc keeps the contents", grown != NULL && filled(grown, 200, 3));
    CHECK_TRUE("HeapReAlloc with HEAP_ZERO_MEMORY zeroes the new bytes",
               grown != NULL && all_zero(grown + 200, 4800));
    HeapFree(heap, 0, grown);
}

static void test_realloc(HANDLE heap) {
    BYTE* block = HeapAlloc(heap, 0, 1000);
    fill(block, 1000, 9);
    BYTE* smaller = HeapReAlloc(heap, HEAP_REALLOC_IN_PLACE_ONLY, block, 100);
    CHECK_EQ("shrinking in place keeps the address", (ULONG_PTR)smaller, (ULONG_PTR)block);
    CHECK_DEC("shrinking in place: HeapSize", HeapSize(heap, 0, block), 100);
    CHECK_TRUE("shrinking in place keeps the contents", filled(block, 100, 9));
    /* A busy block right after it: growing in place must fail, growing may move. */
    BYTE* wall = HeapAlloc(heap, 0, 1000);
    BYTE* neighbour = HeapAlloc(heap, 0, 16);
    (void)wall;
    BYTE* stuck = HeapReAlloc(heap, HEAP_REALLOC_IN_PLACE_ONLY, neighbour, 100000);
    CHECK_EQ("growing in place past a busy block fails", (ULONG_PTR)stuck, 0);
    CHECK_DEC("  and leaves the block's size", HeapSize(heap, 0, neighbour), 16);
    BYTE* moved = HeapReAlloc(heap, 0, block, 3000);
    CHECK_TRUE("growing keeps the contents", moved != NULL && filled(moved, 100, 9));
    CHECK_DEC("grown block: HeapSize", HeapSize(heap, 0, moved), 3000);
    HeapFree(heap, 0, moved);
    HeapFree(heap, 0, wall);
    HeapFree(heap, 0, neighbour);
}

/* ---- Large blocks: an allocation of their own --------------------------------------------- */

static void test_large_blocks(HANDLE heap) {
    SIZE_T size = 2 * 1024 * 1024 + 123;
    BYTE* large = HeapAlloc(heap, 0, size);
    if (!CHECK_NE("HeapAlloc(2 MB) succeeds", (ULONG_PTR)large, 0)) {
        return;
    }
    CHECK_TRUE("large block: 16-byte aligned", ((ULONG_PTR)large & 15) == 0);
    CHECK_DEC("large block: HeapSize", HeapSize(heap, 0, large), size);
    MEMORY_BASIC_INFORMATION info;
    VirtualQuery(large, &info, sizeof(info));
    CHECK_EQ("large block: committed", info.State, MEM_COMMIT);
    CHECK_TRUE("large block: its allocation starts just before it",
               (ULONG_PTR)large - (ULONG_PTR)info.AllocationBase < 4096);
    MEMORY_BASIC_INFORMATION end;
    VirtualQuery(large + size - 1, &end, sizeof(end));
    CHECK_EQ("large block: one allocation to its end", (ULONG_PTR)end.AllocationBase,
             (ULONG_PTR)info.AllocationBase);
    large[size - 1] = 5;
    BYTE* allocation = info.AllocationBase;
    HeapFree(heap, 0, large);
    VirtualQuery(allocation, &info, sizeof(info));
    CHECK_EQ("large block freed: its allocation is released", info.State, MEM_FREE);
}

/* ---- Growth and giving memory back --------------------------------------------------------- */

#define GROWTH_BYTES (1200 * 3000)
#define GROWTH_MAXIMUM_BLOCKS 20000

/* 3.6 MB in blocks of SIZE, beyond the first segment, all freed: the commit goes back. Blocks of
 * 180 bytes are the front end's when freed (lookaside lists), 3000-byte ones the back end's. */
static void test_growth_and_release(SIZE_T size, const char* what) {
    HANDLE heap = HeapCreate(0, 0, 0);
    if (!CHECK_NE("HeapCreate(growable) succeeds", (ULONG_PTR)heap, 0)) {
        return;
    }
    static BYTE* blocks[GROWTH_MAXIMUM_BLOCKS];
    const int count = (int)(GROWTH_BYTES / size);
    SIZE_T before = private_usage();
    BOOL all = TRUE;
    for (int i = 0; i < count; ++i) {
        blocks[i] = HeapAlloc(heap, 0, size);
        all &= blocks[i] != NULL;
        if (blocks[i] != NULL) {
            fill(blocks[i], size, (BYTE)i);
        }
    }
    test_note(what);
    CHECK_TRUE("3.6 MB in blocks (beyond the first segment)", all);
    SIZE_T peak = private_usage();
    CHECK_TRUE("commit grew by the blocks' size", peak >= before + GROWTH_BYTES);
    BOOL kept = TRUE;
    for (int i = 0; i < count; ++i) {
        kept &= blocks[i] != NULL && filled(blocks[i], size, (BYTE)i);
        HeapFree(heap, 0, blocks[i]);
    }
    CHECK_TRUE("every block kept its contents", kept);
    CHECK_TRUE("HeapValidate after freeing everything", HeapValidate(heap, 0, NULL));
    SIZE_T after = private_usage();
    CHECK_TRUE("freeing everything gives most of the commit back",
               after < before + (peak - before) / 4);
    CHECK_TRUE("HeapDestroy", HeapDestroy(heap));
}

/* ---- HeapLock ------------------------------------------------------------------------------ */

typedef struct LockedHeap {
    HANDLE heap;
    volatile LONG allocated;
} LockedHeap;

static DWORD WINAPI allocate_from_other_thread(LPVOID argument) {
    LockedHeap* locked = argument;
    BYTE* block = HeapAlloc(locked->heap, 0, 48);
    locked->allocated = block != NULL ? 1 : 2;
    HeapFree(locked->heap, 0, block);
    return 0;
}

/* While one thread holds HeapLock, another's allocation waits, even one the front end could
 * serve from a block freed just before. */
static void test_lock_stops_other_threads(void) {
    LockedHeap locked = {HeapCreate(0, 0, 0), 0};
    HeapFree(locked.heap, 0, HeapAlloc(locked.heap, 0, 48));
    CHECK_TRUE("HeapLock", HeapLock(locked.heap));
    BYTE* mine = HeapAlloc(locked.heap, 0, 48);
    CHECK_NE("the owner of the lock allocates", (ULONG_PTR)mine, 0);
    HeapFree(locked.heap, 0, mine);
    HANDLE other = CreateThread(NULL, 0, allocate_from_other_thread, &locked, 0, NULL);
    Sleep(50);
    CHECK_DEC("another thread's HeapAlloc waits while the heap is locked", locked.allocated, 0);
    CHECK_TRUE("HeapUnlock", HeapUnlock(locked.heap));
    WaitForSingleObject(other, INFINITE);
    CloseHandle(other);
    CHECK_DEC("and succeeds once it is unlocked", locked.allocated, 1);
    CHECK_TRUE("HeapValidate", HeapValidate(locked.heap, 0, NULL));
    HeapDestroy(locked.heap);
}

/* ---- HeapWalk ------------------------------------------------------------------------------ */

static void test_walk(void) {
    HANDLE heap = HeapCreate(0, 0, 0);
    BYTE* a = HeapAlloc(heap, 0, 100);
    BYTE* b = HeapAlloc(heap, 0, 3000);
    BYTE* c = HeapAlloc(heap, 0, 40);
    BYTE* d = HeapAlloc(heap, 0, 200); /* freed, it is the front end's: a walk shows it free */
    HeapFree(heap, 0, b);
    HeapFree(heap, 0, d);
    BYTE* large = HeapAlloc(heap, 0, 3 * 1024 * 1024);
    PROCESS_HEAP_ENTRY entry;
    clear(&entry, sizeof(entry));
    int regions = 0, seen_a = 0, seen_c = 0, seen_d = 0, seen_large = 0, bad_region = 0;
    int bad_range = 0;
    int entries = 0;
    HeapLock(heap);
    while (HeapWalk(heap, &entry) && entries < 100000) {
        ++entries;
        MEMORY_BASIC_INFORMATION info;
        if ((entry.wFlags & PROCESS_HEAP_REGION) != 0) {
            ++regions;
            VirtualQuery(entry.lpData, &info, sizeof(info));
            /* The region's committed part is committed memory of one allocation. */
            if (info.State != MEM_COMMIT || info.AllocationBase != entry.lpData ||
                info.RegionSize < entry.Region.dwCommittedSize) {
                ++bad_region;
            }
        } else if ((entry.wFlags & PROCESS_HEAP_UNCOMMITTED_RANGE) != 0) {
            VirtualQuery(entry.lpData, &info, sizeof(info));
            if (info.State != MEM_RESERVE || info.RegionSize < entry.cbData) {
                ++bad_range;
            }
        } else if ((entry.wFlags & PROCESS_HEAP_ENTRY_BUSY) != 0) {
            seen_a += entry.lpData == a && entry.cbData == 100;
            seen_c += entry.lpData == c && entry.cbData == 40;
            seen_d += entry.lpData == d;
            seen_large += entry.lpData == large && entry.cbData == 3 * 1024 * 1024;
        }
    }
    DWORD error = GetLastError();
    HeapUnlock(heap);
    CHECK_TRUE("HeapWalk: at least one region", regions >= 1);
    CHECK_DEC("HeapWalk: regions are committed allocations", bad_region, 0);
    CHECK_DEC("HeapWalk: uncommitted ranges are reserved memory", bad_range, 0);
    CHECK_DEC("HeapWalk: the 100-byte block, busy", seen_a, 1);
    CHECK_DEC("HeapWalk: the 40-byte block, busy", seen_c, 1);
    CHECK_DEC("HeapWalk: the 3 MB block, busy", seen_large, 1);
    CHECK_DEC("HeapWalk: the freed 200-byte block, not busy", seen_d, 0);
    CHECK_DEC("HeapWalk ends with ERROR_NO_MORE_ITEMS", error, ERROR_NO_MORE_ITEMS);
    HeapDestroy(heap);
}

/* ---- Fixed-size heaps, exceptions, validation ----------------------------------------------- */

static volatile DWORD raised_code;
static volatile DWORD raised_flags;
static volatile DWORD raised_parameters;
static volatile ULONG_PTR raised_information[15];
static volatile PVOID raised_address;
static volatile DWORD64 raised_rip;

static LONG WINAPI note_exception(EXCEPTION_POINTERS* pointers) {
    DWORD code = pointers->ExceptionRecord->ExceptionCode;
    if (code != STATUS_NO_MEMORY && code != 0xE0001234) {
        return EXCEPTION_CONTINUE_SEARCH;
    }
    raised_code = code;
    raised_flags = pointers->ExceptionRecord->ExceptionFlags;
    raised_parameters = pointers->ExceptionRecord->NumberParameters;
    for (DWORD i = 0; i < 15 && i < raised_parameters; ++i) {
        raised_information[i] = pointers->ExceptionRecord->ExceptionInformation[i];
    }
    raised_address = pointers->ExceptionRecord->ExceptionAddress;
    raised_rip = pointers->ContextRecord->Rip;
    return EXCEPTION_CONTINUE_EXECUTION;
}

static void test_fixed_heap(void) {
    HANDLE heap = HeapCreate(0, 0x10000, 0x10000);
    if (!CHECK_NE("HeapCreate(fixed 64 KB) succeeds", (ULONG_PTR)heap, 0)) {
        return;
    }
    BYTE* fits = HeapAlloc(heap, 0, 1000);
    CHECK_NE("fixed heap: a small block fits", (ULONG_PTR)fits, 0);
    SetLastError(0);
    BYTE* too_big = HeapAlloc(heap, 0, 0x20000);
    CHECK_EQ("fixed heap: a block larger than the heap fails", (ULONG_PTR)too_big, 0);
    /* Filling it up: it never grows past its size. */
    int count = 0;
    while (HeapAlloc(heap, 0, 1000) != NULL && count < 1000) {
        ++count;
    }
    CHECK_TRUE("fixed heap: fills up below 64 blocks of 1000 bytes", count < 64);
    CHECK_TRUE("fixed heap: HeapValidate", HeapValidate(heap, 0, NULL));
    HeapDestroy(heap);

    HANDLE raising = HeapCreate(HEAP_GENERATE_EXCEPTIONS, 0, 0x10000);
    PVOID handler = AddVectoredExceptionHandler(1, note_exception);
    raised_code = 0;
    BYTE* failed = HeapAlloc(raising, 0, 0x100000);
    CHECK_EQ("HEAP_GENERATE_EXCEPTIONS: the allocation fails", (ULONG_PTR)failed, 0);
    CHECK_STATUS("HEAP_GENERATE_EXCEPTIONS: raises STATUS_NO_MEMORY", raised_code,
                 STATUS_NO_MEMORY);
    RemoveVectoredExceptionHandler(handler);
    HeapDestroy(raising);
}

static void test_validate(HANDLE heap) {
    BYTE* block = HeapAlloc(heap, 0, 64);
    CHECK_TRUE("HeapValidate(whole heap)", HeapValidate(heap, 0, NULL));
    CHECK_TRUE("HeapValidate(busy block)", HeapValidate(heap, 0, block));
    HeapFree(heap, 0, block);
}

static void test_local_global(void) {
    BYTE* local = LocalAlloc(LMEM_FIXED | LMEM_ZEROINIT, 300);
    CHECK_TRUE("LocalAlloc(LMEM_ZEROINIT)", local != NULL && all_zero(local, 300));
    CHECK_DEC("LocalSize", LocalSize(local), 300);
    fill(local, 300, 4);
    BYTE* grown = LocalReAlloc(local, 5000, LMEM_MOVEABLE);
    CHECK_TRUE("LocalReAlloc(LMEM_MOVEABLE) keeps the contents",
               grown != NULL && filled(grown, 300, 4));
    CHECK_DEC("LocalReAlloc: LocalSize", LocalSize(grown), 5000);
    CHECK_EQ("LocalFree returns NULL", (ULONG_PTR)LocalFree(grown), 0);
    CHECK_EQ("LocalFree(NULL) returns NULL", (ULONG_PTR)LocalFree(NULL), 0);
    SetLastError(0);
    CHECK_EQ("LocalAlloc with an unknown flag fails", (ULONG_PTR)LocalAlloc(0x8000, 10), 0);
    CHECK_DEC("  with ERROR_INVALID_PARAMETER", GetLastError(), ERROR_INVALID_PARAMETER);

    BYTE* global = GlobalAlloc(GMEM_FIXED | GMEM_ZEROINIT, 70);
    CHECK_TRUE("GlobalAlloc(GMEM_ZEROINIT)", global != NULL && all_zero(global, 70));
    CHECK_DEC("GlobalSize", GlobalSize(global), 70);
    CHECK_EQ("GlobalFree returns NULL", (ULONG_PTR)GlobalFree(global), 0);
}

/* ---- Critical sections ---------------------------------------------------------------------- */

#define CONTENDERS 4
#define ROUNDS 2000

static CRITICAL_SECTION counter_lock;
static volatile LONG counter;
static volatile LONG inside;
static volatile LONG overlaps;

static DWORD WINAPI contend(LPVOID argument) {
    (void)argument;
    for (int i = 0; i < ROUNDS; ++i) {
        EnterCriticalSection(&counter_lock);
        if (InterlockedIncrement(&inside) != 1) {
            InterlockedIncrement(&overlaps);
        }
        LONG seen = counter;
        if (i % 64 == 0) {
            Sleep(0); /* hand the processor over while holding it: others must wait */
        }
        counter = seen + 1;
        InterlockedDecrement(&inside);
        LeaveCriticalSection(&counter_lock);
    }
    return 0;
}

static DWORD WINAPI try_from_other_thread(LPVOID argument) {
    CRITICAL_SECTION* section = argument;
    BOOL taken = TryEnterCriticalSection(section);
    if (taken) {
        LeaveCriticalSection(section);
    }
    return (DWORD)taken;
}

static void test_critical_sections(void) {
    CRITICAL_SECTION section;
    InitializeCriticalSection(&section);
    CHECK_DEC("initialised: LockCount -1", section.LockCount, -1);
    CHECK_EQ("initialised: no owner", (ULONG_PTR)section.OwningThread, 0);
    EnterCriticalSection(&section);
    EnterCriticalSection(&section);
    CHECK_DEC("entered twice: RecursionCount 2", section.RecursionCount, 2);
    CHECK_EQ("entered: OwningThread is the thread id", (ULONG_PTR)section.OwningThread,
             GetCurrentThreadId());
    CHECK_TRUE("entered: LockCount's lock bit is clear", (section.LockCount & 1) == 0);
    CHECK_TRUE("TryEnter by the owner succeeds", TryEnterCriticalSection(&section));
    HANDLE other = CreateThread(NULL, 0, try_from_other_thread, &section, 0, NULL);
    WaitForSingleObject(other, PATIENCE);
    DWORD other_result = 1;
    GetExitCodeThread(other, &other_result);
    CloseHandle(other);
    CHECK_DEC("TryEnter by another thread fails while held", other_result, 0);
    LeaveCriticalSection(&section);
    LeaveCriticalSection(&section);
    LeaveCriticalSection(&section);
    CHECK_DEC("left: LockCount -1", section.LockCount, -1);
    CHECK_EQ("left: no owner", (ULONG_PTR)section.OwningThread, 0);
    other = CreateThread(NULL, 0, try_from_other_thread, &section, 0, NULL);
    WaitForSingleObject(other, PATIENCE);
    GetExitCodeThread(other, &other_result);
    CloseHandle(other);
    CHECK_DEC("TryEnter by another thread succeeds once free", other_result, 1);
    DeleteCriticalSection(&section);

    CHECK_TRUE("InitializeCriticalSectionAndSpinCount",
               InitializeCriticalSectionAndSpinCount(&counter_lock, 100));
    HANDLE threads[CONTENDERS];
    for (int i = 0; i < CONTENDERS; ++i) {
        threads[i] = CreateThread(NULL, 0, contend, NULL, 0, NULL);
    }
    WaitForMultipleObjects(CONTENDERS, threads, TRUE, PATIENCE);
    for (int i = 0; i < CONTENDERS; ++i) {
        CloseHandle(threads[i]);
    }
    CHECK_DEC("contended: no two threads inside at once", overlaps, 0);
    CHECK_DEC("contended: every increment counted", counter, CONTENDERS * ROUNDS);
    CHECK_DEC("contended: LockCount -1 at the end", counter_lock.LockCount, -1);
    DeleteCriticalSection(&counter_lock);

    CRITICAL_SECTION ex;
    CHECK_TRUE("InitializeCriticalSectionEx", InitializeCriticalSectionEx(&ex, 0, 0));
    DeleteCriticalSection(&ex);
}

/* ---- RaiseException ------------------------------------------------------------------------- */

static void test_raise_exception(void) {
    PVOID handler = AddVectoredExceptionHandler(1, note_exception);
    ULONG_PTR arguments[20];
    for (int i = 0; i < 20; ++i) {
        arguments[i] = 100 + i;
    }
    raised_code = 0;
    RaiseException(0xE0001234, 0xFF, 20, arguments);
    CHECK_STATUS("RaiseException: the code reaches the handler", raised_code, 0xE0001234);
    CHECK_EQ("RaiseException: only EXCEPTION_NONCONTINUABLE of the flags is kept", raised_flags,
             EXCEPTION_NONCONTINUABLE);
    CHECK_DEC("RaiseException: at most 15 parameters", raised_parameters, 15);
    CHECK_DEC("RaiseException: the parameters", raised_information[14], 114);
    CHECK_EQ("RaiseException: ExceptionAddress is the context's Rip", (ULONG_PTR)raised_address,
             raised_rip);
    raised_code = 0;
    RaiseException(0xE0001234, 0, 3, NULL);
    CHECK_DEC("RaiseException: no array, no parameters", raised_parameters, 0);
    CHECK_EQ("RaiseException: flags 0", raised_flags, 0);
    RemoveVectoredExceptionHandler(handler);
}

int start(void) {
    HANDLE process_heap = GetProcessHeap();
    test_process_heap();
    test_peb_heap_list();
    test_sizes_and_alignment(process_heap);
    test_zeroing(process_heap);
    test_realloc(process_heap);
    test_large_blocks(process_heap);
    test_validate(process_heap);
    HANDLE private_heap = HeapCreate(0, 0, 0);
    test_sizes_and_alignment(private_heap);
    test_realloc(private_heap);
    test_large_blocks(private_heap);
    HeapDestroy(private_heap);
    test_growth_and_release(3000, "growth and release: 3000-byte blocks");
    test_growth_and_release(180, "growth and release: 180-byte blocks, through the front end");
    test_lock_stops_other_threads();
    test_walk();
    test_fixed_heap();
    test_local_global();
    test_critical_sections();
    test_raise_exception();
    return test_done();
}
