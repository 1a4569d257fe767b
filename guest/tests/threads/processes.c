/* Processes (issue 10): a parent starts copies of itself in child roles (the first
 * argument) and checks exit codes (STILL_ACTIVE while a suspended child waits), ids,
 * OpenProcess by id, TerminateProcess, a child reading and writing the parent's memory through
 * handles with the right access and failing with the wrong one, a handle duplicated into a
 * child, ReadProcessMemory across an invalid page (ERROR_PARTIAL_COPY and the partial count),
 * the Virtual*Ex calls on a child, and the command line, environment and current directory a
 * child gets. Checks Windows passes as well. */
#include "../framework/ntoy_test.h"
#include "spawn.h"

#include <psapi.h> /* after windows.h, which the framework includes */

#define PROGRAM "processes.exe"

/* The parent's memory the child reads and writes. Each process has its own copy at the same
 * address (the same image at its preferred base). */
static volatile char shared[64] = "the parent's bytes";
/* Where the parent writes, into a suspended child, the value of a handle it duplicated into
 * it. */
static volatile ULONG_PTR handed_handle;

/* ---- The child roles --------------------------------------------------------------------- */

static BOOL same_text(const volatile char* a, const char* b) {
    while (*a != '\0' && *a == *b) {
        ++a;
        ++b;
    }
    return *a == *b;
}

/* memory PARENT_ID ADDRESS: 0 when every check passed, else the bit of the first that failed. */
static int child_memory(void) {
    DWORD parent = (DWORD)number_argument(2);
    LPVOID address = (LPVOID)(ULONG_PTR)number_argument(3);
    char buffer[64];
    SIZE_T copied = 0;

    HANDLE query_only = OpenProcess(PROCESS_QUERY_INFORMATION, FALSE, parent);
    if (query_only == NULL) {
        return 1;
    }
    SetLastError(0);
    if (ReadProcessMemory(query_only, address, buffer, 18, &copied) ||
        GetLastError() != ERROR_ACCESS_DENIED) {
        return 2;
    }
    HANDLE read_only = OpenProcess(PROCESS_VM_READ, FALSE, parent);
    if (read_only == NULL) {
        return 4;
    }
    if (!ReadProcessMemory(read_only, address, buffer, 19, &copied) || copied != 19 ||
        !same_text(buffer, "the parent's bytes")) {
        return 8;
    }
    SetLastError(0);
    if (WriteProcessMemory(read_only, address, "x", 2, &copied) ||
        GetLastError() != ERROR_ACCESS_DENIED) {
        return 16;
    }
    HANDLE read_write =
        OpenProcess(PROCESS_VM_READ | PROCESS_VM_WRITE | PROCESS_VM_OPERATION, FALSE, parent);
    if (read_write == NULL) {
        return 32;
    }
    if (!WriteProcessMemory(read_write, address, "the child's bytes", 18, &copied) ||
        copied != 18) {
        return 64;
    }
    CloseHandle(read_write);
    CloseHandle(read_only);
    CloseHandle(query_only);
    return 0;
}

/* handed: reads the parent's memory through the handle the parent put in handed_handle. */
static int child_handed(void) {
    char buffer[19];
    SIZE_T copied = 0;
    if (handed_handle == 0) {
        return 1;
    }
    LPVOID address = (LPVOID)(ULONG_PTR)number_argument(2);
    if (!ReadProcessMemory((HANDLE)handed_handle, address, buffer, 18, &copied) || copied != 18 ||
        !same_text(buffer, "the child's bytes")) {
        return 2;
    }
    return CloseHandle((HANDLE)handed_handle) ? 0 : 4;
}

static BOOL variable_is(const char* name, const char* expected) {
    char value[64];
    DWORD length = GetEnvironmentVariableA(name, value, sizeof(value));
    return length != 0 && length < sizeof(value) && same_text(value, expected);
}

/* environment VALUE_A DIRECTORY: the environment and directory the parent gave. */
static int child_environment(void) {
    char expected_a[64];
    char expected_directory[300];
    char directory[300];
    if (!get_argument(2, expected_a, sizeof(expected_a)) ||
        !get_argument(3, expected_directory, sizeof(expected_directory))) {
        return 1;
    }
    if (!variable_is("NTOY_A", expected_a)) {
        return 2;
    }
    SetLastError(0);
    char value[8];
    if (GetEnvironmentVariableA("NTOY_MISSING", value, sizeof(value)) != 0 ||
        GetLastError() != ERROR_ENVVAR_NOT_FOUND) {
        return 4;
    }
    DWORD length = GetCurrentDirectoryA(sizeof(directory), directory);
    if (length == 0 || length >= sizeof(directory) || !same_text(directory, expected_directory)) {
        return 8;
    }
    return 0;
}

