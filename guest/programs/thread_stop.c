/* A process with threads and a child, stopped for a debugger: the debugger's and gdb's tests
 * of processes and threads. The main thread starts two waiters, which block on one event,
 * then a child process of this program (argument "child"), which sleeps until it is ended.
 * Once the waiters are blocked it calls rendezvous(), where the tests put a breakpoint; then
 * it releases the waiters, and each touches a page of its own (a demand-zero fault in that
 * thread). It waits for them, ends the child and exits 0.
 * With the argument "spawn-spinner" it starts a child ("spinner") that prints "spinning" and
 * spins for ever, and waits for it: Ctrl-C must stop the child, in its own process. */
#include "common/command_line.h"
#include "common/print.h"

#define WAITERS 2
#define PAGE 4096

static HANDLE release;
static volatile LONG blocked;
static volatile unsigned char* pages;

static DWORD WINAPI waiter(LPVOID argument) {
    ULONG_PTR index = (ULONG_PTR)argument;
    InterlockedIncrement(&blocked);
    WaitForSingleObject(release, INFINITE);
    pages[index * PAGE] = (unsigned char)(index + 1);
    return 0;
}

/* noipa: a function of its own that the main thread calls once, for a breakpoint. */
__attribute__((noipa)) void rendezvous(void) {
    print_str("rendezvous: the waiters are blocked\n");
}

static BOOL same(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) {
        ++a;
        ++b;
    }
    return *a == *b;
}

static BOOL start_child(char* line, PROCESS_INFORMATION* child_process) {
    STARTUPINFOA startup;
    /* Zeroed by hand: with no C runtime there is no memset for gcc to call. */
    volatile char* bytes = (volatile char*)&startup;
    for (SIZE_T i = 0; i < sizeof(startup); ++i) {
        bytes[i] = 0;
    }
    startup.cb = sizeof(startup);
    return CreateProcessA(NULL, line, NULL, NULL, FALSE, 0, NULL, NULL, &startup, child_process);
}

static volatile unsigned long long spins;

int start(void) {
    char role[16];
    if (get_argument(1, role, sizeof(role))) {
        if (same(role, "spinner")) {
            print_str("spinning\n");
            for (;;) {
                ++spins;
            }
        }
        if (same(role, "spawn-spinner")) {
            char line[] = "thread_stop.exe spinner";
            PROCESS_INFORMATION spinner;
            if (!start_child(line, &spinner)) {
                return 2;
            }
            WaitForSingleObject(spinner.hProcess, INFINITE);
            return 1;
        }
        Sleep(INFINITE); /* "child" */
        return 1;
    }
    pages = VirtualAlloc(NULL, WAITERS * PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    release = CreateEventA(NULL, TRUE, FALSE, NULL);
    if (pages == NULL || release == NULL) {
        print_str("cannot allocate the pages or the event\n");
        return 2;
    }
    HANDLE threads[WAITERS];
    for (ULONG_PTR i = 0; i < WAITERS; ++i) {
        threads[i] = CreateThread(NULL, 0, waiter, (LPVOID)i, 0, NULL);
        if (threads[i] == NULL) {
            print_str("CreateThread failed\n");
            return 2;
        }
    }
    char line[] = "thread_stop.exe child";
    PROCESS_INFORMATION child_process;
    if (!start_child(line, &child_process)) {
        print_str("CreateProcess failed\n");
        return 2;
    }
    /* Each waiter counts itself just before it waits; a sleep lets both go into the wait. */
    while (blocked < WAITERS) {
        Sleep(1);
    }
    Sleep(10);
    rendezvous();
    SetEvent(release);
    WaitForMultipleObjects(WAITERS, threads, TRUE, INFINITE);
    TerminateProcess(child_process.hProcess, 0);
    WaitForSingleObject(child_process.hProcess, INFINITE);
    print_str("the waiters touched their pages\n");
    return pages[0] == 1 && pages[PAGE] == 2 ? 0 : 1;
}
