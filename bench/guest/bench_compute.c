/* Runs the compute loop (compute_loop.h) for N iterations from an executable page.
 * `bench_compute.exe N K` also starts K children that each run N iterations at the same time,
 * and waits for them: three processes' threads ready at once with K = 2, so that the scheduler
 * slices time between them (bench/run's compute pair with competitors). */
#include <windows.h>

#include "bench_args.h"
#include "compute_loop.h"

typedef unsigned long long (*loop_fn)(unsigned long long);

#define MAX_COMPETITORS 8

static int compute(unsigned long long n) {
    volatile unsigned char* code =
        VirtualAlloc(NULL, sizeof kComputeLoop, MEM_COMMIT | MEM_RESERVE, PAGE_EXECUTE_READWRITE);
    if (code == NULL)
        return 1;
    for (unsigned i = 0; i < sizeof kComputeLoop; ++i)
        code[i] = kComputeLoop[i];
    /* A call through a pointer to data cannot be optimised away; keep its result anyway. */
    volatile unsigned long long checksum = ((loop_fn)code)(n);
    (void)checksum;
    return 0;
}

static unsigned long long number(const char* text) {
    unsigned long long n = 0;
    for (const char* p = text; *p >= '0' && *p <= '9'; ++p)
        n = n * 10 + (unsigned)(*p - '0');
    return n;
}

int start(void) {
    unsigned long long n = bench_iterations(100000000ull);
    char text[32];
    unsigned long long competitors = get_argument(2, text, sizeof text) ? number(text) : 0;
    if (competitors > MAX_COMPETITORS)
        return 2;
    PROCESS_INFORMATION children[MAX_COMPETITORS];
    char line[64] = "bench_compute.exe ";
    if (get_argument(1, text, sizeof text)) {
        char* end = line + 18;
        for (const char* p = text; *p != '\0' && end < line + sizeof line - 1; ++p)
            *end++ = *p;
        *end = '\0';
    }
    for (unsigned long long i = 0; i < competitors; ++i) {
        STARTUPINFOA startup;
        for (unsigned b = 0; b < sizeof startup; ++b)
            ((char*)&startup)[b] = 0;
        startup.cb = sizeof startup;
        if (!CreateProcessA(NULL, line, NULL, NULL, FALSE, 0, NULL, NULL, &startup, &children[i]))
            return 3;
    }
    int status = compute(n);
    for (unsigned long long i = 0; i < competitors; ++i) {
        DWORD code = 1;
        WaitForSingleObject(children[i].hProcess, INFINITE);
        GetExitCodeProcess(children[i].hProcess, &code);
        CloseHandle(children[i].hThread);
        CloseHandle(children[i].hProcess);
        if (code != 0 && status == 0)
            status = 4;
    }
    return status;
}
