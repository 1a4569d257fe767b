/* Heap corruption is detected on the next heap call that touches it (issue 11): a double free,
 * an overrun into the next block's header (found freeing either block) and a write into a freed
 * block each end the process with STATUS_HEAP_CORRUPTION (0xC0000374), as Windows ends a
 * process whose heap it finds corrupt.
 * Each case runs in a child (this program again, with the case as its first argument); the
 * parent checks the child's exit code. HeapValidate reports the overrun without ending
 * anything. */
#include "../framework/ntoy_test.h"
#include "../threads/spawn.h"

#define STATUS_HEAP_CORRUPTION_CODE 0xC0000374

/* A 24-byte block and the one after it; the write runs 48 bytes past the first block's end,
 * over the second's header whatever the header's size. */
static BYTE* overrun(HANDLE heap, BYTE** second) {
    BYTE* first = HeapAlloc(heap, 0, 24);
    *second = HeapAlloc(heap, 0, 24);
    volatile BYTE* p = first;
    for (int i = 0; i < 24 + 48; ++i) {
        p[i] = 0x41;
    }
    return first;
}

/* The cases, each a child's first argument. Blocks of 64 bytes are cached by the heap's front
 * end when freed, blocks of 4000 bytes go back to its segments. */
static const char* const cases[] = {"double_free", "double_free_big", "overrun",
                                    "overrun_freed_first", "write_after_free"};

static int child(void) {
    HANDLE heap = HeapCreate(0, 0, 0);
    if (argument_is(1, "double_free") || argument_is(1, "double_free_big")) {
        SIZE_T size = argument_is(1, "double_free") ? 64 : 4000;
        BYTE* block = HeapAlloc(heap, 0, size);
        BYTE* guard = HeapAlloc(heap, 0, size);
        (void)guard;
        HeapFree(heap, 0, block);
        HeapFree(heap, 0, block);
    } else if (argument_is(1, "overrun")) {
        BYTE* second;
        overrun(heap, &second);
        HeapFree(heap, 0, second);
    } else if (argument_is(1, "overrun_freed_first")) {
        BYTE* second;
        HeapFree(heap, 0, overrun(heap, &second)); /* the damage is the next block's */
    } else if (argument_is(1, "write_after_free")) {
        volatile BYTE* block = HeapAlloc(heap, 0, 64);
        HeapAlloc(heap, 0, 64);
        HeapFree(heap, 0, (BYTE*)block);
        for (int i = 0; i < 16; ++i) {
            block[i] = 0x41;
        }
        HeapAlloc(heap, 0, 64); /* takes the freed block, or its neighbour, back */
    }
    return 0; /* not reached when the corruption is found */
}

static void expect_corruption(const char* role, const char* name) {
    CommandLine line;
    line_start(&line, "heap_corruption.exe", role);
    PROCESS_INFORMATION information;
    if (!CHECK_TRUE("CreateProcess(child)", spawn(&line, 0, NULL, NULL, &information))) {
        return;
    }
    WaitForSingleObject(information.hProcess, PATIENCE);
    DWORD code = 0;
    GetExitCodeProcess(information.hProcess, &code);
    CloseHandle(information.hProcess);
    CloseHandle(information.hThread);
    CHECK_STATUS(name, code, STATUS_HEAP_CORRUPTION_CODE);
}

int start(void) {
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        if (argument_is(1, cases[i])) {
            return child();
        }
    }
    expect_corruption("double_free", "a double free ends the process with 0xC0000374");
    expect_corruption("double_free_big", "a double free of a 4000-byte block: 0xC0000374");
    expect_corruption("overrun", "freeing a block whose header was overrun: 0xC0000374");
    expect_corruption("overrun_freed_first",
                      "freeing the block that overran the next one's header: 0xC0000374");
    expect_corruption("write_after_free",
                      "allocating after a write into a freed block: 0xC0000374");

    HANDLE heap = HeapCreate(0, 0, 0);
    BYTE* second;
    overrun(heap, &second);
    CHECK_TRUE("HeapValidate finds the overrun", !HeapValidate(heap, 0, NULL));
    /* The corrupt heap is left alone: any further call on it would end this process. */
    return test_done();
}
