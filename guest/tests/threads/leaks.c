/* No leaks (issue 10): 200 processes created and ended one after another. The parent checks
 * each one's exit code and that its own handle count is where it started; the kernel side
 * checks frames and commit (ntoy run --verify). */
#include "../framework/ntoy_test.h"
#include "spawn.h"

#define PROGRAM "leaks.exe"
#define ROUNDS 200
#define CHILD_EXIT_CODE 3

int start(void) {
    if (argument_is(1, "child")) {
        return CHILD_EXIT_CODE;
    }
    DWORD handles_before = 0;
    BOOL counting = GetProcessHandleCount(GetCurrentProcess(), &handles_before);
    int created = 0;
    int right_code = 0;
    for (int round = 0; round < ROUNDS; ++round) {
        CommandLine line;
        line_start(&line, PROGRAM, "child");
        PROCESS_INFORMATION child;
        if (!spawn(&line, 0, NULL, NULL, &child)) {
            break;
        }
        ++created;
        DWORD code = 0xDEAD;
        if (WaitForSingleObject(child.hProcess, PATIENCE) == WAIT_OBJECT_0 &&
            GetExitCodeProcess(child.hProcess, &code) && code == CHILD_EXIT_CODE) {
            ++right_code;
        }
        CloseHandle(child.hThread);
        CloseHandle(child.hProcess);
    }
    CHECK_DEC("200 processes were created", created, ROUNDS);
    CHECK_DEC("and each ended with its code", right_code, ROUNDS);
    DWORD handles_after = 0;
    if (counting && GetProcessHandleCount(GetCurrentProcess(), &handles_after)) {
        CHECK_DEC("the parent's handle count is where it started", handles_after, handles_before);
    } else {
        test_note("GetProcessHandleCount is not available: the handle count is not checked");
    }
    return test_done();
}
