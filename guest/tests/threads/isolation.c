/* Isolation, the seeds' picture (issue 10): eight processes commit the same virtual address,
 * each writes its own id there, and once all have written (a barrier: a semaphore each
 * releases and an event the parent then sets, handed to them as handles they duplicate from
 * the parent), each reads the page back and finds only its own data. The address is the
 * picture's 0x7F7'93950000 moved into ntoy's smaller user space (below 0xFF'00000000); it is
 * free on Windows too.
 *
 * The parent starts the children suspended, so that none writes before all exist, then lets
 * them go. Exit status: the number of failed checks, as the conformance programs. */
#include "../framework/ntoy_test.h"
#include "spawn.h"

#define PROGRAM "isolation.exe"
#define CHILDREN 8
#define ADDRESS ((LPVOID)0x7F93950000ull)
#define PAGE 0x1000

/* child PARENT_ID WRITTEN GO INDEX: 0 on success; 1 to 4 say which step failed. */
static int child(void) {
    DWORD parent_id = (DWORD)number_argument(2);
    HANDLE parent = OpenProcess(PROCESS_DUP_HANDLE, FALSE, parent_id);
    HANDLE written = NULL;
    HANDLE go = NULL;
    if (parent == NULL ||
        !DuplicateHandle(parent, (HANDLE)(ULONG_PTR)number_argument(3), GetCurrentProcess(),
                         &written, 0, FALSE, DUPLICATE_SAME_ACCESS) ||
        !DuplicateHandle(parent, (HANDLE)(ULONG_PTR)number_argument(4), GetCurrentProcess(), &go, 0,
                         FALSE, DUPLICATE_SAME_ACCESS)) {
        return 1;
    }
    CloseHandle(parent);
    volatile ULONGLONG* page =
        VirtualAlloc(ADDRESS, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (page != ADDRESS) {
        return 2;
    }
    ULONGLONG mine = ((ULONGLONG)GetCurrentProcessId() << 32) | number_argument(5);
    for (SIZE_T i = 0; i < PAGE / sizeof(ULONGLONG); ++i) {
        page[i] = mine;
    }
    if (!ReleaseSemaphore(written, 1, NULL) || WaitForSingleObject(go, PATIENCE) != WAIT_OBJECT_0) {
        return 3;
    }
    for (SIZE_T i = 0; i < PAGE / sizeof(ULONGLONG); ++i) {
        if (page[i] != mine) {
            return 4;
        }
    }
    return 0;
}

int start(void) {
    if (argument_is(1, "child")) {
        return child();
    }
    HANDLE written = CreateSemaphoreA(NULL, 0, CHILDREN, NULL);
    HANDLE go = CreateEventA(NULL, TRUE, FALSE, NULL);
    PROCESS_INFORMATION children[CHILDREN];
    HANDLE processes[CHILDREN];
    int started = 0;
    for (int i = 0; i < CHILDREN; ++i) {
        CommandLine line;
        line_start(&line, PROGRAM, "child");
        line_add_number(&line, GetCurrentProcessId());
        line_add_number(&line, (ULONG_PTR)written);
        line_add_number(&line, (ULONG_PTR)go);
        line_add_number(&line, (ULONG_PTR)i);
        if (!spawn(&line, CREATE_SUSPENDED, NULL, NULL, &children[i])) {
            break;
        }
        processes[started++] = children[i].hProcess;
    }
    if (!CHECK_DEC("all eight children are created", started, CHILDREN)) {
        return test_done();
    }
    for (int i = 0; i < CHILDREN; ++i) {
        ResumeThread(children[i].hThread);
    }
    int writers = 0;
    while (writers < CHILDREN && WaitForSingleObject(written, PATIENCE) == WAIT_OBJECT_0) {
        ++writers;
    }
    CHECK_DEC("all eight wrote their id at the same address", writers, CHILDREN);
    SetEvent(go);
    CHECK_DEC("all eight end", WaitForMultipleObjects(CHILDREN, processes, TRUE, PATIENCE),
              WAIT_OBJECT_0);
    for (int i = 0; i < CHILDREN; ++i) {
        DWORD code = 0xDEAD;
        GetExitCodeProcess(children[i].hProcess, &code);
        CHECK_DEC("a child read back only its own data", code, 0);
        CloseHandle(children[i].hThread);
        CloseHandle(children[i].hProcess);
    }
    CloseHandle(go);
    CloseHandle(written);
    return test_done();
}