/* inherited: the parent's environment, with what it set before CreateProcess. */
static int child_inherited(void) {
    return variable_is("NTOY_INHERITED", "yes") ? 0 : 1;
}

/* arguments: the command line split as the C runtime splits it. */
static int child_arguments(void) {
    char argument[64];
    if (!get_argument(2, argument, sizeof(argument)) || !same_text(argument, "two words")) {
        return 1;
    }
    if (!get_argument(3, argument, sizeof(argument)) || !same_text(argument, "\"quoted\"")) {
        return 2;
    }
    return get_argument(4, argument, sizeof(argument)) ? 4 : 0;
}

/* ---- The parent's checks ----------------------------------------------------------------- */

static DWORD exit_code_of(HANDLE process) {
    DWORD code = 0xDEAD;
    GetExitCodeProcess(process, &code);
    return code;
}

static void close_process(PROCESS_INFORMATION* information) {
    CloseHandle(information->hThread);
    CloseHandle(information->hProcess);
}

#define CHILDREN 4

static void test_exit_codes(void) {
    PROCESS_INFORMATION children[CHILDREN];
    CommandLine line;
    for (int i = 0; i < CHILDREN; ++i) {
        line_start(&line, PROGRAM, "exit");
        line_add_number(&line, 40 + i);
        if (!CHECK_TRUE("CreateProcess succeeds", spawn(&line, 0, NULL, NULL, &children[i]))) {
            return;
        }
        CHECK_NE("the child has an id", children[i].dwProcessId, 0);
        CHECK_NE("not the parent's", children[i].dwProcessId, GetCurrentProcessId());
        CHECK_DEC("GetProcessId(handle) is its id", GetProcessId(children[i].hProcess),
                  children[i].dwProcessId);
        CHECK_DEC("GetThreadId(thread handle) is its thread's id", GetThreadId(children[i].hThread),
                  children[i].dwThreadId);
    }
    for (int i = 0; i < CHILDREN; ++i) {
        CHECK_DEC("the child ends", WaitForSingleObject(children[i].hProcess, PATIENCE),
                  WAIT_OBJECT_0);
        CHECK_DEC("GetExitCodeProcess is what it returned", exit_code_of(children[i].hProcess),
                  40 + i);
        CHECK_DEC("its thread handle is signalled too", WaitForSingleObject(children[i].hThread, 0),
                  WAIT_OBJECT_0);
        close_process(&children[i]);
    }

    line_start(&line, PROGRAM, "arguments \"two words\" \\\"quoted\\\"");
    PROCESS_INFORMATION child;
    spawn(&line, 0, NULL, NULL, &child);
    WaitForSingleObject(child.hProcess, PATIENCE);
    CHECK_DEC("a child gets its arguments as given", exit_code_of(child.hProcess), 0);
    close_process(&child);

    SetLastError(0);
    line_start(&line, "ntoy_no_such_program", "exit");
    CHECK_TRUE("CreateProcess of a missing program fails", !spawn(&line, 0, NULL, NULL, &child));
    CHECK_DEC("with ERROR_FILE_NOT_FOUND", GetLastError(), 2);
}

