/* Checks for the conformance programs, in a TAP-like format: one line per check,
 *
 *     ok N - name
 *     not ok N - name (got X, want Y)
 *
 * then a last line "N passed, M failed". test_done() returns M, which `start` returns as the
 * program's exit status, so a run passes when it exits 0 and ends with "N passed, 0 failed".
 *
 * Every command-line argument names a check known to fail on the platform under test (Wine,
 * say): such a check still fails visibly, as "ok N - name # known deviation (got X, want
 * Y)", but counts as passed. Names must therefore be unique within a program. */
#ifndef NTOY_TESTS_FRAMEWORK_NTOY_TEST_H
#define NTOY_TESTS_FRAMEWORK_NTOY_TEST_H

#include "common/command_line.h"
#include "common/print.h"

static unsigned long test_passed_count;
static unsigned long test_failed_count;

typedef enum TestFormat {
    TEST_HEX,    /* addresses, sizes, flags */
    TEST_DEC,    /* counts, Win32 error codes */
    TEST_BOOL,   /* conditions: got is 0 or 1, want is 1 */
    TEST_NOT_EQ, /* got must differ from want */
} TestFormat;

static inline BOOL test_string_equal(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) {
        ++a;
        ++b;
    }
    return *a == *b;
}

static inline BOOL test_is_known_deviation(const char* name) {
    char argument[256];
    for (int index = 1; get_argument(index, argument, sizeof(argument)); ++index) {
        if (test_string_equal(argument, name)) {
            return TRUE;
        }
    }
    return FALSE;
}

static inline void test_print_value(unsigned long long value, TestFormat format) {
    if (format == TEST_DEC) {
        print_dec(value);
    } else if (format == TEST_BOOL) {
        print_str(value ? "true" : "false");
    } else {
        print_hex(value);
    }
}

/* Reports one check and returns whether it passed, so that a caller can skip checks that
 * depend on it. */
static inline BOOL test_report(const char* name, unsigned long long got, unsigned long long want,
                               TestFormat format) {
    BOOL passed = format == TEST_NOT_EQ ? got != want : got == want;
    BOOL known = !passed && test_is_known_deviation(name);
    unsigned long number = test_passed_count + test_failed_count + 1;
    if (passed || known) {
        ++test_passed_count;
    } else {
        ++test_failed_count;
    }
    print_str(passed || known ? "ok " : "not ok ");
    print_dec(number);
    print_str(" - ");
    print_str(name);
    if (!passed) {
        print_str(known ? " # known deviation (got " : " (got ");
        test_print_value(got, format);
        print_str(format == TEST_NOT_EQ ? ", want not " : ", want ");
        test_print_value(want, format);
        print_str(")");
    }
    print_str("\n");
    return passed;
}

/* 64-bit values: addresses, sizes, protections, states. */
#define CHECK_EQ(name, got, want) \
    test_report((name), (unsigned long long)(got), (unsigned long long)(want), TEST_HEX)
/* got must not equal want (e.g. "the call failed": status not 0). */
#define CHECK_NE(name, got, want) \
    test_report((name), (unsigned long long)(got), (unsigned long long)(want), TEST_NOT_EQ)
/* NTSTATUS values, compared and printed as 32 bits whatever the operands' types. */
#define CHECK_STATUS(name, got, want)                                                        \
    test_report((name), (unsigned long long)(ULONG)(got), (unsigned long long)(ULONG)(want), \
                TEST_HEX)
/* Counts and Win32 error codes. */
#define CHECK_DEC(name, got, want) \
    test_report((name), (unsigned long long)(got), (unsigned long long)(want), TEST_DEC)
#define CHECK_TRUE(name, condition) test_report((name), (condition) ? 1 : 0, 1, TEST_BOOL)

/* FIRST then SECOND in BUFFER (CAPACITY bytes, truncated): a check name built in a loop. */
static inline const char* test_name(char* buffer, DWORD capacity, const char* first,
                                    const char* second) {
    DWORD length = 0;
    for (const char* part = first; *part != '\0' && length + 1 < capacity; ++part) {
        buffer[length++] = *part;
    }
    for (const char* part = second; *part != '\0' && length + 1 < capacity; ++part) {
        buffer[length++] = *part;
    }
    buffer[length] = '\0';
    return buffer;
}

/* A line of explanation in the output, ignored by the pass/fail summary. */
static inline void test_note(const char* text) {
    print_str("# ");
    print_str(text);
    print_str("\n");
}

static inline int test_done(void) {
    print_dec(test_passed_count);
    print_str(" passed, ");
    print_dec(test_failed_count);
    print_str(" failed\n");
    return (int)test_failed_count;
}

#endif
