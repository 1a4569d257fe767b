/* Fuzzed heap traffic (issue 11): seeded random sequences of HeapAlloc, HeapReAlloc (moving,
 * in place only, zeroing) and HeapFree over a table of live blocks, on a private heap and on
 * the process heap, with every block's contents verified before it is touched, HeapValidate
 * along the way, and then the same from several threads at once on one heap.
 *
 *     heap_fuzz [SEED [OPERATIONS]]     (defaults 1 and 20000) */
#include "../framework/ntoy_test.h"

#define SLOTS 512
#define THREADS 4
#define PATIENCE 60000

typedef struct Slot {
    BYTE* block;
    SIZE_T size;
    BYTE seed;
} Slot;

typedef struct Fuzzer {
    HANDLE heap;
    unsigned long long state;
    unsigned long long operations;
    Slot slots[SLOTS];
    unsigned long failures; /* contents, sizes or alignment wrong */
    unsigned long refused;  /* allocations that failed */
} Fuzzer;

static unsigned long long next_random(Fuzzer* f) {
    f->state ^= f->state << 13;
    f->state ^= f->state >> 7;
    f->state ^= f->state << 17;
    return f->state;
}

/* Mostly small sizes, some medium, a few past the virtual-allocation threshold. */
static SIZE_T random_size(Fuzzer* f) {
    unsigned long long r = next_random(f);
    switch (r % 16) {
        case 0:
            return (SIZE_T)(r >> 8) % 70000;
        case 1:
            return r % 97 == 0 ? 1100000 + (SIZE_T)(r >> 8) % 100000 : (SIZE_T)(r >> 8) % 4000;
        default:
            return (SIZE_T)(r >> 8) % 300;
    }
}

static void stamp(const Slot* slot) {
    for (SIZE_T i = 0; i < slot->size; ++i) {
        slot->block[i] = (BYTE)(slot->seed ^ (i * 13));
    }
}

static BOOL intact(const Slot* slot, SIZE_T length) {
    for (SIZE_T i = 0; i < length; ++i) {
        if (slot->block[i] != (BYTE)(slot->seed ^ (i * 13))) {
            return FALSE;
        }
    }
    return TRUE;
}

static BOOL zero(const BYTE* p, SIZE_T n) {
    for (SIZE_T i = 0; i < n; ++i) {
        if (p[i] != 0) {
            return FALSE;
        }
    }
    return TRUE;
}

static void check_block(Fuzzer* f, const Slot* slot) {
    if (((ULONG_PTR)slot->block & 15) != 0 || HeapSize(f->heap, 0, slot->block) != slot->size ||
        !intact(slot, slot->size)) {
        ++f->failures;
    }
}

static void step(Fuzzer* f) {
    unsigned long long r = next_random(f);
    Slot* slot = &f->slots[r % SLOTS];
    unsigned action = (unsigned)(r >> 32) % 8;
    if (slot->block == NULL) {
        SIZE_T size = random_size(f);
        BOOL zeroed = action < 2;
        BYTE* block = HeapAlloc(f->heap, zeroed ? HEAP_ZERO_MEMORY : 0, size);
        if (block == NULL) {
            ++f->refused;
            return;
        }
        if (zeroed && !zero(block, size)) {
            ++f->failures;
        }
        slot->block = block;
        slot->size = size;
        slot->seed = (BYTE)(r >> 24);
        stamp(slot);
        return;
    }
    check_block(f, slot);
    if (action < 4) {
        HeapFree(f->heap, 0, slot->block);
        slot->block = NULL;
        return;
    }
    SIZE_T size = random_size(f);
    DWORD flags = action == 4 ? HEAP_REALLOC_IN_PLACE_ONLY : action == 5 ? HEAP_ZERO_MEMORY : 0;
    BYTE* block = HeapReAlloc(f->heap, flags, slot->block, size);
    if (block == NULL) {
        if (flags != HEAP_REALLOC_IN_PLACE_ONLY) {
            ++f->refused;
        }
        return; /* the old block stays as it was; the next visit checks it */
    }
    if (flags == HEAP_REALLOC_IN_PLACE_ONLY && block != slot->block) {
        ++f->failures;
    }
    SIZE_T kept = size < slot->size ? size : slot->size;
    if (!intact(&(Slot){block, kept, slot->seed}, kept)) {
        ++f->failures;
    }
    if (flags == HEAP_ZERO_MEMORY && size > slot->size &&
        !zero(block + slot->size, size - slot->size)) {
        ++f->failures;
    }
    slot->block = block;
    slot->size = size;
    stamp(slot);
}

static void run(Fuzzer* f) {
    for (unsigned long long i = 0; i < f->operations; ++i) {
        step(f);
        if (i % 2000 == 1999 && !HeapValidate(f->heap, 0, NULL)) {
            ++f->failures;
        }
    }
    for (int i = 0; i < SLOTS; ++i) {
        if (f->slots[i].block != NULL) {
            check_block(f, &f->slots[i]);
            HeapFree(f->heap, 0, f->slots[i].block);
            f->slots[i].block = NULL;
        }
    }
}

static Fuzzer fuzzers[THREADS];

static DWORD WINAPI run_thread(LPVOID argument) {
    run(argument);
    return 0;
}

int start(void) {
    unsigned long long seed = 1, operations = 20000;
    get_number_argument(1, 1, &seed);
    get_number_argument(2, 20000, &operations);

    Fuzzer* single = &fuzzers[0];
    single->heap = HeapCreate(0, 0, 0);
    single->state = seed * 0x9E3779B97F4A7C15ull | 1;
    single->operations = operations;
    run(single);
    CHECK_DEC("private heap: contents, sizes and alignment hold", single->failures, 0);
    CHECK_DEC("private heap: no allocation refused", single->refused, 0);
    CHECK_TRUE("private heap: HeapValidate at the end", HeapValidate(single->heap, 0, NULL));
    CHECK_TRUE("private heap: HeapDestroy", HeapDestroy(single->heap));

    single->heap = GetProcessHeap();
    single->failures = single->refused = 0;
    single->state = (seed + 1) * 0x9E3779B97F4A7C15ull | 1;
    run(single);
    CHECK_DEC("process heap: contents, sizes and alignment hold", single->failures, 0);
    CHECK_TRUE("process heap: HeapValidate at the end", HeapValidate(single->heap, 0, NULL));

    HANDLE shared = HeapCreate(0, 0, 0);
    HANDLE threads[THREADS];
    for (int i = 0; i < THREADS; ++i) {
        fuzzers[i].heap = shared;
        fuzzers[i].failures = fuzzers[i].refused = 0;
        fuzzers[i].state = (seed + 10 + i) * 0x9E3779B97F4A7C15ull | 1;
        fuzzers[i].operations = operations / THREADS;
        threads[i] = CreateThread(NULL, 0, run_thread, &fuzzers[i], 0, NULL);
    }
    CHECK_DEC("threads: all finish", WaitForMultipleObjects(THREADS, threads, TRUE, PATIENCE),
              WAIT_OBJECT_0);
    unsigned long failures = 0, refused = 0;
    for (int i = 0; i < THREADS; ++i) {
        failures += fuzzers[i].failures;
        refused += fuzzers[i].refused;
        CloseHandle(threads[i]);
    }
    CHECK_DEC("threads: contents, sizes and alignment hold", failures, 0);
    CHECK_DEC("threads: no allocation refused", refused, 0);
    CHECK_TRUE("threads: HeapValidate at the end", HeapValidate(shared, 0, NULL));
    CHECK_TRUE("threads: HeapDestroy", HeapDestroy(shared));
    return test_done();
}
