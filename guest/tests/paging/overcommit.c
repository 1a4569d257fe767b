/* Data integrity under over-commit (issue 12): a process commits MEGABYTES of memory (four
 * times the RAM of `ntoy run --ram 16M --pagefile 128M`), writes a pattern that depends on
 * each word's position, sequentially and then page by page in a random order, and reads
 * everything back twice. A second process does the same at once. Pages leave for the paging
 * file and come back (hard faults) or return from the Standby and Modified lists (soft
 * faults) many times over; not one word may change.
 *
 * Usage: overcommit.exe [MEGABYTES]   (default 64): the parent and one child.
 *        overcommit.exe alone MEGABYTES: one process.
 *        overcommit.exe inpage MEGABYTES: under `ntoy run --inject-pagefile-read-errors`,
 *        a page that went to the paging file cannot come back: touching it raises
 *        STATUS_IN_PAGE_ERROR, which ends the process. */
#include "../framework/ntoy_test.h"
#include "../threads/spawn.h"
#include "common/working_set.h"

#define PROGRAM "overcommit.exe"
#define PAGE 4096u
#define WORDS_PER_PAGE (PAGE / sizeof(ULONG64))

/* The word at index WORD of page PAGE_INDEX in generation GENERATION: no two positions or
 * generations share a value, so a page read back from the wrong slot, or stale, shows. */
static ULONG64 pattern(ULONG64 page_index, ULONG64 word, ULONG64 generation, ULONG64 seed) {
    ULONG64 x = (page_index << 20) ^ (word << 4) ^ generation ^ seed;
    x ^= x >> 31;
    x *= 0x9E3779B97F4A7C15ull;
    x ^= x >> 29;
    return x;
}

static void fill_page(ULONG64* page, ULONG64 index, ULONG64 generation, ULONG64 seed) {
    for (ULONG64 w = 0; w < WORDS_PER_PAGE; ++w) {
        page[w] = pattern(index, w, generation, seed);
    }
}

/* The number of pages whose words are not what they should be. */
static ULONG64 bad_pages(ULONG64* base, ULONG64 pages, const unsigned char* generations,
                         ULONG64 seed) {
    ULONG64 bad = 0;
    for (ULONG64 p = 0; p < pages; ++p) {
        const ULONG64* page = base + p * WORDS_PER_PAGE;
        for (ULONG64 w = 0; w < WORDS_PER_PAGE; ++w) {
            if (page[w] != pattern(p, w, generations[p], seed)) {
                ++bad;
                break;
            }
        }
    }
    return bad;
}

static void run(ULONG64 megabytes, ULONG64 seed, const char* who) {
    const ULONG64 pages = megabytes * (1024 * 1024 / PAGE);
    ULONG64* base = VirtualAlloc(NULL, pages * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    /* One byte per page: how many times it was rewritten. */
    unsigned char* generations =
        VirtualAlloc(NULL, pages, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    char name[128];
    if (!CHECK_TRUE(test_name(name, sizeof(name), who, ": the memory commits"),
                    base != NULL && generations != NULL)) {
        return;
    }
    /* A locked page never leaves the working set, whatever the pressure. */
    volatile ULONG64* locked = VirtualAlloc(NULL, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    CHECK_TRUE(test_name(name, sizeof(name), who, ": VirtualLock of a page succeeds"),
               locked != NULL && VirtualLock((void*)locked, PAGE));
    if (locked != NULL) {
        locked[7] = seed;
    }
    for (ULONG64 p = 0; p < pages; ++p) {
        fill_page(base + p * WORDS_PER_PAGE, p, 0, seed);
    }
    CHECK_DEC(test_name(name, sizeof(name), who, ": written in order, every page reads back"),
              bad_pages(base, pages, generations, seed), 0);
    /* Random order: a linear congruential walk, each page rewritten with a new generation. */
    ULONG64 state = seed | 1;
    for (ULONG64 n = 0; n < pages; ++n) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        const ULONG64 p = (state >> 33) % pages;
        generations[p] = (unsigned char)(generations[p] + 1);
        fill_page(base + p * WORDS_PER_PAGE, p, generations[p], seed);
    }
    CHECK_DEC(test_name(name, sizeof(name), who, ": rewritten at random, every page reads back"),
              bad_pages(base, pages, generations, seed), 0);
    CHECK_DEC(test_name(name, sizeof(name), who, ": and again"),
              bad_pages(base, pages, generations, seed), 0);
    if (locked != NULL) {
        /* Queried before it is touched: a touch would bring back a page that had left. */
        const ULONG_PTR attributes = working_set_attributes((const void*)locked);
        CHECK_EQ(test_name(name, sizeof(name), who, ": the locked page never left (Valid, Locked)"),
                 attributes & (WORKING_SET_EX_LOCKED | WORKING_SET_EX_VALID),
                 WORKING_SET_EX_LOCKED | WORKING_SET_EX_VALID);
        CHECK_EQ(test_name(name, sizeof(name), who, ": and holds its data"), locked[7], seed);
        VirtualFree((void*)locked, 0, MEM_RELEASE);
    }
    CHECK_TRUE(test_name(name, sizeof(name), who, ": the memory is released"),
               VirtualFree(base, 0, MEM_RELEASE) && VirtualFree(generations, 0, MEM_RELEASE));
}

static int in_page_error(ULONG64 megabytes) {
    const ULONG64 pages = megabytes * (1024 * 1024 / PAGE);
    volatile unsigned char* base =
        VirtualAlloc(NULL, pages * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (!CHECK_TRUE("in-page: the memory commits", base != NULL)) {
        return test_done();
    }
    for (ULONG64 p = 0; p < pages; ++p) {
        base[p * PAGE] = (unsigned char)(p + 1);
    }
    /* The first page went out long ago: only the paging file holds it, and it cannot be read.
     * The process ends with STATUS_IN_PAGE_ERROR here, or sooner, on a page of its own code
     * or stack that went out too: as on Windows, whichever it touches first. */
    return base[0];
}

int start(void) {
    if (argument_is(1, "inpage")) {
        return in_page_error(number_argument(2));
    }
    if (argument_is(1, "alone")) {
        run(number_argument(2), 0x5EED0002, "child");
        return (int)test_failed_count;
    }
    ULONG64 megabytes = number_argument(1);
    if (megabytes == 0) {
        megabytes = 64;
    }
    CommandLine line;
    line_start(&line, PROGRAM, "alone");
    line_add_number(&line, megabytes);
    PROCESS_INFORMATION child;
    const BOOL spawned = spawn(&line, 0, NULL, NULL, &child);
    run(megabytes, 0x5EED0001, "parent");
    if (CHECK_TRUE("the child starts", spawned)) {
        CHECK_EQ("the child ends in time", WaitForSingleObject(child.hProcess, 10 * 60 * 1000),
                 WAIT_OBJECT_0);
        DWORD code = 1;
        GetExitCodeProcess(child.hProcess, &code);
        CHECK_DEC("and finds every page intact", code, 0);
        CloseHandle(child.hProcess);
        CloseHandle(child.hThread);
    }
    return test_done();
}