static void test_suspended_open_terminate(void) {
    CommandLine line;
    line_start(&line, PROGRAM, "exit 0x5");
    PROCESS_INFORMATION child;
    if (!CHECK_TRUE("CreateProcess(CREATE_SUSPENDED) succeeds",
                    spawn(&line, CREATE_SUSPENDED, NULL, NULL, &child))) {
        return;
    }
    CHECK_DEC("a suspended child is STILL_ACTIVE", exit_code_of(child.hProcess), STILL_ACTIVE);
    CHECK_DEC("and its handle not signalled", WaitForSingleObject(child.hProcess, 50),
              WAIT_TIMEOUT);
    CHECK_DEC("ResumeThread returns 1", ResumeThread(child.hThread), 1);
    CHECK_DEC("the child then ends", WaitForSingleObject(child.hProcess, PATIENCE), WAIT_OBJECT_0);
    CHECK_DEC("with its code", exit_code_of(child.hProcess), 5);
    close_process(&child);

    spawn(&line, CREATE_SUSPENDED, NULL, NULL, &child);
    HANDLE opened = OpenProcess(PROCESS_QUERY_INFORMATION | PROCESS_TERMINATE | SYNCHRONIZE, FALSE,
                                child.dwProcessId);
    if (CHECK_NE("OpenProcess by id succeeds", (ULONG_PTR)opened, 0)) {
        CHECK_DEC("the opened handle names the child", GetProcessId(opened), child.dwProcessId);
        CHECK_TRUE("TerminateProcess through it succeeds", TerminateProcess(opened, 77));
        CHECK_DEC("the child ends", WaitForSingleObject(opened, PATIENCE), WAIT_OBJECT_0);
        CHECK_DEC("with TerminateProcess's code", exit_code_of(child.hProcess), 77);
        CloseHandle(opened);
    }
    close_process(&child);

    HANDLE query_only = OpenProcess(PROCESS_QUERY_INFORMATION, FALSE, GetCurrentProcessId());
    SetLastError(0);
    CHECK_TRUE("TerminateProcess without PROCESS_TERMINATE fails",
               !TerminateProcess(query_only, 1));
    CHECK_DEC("with ERROR_ACCESS_DENIED", GetLastError(), 5);
    CloseHandle(query_only);
    SetLastError(0);
    CHECK_EQ("OpenProcess of an id nobody has fails",
             (ULONG_PTR)OpenProcess(PROCESS_QUERY_INFORMATION, FALSE, 0xFFFFFFF0), 0);
    CHECK_DEC("with ERROR_INVALID_PARAMETER", GetLastError(), 87);
}

static void test_memory_through_handles(void) {
    CommandLine line;
    line_start(&line, PROGRAM, "memory");
    line_add_number(&line, GetCurrentProcessId());
    line_add_number(&line, (ULONG_PTR)shared);
    PROCESS_INFORMATION child;
    if (!CHECK_TRUE("CreateProcess (memory) succeeds", spawn(&line, 0, NULL, NULL, &child))) {
        return;
    }
    WaitForSingleObject(child.hProcess, PATIENCE);
    CHECK_DEC("the child read and wrote our memory, and was refused without the rights",
              exit_code_of(child.hProcess), 0);
    CHECK_TRUE("what it wrote is here", same_text(shared, "the child's bytes"));
    close_process(&child);

    /* A handle to this process, duplicated into a suspended child, its value written into
     * the child's memory before it runs. */
    line_start(&line, PROGRAM, "handed");
    line_add_number(&line, (ULONG_PTR)shared);
    spawn(&line, CREATE_SUSPENDED, NULL, NULL, &child);
    HANDLE in_child = NULL;
    CHECK_TRUE("DuplicateHandle into the child succeeds",
               DuplicateHandle(GetCurrentProcess(), GetCurrentProcess(), child.hProcess, &in_child,
                               PROCESS_VM_READ, FALSE, 0));
    ULONG_PTR value = (ULONG_PTR)in_child;
    SIZE_T copied = 0;
    CHECK_TRUE(
        "WriteProcessMemory into the child succeeds",
        WriteProcessMemory(child.hProcess, (LPVOID)&handed_handle, &value, sizeof(value), &copied));
    CHECK_DEC("and copies every byte", copied, sizeof(value));
    ResumeThread(child.hThread);
    WaitForSingleObject(child.hProcess, PATIENCE);
    CHECK_DEC("the child used the duplicated handle", exit_code_of(child.hProcess), 0);
    close_process(&child);
}

