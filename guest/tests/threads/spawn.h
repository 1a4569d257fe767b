/* What the process tests share: building a command line without a C runtime, and starting
 * the same program again in a child role with CreateProcessA. A child's role is its first
 * argument; the parent has none. */
#ifndef NTOY_TESTS_THREADS_SPAWN_H
#define NTOY_TESTS_THREADS_SPAWN_H

#include "common/command_line.h"

#define PATIENCE 30000 /* ms: a wait that takes longer has failed */

typedef struct CommandLine {
    char text[512];
    DWORD length;
} CommandLine;

static inline void line_add(CommandLine* line, const char* text) {
    while (*text != '\0' && line->length + 1 < sizeof(line->text)) {
        line->text[line->length++] = *text++;
    }
    line->text[line->length] = '\0';
}

/* A space, then VALUE as 0x-prefixed hexadecimal. */
static inline void line_add_number(CommandLine* line, unsigned long long value) {
    char digits[19];
    int start = sizeof(digits) - 1;
    digits[start] = '\0';
    do {
        digits[--start] = "0123456789abcdef"[value & 0xF];
        value >>= 4;
    } while (value != 0);
    digits[--start] = 'x';
    digits[--start] = '0';
    line_add(line, " ");
    line_add(line, digits + start);
}

/* PROGRAM ROLE: the start of a child's command line. The program is named by its file name
 * only: CreateProcess finds it in the parent's own directory. */
static inline void line_start(CommandLine* line, const char* program, const char* role) {
    line->length = 0;
    line->text[0] = '\0';
    line_add(line, program);
    line_add(line, " ");
    line_add(line, role);
}

static inline void zero_bytes(void* block, SIZE_T size) {
    volatile char* bytes = block;
    for (SIZE_T i = 0; i < size; ++i) {
        bytes[i] = 0;
    }
}

static inline BOOL spawn(CommandLine* line, DWORD flags, LPVOID environment, const char* directory,
                         PROCESS_INFORMATION* information) {
    STARTUPINFOA startup;
    zero_bytes(&startup, sizeof(startup));
    startup.cb = sizeof(startup);
    zero_bytes(information, sizeof(*information));
    return CreateProcessA(NULL, line->text, NULL, NULL, FALSE, flags, environment, directory,
                          &startup, information);
}

/* Argument INDEX as a number; 0 when it is missing or not one. */
static inline unsigned long long number_argument(int index) {
    unsigned long long value = 0;
    if (!get_number_argument(index, 0, &value)) {
        return 0;
    }
    return value;
}

#endif
