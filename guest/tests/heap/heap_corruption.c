/* Heap corruption is detected on the next heap call that touches it (issue 11): a double free
 * and an overrun into the next block's header each end the process with
 * STATUS_HEAP_CORRUPTION (0xC0000374), as Windows ends a process whose heap it finds corrupt.
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

static int child(void) {
    HANDLE heap = HeapCreate(0, 0, 0);
    if (argument_is(1, "double_free")) {
        BYTE* block = HeapAlloc(heap, 0, 64);
        BYTE* guard = HeapAlloc(heap, 0, 64);
        (void)guard;
        HeapFree(heap, 0, block);
        HeapFree(heap, 0, block);
    } else if (argument_is(1, "overrun")) {
        BYTE* second;
        overrun(heap, &second);
        HeapFree(heap, 0, second);
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
    if (argument_is(1, "double_free") || argument_is(1, "overrun")) {
        return child();
    }
    expect_corruption("double_free", "a double free ends the process with 0xC0000374");
    expect_corruption("overrun", "freeing a block whose header was overrun: 0xC0000374");

    HANDLE heap = HeapCreate(0, 0, 0);
    BYTE* second;
    overrun(heap, &second);
    CHECK_TRUE("HeapValidate finds the overrun", !HeapValidate(heap, 0, NULL));
    /* The corrupt heap is left alone: any further call on it would end this process. */
    return test_done();
}
