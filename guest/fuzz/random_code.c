/* Random machine code: the guest side of the hostile-guest campaign (docs/fuzzing.md).
 *
 *     random_code [seed] [rounds]
 *
 * Each round fills an executable page with seeded random bytes and runs them from a random
 * offset, with every general register pointing into a scratch buffer and the stack switched
 * to a scratch stack; both are full of pointers into themselves, so that what the code loads
 * and pops is an address as often as not. The code is single-stepped (code_harness.h) for at
 * most kStepsPerRound instructions (random code loops as often as not); any other exception
 * ends the round. Whatever the bytes do, ntoy must neither crash, hang nor stop: the run ends
 * with "N rounds, M exceptions, K single steps" and exit status 0, or, when the code broke
 * its own stack so that no exception can be delivered, with the exception's code, as Windows
 * ends such a process. The seed is printed first, so that a finding can be replayed. */
#include <windows.h>

#include "code_harness.h"
#include "common/command_line.h"
#include "common/print.h"

enum { kCodeBytes = 0x1000, kScratchBytes = 0x10000, kStackBytes = 0x20000, kStepsPerRound = 48 };

static volatile LONG steps;
static volatile unsigned long long exceptions, total_steps;

static enum code_harness_verdict code_harness_exception(const EXCEPTION_RECORD* record) {
    if (record->ExceptionCode == CODE_HARNESS_SEGMENT_LOAD)
        return CODE_HARNESS_END;
    if (record->ExceptionCode != STATUS_SINGLE_STEP) {
        ++exceptions;
        return CODE_HARNESS_END;
    }
    ++total_steps;
    return ++steps < kStepsPerRound ? CODE_HARNESS_STEP : CODE_HARNESS_END;
}

static unsigned long long state;
static unsigned long long next_random(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

int start(void) {
    unsigned long long seed = 1, rounds = 2000;
    if (!get_number_argument(1, 1, &seed) || !get_number_argument(2, 2000, &rounds)) {
        print_str("usage: random_code [seed] [rounds]\n");
        return 2;
    }
    state = seed * 0x9E3779B97F4A7C15ull + 1;
    BYTE* code_page = code_harness_alloc(kCodeBytes, PAGE_EXECUTE_READWRITE);
    BYTE* scratch = code_harness_alloc(kScratchBytes, PAGE_READWRITE);
    BYTE* stack = code_harness_alloc(kStackBytes, PAGE_READWRITE);
    if (code_page == NULL || scratch == NULL || stack == NULL) {
        print_last_error("code_harness_alloc failed");
        return 1;
    }
    for (ULONG_PTR i = 0; i < kScratchBytes; i += 8) {
        *(ULONG_PTR*)(scratch + i) = (ULONG_PTR)scratch + (i * 0x9E37 % kScratchBytes & ~7ull);
    }
    for (ULONG_PTR i = 0; i < kStackBytes; i += 8) {
        *(ULONG_PTR*)(stack + i) = (ULONG_PTR)stack + kStackBytes / 4 + (i % (kStackBytes / 2));
    }
    code_harness_install();
    print_str("seed ");
    print_dec(seed);
    print_str("\n");
    for (unsigned long long round = 0; round < rounds; ++round) {
        for (unsigned long long i = 0; i < kCodeBytes; i += 8) {
            *(unsigned long long*)(code_page + i) = next_random();
        }
        ULONG_PTR registers[16];
        for (int r = 0; r < 16; ++r) {
            registers[r] = (ULONG_PTR)scratch + (next_random() % kScratchBytes);
        }
        registers[1] = next_random() % 64; /* RCX: a short count for loops and rep */
        registers[4] = (ULONG_PTR)stack + kStackBytes / 2;
        const unsigned long long offset = next_random() % (kCodeBytes - 64);
        steps = 0;
        run_code(registers, code_page + offset);
    }
    print_dec(rounds);
    print_str(" rounds, ");
    print_dec(exceptions);
    print_str(" exceptions, ");
    print_dec(total_steps);
    print_str(" single steps\n");
    return 0;
}
