/* Preemption is exact (issue 10): three processes and two more threads compete for the
 * processor, each running a loop whose every block does a memory increment, a push and a pop
 * and register arithmetic, for long enough to be preempted many times. A thread resumed
 * anywhere but exactly where it stopped shows: a block begun again after part of it ran
 * increments the memory cell twice for one register step, or unbalances the stack. Each
 * loop's memory count, register count and stack must agree at the end. */
#include "../framework/ntoy_test.h"
#include "spawn.h"

#define PROGRAM "preemption.exe"
#define ITERATIONS 4000000ull /* about 0.4 s of host time per loop */

/* Runs ITERATIONS rounds; returns the number of rounds whose pushed and popped values
 * differed (0), and leaves the register count in *counted. */
static unsigned long long exact_loop(volatile unsigned long long* cell,
                                     unsigned long long* counted) {
    unsigned long long n = ITERATIONS, reg = 0, mismatches = 0;
    __asm__ volatile(
        "1:\n\t"
        "addq $1, (%[cell])\n\t"
        "pushq %[reg]\n\t"
        "addq $1, %[reg]\n\t"
        "popq %%rax\n\t"
        "incq %%rax\n\t"
        "cmpq %%rax, %[reg]\n\t"
        "je 2f\n\t"
        "incq %[bad]\n"
        "2:\n\t"
        "decq %[n]\n\t"
        "jnz 1b\n\t"
        : [reg] "+r"(reg), [n] "+r"(n), [bad] "+r"(mismatches)
        : [cell] "r"(cell)
        : "rax", "memory", "cc");
    *counted = reg;
    return mismatches;
}

/* 0 when the loop was exact, else which part was not: 1 the stack, 2 the memory count, 4
 * the register count. */
static DWORD run_exact(unsigned index) {
    static volatile unsigned long long cells[3];
    unsigned long long counted = 0;
    volatile unsigned long long* cell = &cells[index];
    *cell = 0;
    const unsigned long long mismatches = exact_loop(cell, &counted);
    return (mismatches != 0 ? 1 : 0) | (*cell != ITERATIONS ? 2 : 0) |
           (counted != ITERATIONS ? 4 : 0);
}

static DWORD WINAPI thread_main(LPVOID index) {
    return run_exact((unsigned)(ULONG_PTR)index);
}

int start(void) {
    if (argument_is(1, "compete")) {
        return (int)run_exact(0);
    }
    PROCESS_INFORMATION children[2];
    CommandLine line;
    for (int i = 0; i < 2; ++i) {
        line_start(&line, PROGRAM, "compete");
        CHECK_TRUE("a competing process starts", spawn(&line, 0, NULL, NULL, &children[i]));
    }
    HANDLE threads[2];
    for (int i = 0; i < 2; ++i) {
        threads[i] = CreateThread(NULL, 0, thread_main, (LPVOID)(ULONG_PTR)(i + 1), 0, NULL);
        CHECK_TRUE("a competing thread starts", threads[i] != NULL);
    }
    CHECK_EQ("the main thread's loop is exact", run_exact(0), 0);
    for (int i = 0; i < 2; ++i) {
        DWORD code = 99;
        CHECK_EQ("a thread ends", WaitForSingleObject(threads[i], PATIENCE), WAIT_OBJECT_0);
        GetExitCodeThread(threads[i], &code);
        CHECK_EQ("a thread's loop is exact", code, 0);
        CloseHandle(threads[i]);
    }
    for (int i = 0; i < 2; ++i) {
        DWORD code = 99;
        CHECK_EQ("a process ends", WaitForSingleObject(children[i].hProcess, PATIENCE),
                 WAIT_OBJECT_0);
        GetExitCodeProcess(children[i].hProcess, &code);
        CHECK_EQ("a process's loop is exact", code, 0);
        CloseHandle(children[i].hThread);
        CloseHandle(children[i].hProcess);
    }
    return test_done();
}