static void test_virtual_memory_of_a_child(void) {
    CommandLine line;
    line_start(&line, PROGRAM, "exit 0x0");
    PROCESS_INFORMATION child;
    if (!CHECK_TRUE("CreateProcess (suspended, for its memory) succeeds",
                    spawn(&line, CREATE_SUSPENDED, NULL, NULL, &child))) {
        return;
    }
    HANDLE process = child.hProcess;
    char* remote = VirtualAllocEx(process, NULL, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (CHECK_NE("VirtualAllocEx in the child succeeds", (ULONG_PTR)remote, 0)) {
        MEMORY_BASIC_INFORMATION information;
        CHECK_DEC("VirtualQueryEx returns a whole record",
                  VirtualQueryEx(process, remote, &information, sizeof(information)),
                  sizeof(information));
        CHECK_EQ("the child's pages are committed", information.State, MEM_COMMIT);
        CHECK_EQ("both of them", information.RegionSize, 0x2000);
        CHECK_EQ("read-write", information.Protect, PAGE_READWRITE);
        char pattern[32];
        for (int i = 0; i < 32; ++i) {
            pattern[i] = (char)(i + 1);
        }
        SIZE_T copied = 0;
        CHECK_TRUE("WriteProcessMemory across the child's two pages succeeds",
                   WriteProcessMemory(process, remote + 0xFF0, pattern, 32, &copied));
        DWORD old = 0;
        CHECK_TRUE("VirtualProtectEx of the second page succeeds",
                   VirtualProtectEx(process, remote + 0x1000, 0x1000, PAGE_NOACCESS, &old));
        CHECK_EQ("and reports its old protection", old, PAGE_READWRITE);
        char back[32];
        zero_bytes(back, sizeof(back));
        copied = 0xFFFF;
        SetLastError(0);
        CHECK_TRUE("ReadProcessMemory into a no-access page fails",
                   !ReadProcessMemory(process, remote + 0xFF0, back, 32, &copied));
        CHECK_DEC("with ERROR_PARTIAL_COPY", GetLastError(), 299);
        CHECK_DEC("having copied the 16 bytes before it", copied, 16);
        CHECK_TRUE("which are the child's", back[0] == 1 && back[15] == 16 && back[16] == 0);
        CHECK_TRUE("VirtualFreeEx in the child succeeds",
                   VirtualFreeEx(process, remote, 0, MEM_RELEASE));
        VirtualQueryEx(process, remote, &information, sizeof(information));
        CHECK_EQ("the child's pages are free", information.State, MEM_FREE);
    }
    TerminateProcess(process, 0);
    WaitForSingleObject(process, PATIENCE);
    close_process(&child);
}

/* ---- Memory counters (GetProcessMemoryInfo: VM_COUNTERS) -------------------------------- */

#define COUNTED_PAGES 256

static PROCESS_MEMORY_COUNTERS_EX counters_of(HANDLE process) {
    PROCESS_MEMORY_COUNTERS_EX counters;
    zero_bytes(&counters, sizeof(counters));
    K32GetProcessMemoryInfo(process, (PROCESS_MEMORY_COUNTERS*)&counters, sizeof(counters));
    return counters;
}

static void test_memory_counters(void) {
    const PROCESS_MEMORY_COUNTERS_EX before = counters_of(GetCurrentProcess());
    CHECK_TRUE("GetProcessMemoryInfo: a working set and its peak",
               before.WorkingSetSize > 0 && before.PeakWorkingSetSize >= before.WorkingSetSize);
    CHECK_TRUE("commit (PagefileUsage) and its peak",
               before.PagefileUsage > 0 && before.PeakPagefileUsage >= before.PagefileUsage);
    CHECK_TRUE("PrivateUsage is the commit", before.PrivateUsage == before.PagefileUsage);
    CHECK_TRUE("page faults were counted", before.PageFaultCount > 0);

    const SIZE_T size = COUNTED_PAGES * 0x1000;
    volatile char* block = VirtualAlloc(NULL, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (!CHECK_NE("VirtualAlloc of 1 MB succeeds", (ULONG_PTR)block, 0)) {
        return;
    }
    for (SIZE_T offset = 0; offset < size; offset += 0x1000) {
        block[offset] = 1;
    }
    const PROCESS_MEMORY_COUNTERS_EX touched = counters_of(GetCurrentProcess());
    CHECK_TRUE("the commit grows by the block",
               touched.PagefileUsage >= before.PagefileUsage + size);
    CHECK_TRUE("the working set by its pages",
               touched.WorkingSetSize >= before.WorkingSetSize + size);
    CHECK_TRUE("and the faults by one a page",
               touched.PageFaultCount >= before.PageFaultCount + COUNTED_PAGES);
    VirtualFree((LPVOID)block, 0, MEM_RELEASE);
    const PROCESS_MEMORY_COUNTERS_EX freed = counters_of(GetCurrentProcess());
    CHECK_TRUE("freeing gives the commit back",
               freed.PagefileUsage + size <= touched.PagefileUsage);
    CHECK_TRUE("and the working set", freed.WorkingSetSize + size <= touched.WorkingSetSize);
    CHECK_TRUE("the peaks stay", freed.PeakPagefileUsage >= touched.PagefileUsage &&
                                     freed.PeakWorkingSetSize >= touched.WorkingSetSize);

    PROCESS_MEMORY_COUNTERS small;
    SetLastError(0);
    CHECK_TRUE("a buffer smaller than PROCESS_MEMORY_COUNTERS fails",
               !K32GetProcessMemoryInfo(GetCurrentProcess(), &small, sizeof(small) - 1));
    CHECK_DEC("with ERROR_INSUFFICIENT_BUFFER", GetLastError(), 122);

    CommandLine line;
    line_start(&line, PROGRAM, "exit 0x0");
    PROCESS_INFORMATION child;
    if (spawn(&line, 0, NULL, NULL, &child)) {
        WaitForSingleObject(child.hProcess, PATIENCE);
        const PROCESS_MEMORY_COUNTERS_EX ended = counters_of(child.hProcess);
        CHECK_TRUE("an ended child keeps its peaks",
                   ended.PeakWorkingSetSize > 0 && ended.PeakPagefileUsage > 0);
        close_process(&child);
    }
}

static void test_environment_and_directory(void) {
    char directory[300];
    DWORD length = GetCurrentDirectoryA(sizeof(directory), directory);
    CHECK_TRUE("GetCurrentDirectory succeeds", length != 0 && length < sizeof(directory));

    /* A directory ending in a backslash ("C:\\") needs it doubled before the closing quote,
     * or the C runtime's rules read the quote as a literal one. */
    BOOL trailing_backslash = length > 0 && directory[length - 1] == '\\';
    CommandLine line;
    line_start(&line, PROGRAM, "environment alpha \"");
    line_add(&line, directory);
    line_add(&line, trailing_backslash ? "\\\"" : "\"");
    static char ansi_environment[] = "NTOY_A=alpha\0NTOY_B=beta\0";
    PROCESS_INFORMATION child;
    spawn(&line, 0, ansi_environment, directory, &child);
    WaitForSingleObject(child.hProcess, PATIENCE);
    CHECK_DEC("a child gets an ANSI environment block and the directory given",
              exit_code_of(child.hProcess), 0);
    close_process(&child);

    line_start(&line, PROGRAM, "environment wide \"");
    line_add(&line, directory);
    line_add(&line, trailing_backslash ? "\\\"" : "\"");
    static WCHAR wide_environment[] = L"NTOY_A=wide\0";
    spawn(&line, CREATE_UNICODE_ENVIRONMENT, wide_environment, NULL, &child);
    WaitForSingleObject(child.hProcess, PATIENCE);
    CHECK_DEC("a child gets a UTF-16 block, and the parent's directory",
              exit_code_of(child.hProcess), 0);
    close_process(&child);

    CHECK_TRUE("SetEnvironmentVariable succeeds", SetEnvironmentVariableA("NTOY_INHERITED", "yes"));
    char value[8];
    CHECK_DEC("GetEnvironmentVariable reads it back",
              GetEnvironmentVariableA("NTOY_INHERITED", value, sizeof(value)), 3);
    line_start(&line, PROGRAM, "inherited");
    spawn(&line, 0, NULL, NULL, &child);
    WaitForSingleObject(child.hProcess, PATIENCE);
    CHECK_DEC("a child gets the parent's environment as it is now", exit_code_of(child.hProcess),
              0);
    close_process(&child);
    SetEnvironmentVariableA("NTOY_INHERITED", NULL);
    SetLastError(0);
    CHECK_DEC("a deleted variable is gone",
              GetEnvironmentVariableA("NTOY_INHERITED", value, sizeof(value)), 0);
    CHECK_DEC("ERROR_ENVVAR_NOT_FOUND", GetLastError(), 203);
}

int start(void) {
    if (argument_is(1, "exit")) {
        return (int)number_argument(2);
    }
    if (argument_is(1, "memory")) {
        return child_memory();
    }
    if (argument_is(1, "handed")) {
        return child_handed();
    }
    if (argument_is(1, "environment")) {
        return child_environment();
    }
    if (argument_is(1, "inherited")) {
        return child_inherited();
    }
    if (argument_is(1, "arguments")) {
        return child_arguments();
    }
    test_exit_codes();
    test_suspended_open_terminate();
    test_memory_through_handles();
    test_virtual_memory_of_a_child();
    test_memory_counters();
    test_environment_and_directory();
    return test_done();
}
