/* The pager's benchmarks (bench/run), one mode per argument list:
 *   bench_paging soft N          N soft faults: 256 written pages leave the working set
 *                                (K32EmptyWorkingSet) and are read again, N / 256 times;
 *   bench_paging sweep MB PASSES commit MB, write every page, then read every page in order
 *                                PASSES times;
 *   bench_paging random MB READS commit MB, write every page, then read READS pages in a
 *                                random order.
 * Run with --ram 16M --pagefile 128M and MB = 64, the sweep and the random reads are four
 * times RAM: nearly every read is a hard fault (the sweep's are clustered by read-ahead). */
#include <windows.h>

#include <psapi.h>

#include "common/command_line.h"

#define PAGE 4096ull

static unsigned long long argument(int index) {
    char text[32];
    if (!get_argument(index, text, sizeof text))
        return 0;
    unsigned long long n = 0;
    for (const char* p = text; *p >= '0' && *p <= '9'; ++p)
        n = n * 10 + (unsigned)(*p - '0');
    return n;
}

static volatile unsigned char* commit_and_write(unsigned long long pages) {
    volatile unsigned char* p =
        VirtualAlloc(NULL, pages * PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (p != NULL)
        for (unsigned long long i = 0; i < pages; ++i)
            p[i * PAGE] = (unsigned char)i;
    return p;
}

int start(void) {
    unsigned long long sum = 0;
    if (argument_is(1, "soft")) {
        const unsigned long long pages = 256, rounds = argument(2) / pages;
        volatile unsigned char* p = commit_and_write(pages);
        if (p == NULL)
            return 1;
        for (unsigned long long r = 0; r < rounds; ++r) {
            K32EmptyWorkingSet(GetCurrentProcess());
            for (unsigned long long i = 0; i < pages; ++i)
                sum += p[i * PAGE];
        }
    } else if (argument_is(1, "sweep") || argument_is(1, "random")) {
        const unsigned long long pages = argument(2) * (1024 * 1024 / PAGE), n = argument(3);
        volatile unsigned char* p = commit_and_write(pages);
        if (p == NULL)
            return 1;
        if (argument_is(1, "sweep")) {
            for (unsigned long long pass = 0; pass < n; ++pass)
                for (unsigned long long i = 0; i < pages; ++i)
                    sum += p[i * PAGE];
        } else {
            unsigned long long state = 12345;
            for (unsigned long long k = 0; k < n; ++k) {
                state = state * 6364136223846793005ull + 1442695040888963407ull;
                sum += p[((state >> 33) % pages) * PAGE];
            }
        }
    } else {
        return 2;
    }
    return sum == 0xFFFFFFFFFFFFFFFFull ? 3 : 0; /* uses sum, never true */
}
