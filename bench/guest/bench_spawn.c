/* Processes: `bench_spawn.exe N` creates N children one after another, each a copy of this
 * program that exits at once, and waits for each (bench/run's pair: posix_spawn of
 * /bin/true). `bench_spawn.exe hold K` keeps K children alive at once, then ends them: the
 * cost of a live process. */
#include <windows.h>

#include "bench_args.h"

static BOOL spawn(const char* arguments, PROCESS_INFORMATION* child) {
    char line[64] = "bench_spawn.exe ";
    char* end = line + 16;
    for (const char* p = arguments; *p != '\0' && end < line + sizeof line - 1; ++p)
        *end++ = *p;
    *end = '\0';
    STARTUPINFOA startup;
    for (unsigned i = 0; i < sizeof startup; ++i)
        ((char*)&startup)[i] = 0;
    startup.cb = sizeof startup;
    return CreateProcessA(NULL, line, NULL, NULL, FALSE, 0, NULL, NULL, &startup, child);
}

static int child_waits(void) {
    Sleep(INFINITE);
    return 0;
}

#define MAX_HELD 256

static int hold(unsigned long long count) {
    static PROCESS_INFORMATION children[MAX_HELD];
    if (count > MAX_HELD)
        return 3;
    for (unsigned long long i = 0; i < count; ++i)
        if (!spawn("wait", &children[i]))
            return 4;
    /* Each child has run to its Sleep before the host's peak is taken. */
    Sleep(200);
    for (unsigned long long i = 0; i < count; ++i) {
        TerminateProcess(children[i].hProcess, 0);
        WaitForSingleObject(children[i].hProcess, INFINITE);
        CloseHandle(children[i].hThread);
        CloseHandle(children[i].hProcess);
    }
    return 0;
}

int start(void) {
    char first[16];
    if (get_argument(1, first, sizeof first)) {
        if (first[0] == 'x')
            return 0;
        if (first[0] == 'w')
            return child_waits();
        if (first[0] == 'h') {
            char count[32];
            unsigned long long k = 0;
            if (get_argument(2, count, sizeof count))
                for (const char* p = count; *p >= '0' && *p <= '9'; ++p)
                    k = k * 10 + (unsigned)(*p - '0');
            return hold(k);
        }
    }
    unsigned long long n = bench_iterations(10ull);
    for (unsigned long long i = 0; i < n; ++i) {
        PROCESS_INFORMATION child;
        if (!spawn("x", &child))
            return 1;
        DWORD code = 1;
        WaitForSingleObject(child.hProcess, INFINITE);
        GetExitCodeProcess(child.hProcess, &code);
        CloseHandle(child.hThread);
        CloseHandle(child.hProcess);
        if (code != 0)
            return 2;
    }
    return 0;
}
