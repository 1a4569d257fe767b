/* Console output for guest programs over GetStdHandle + WriteFile, with no C runtime.
 * Header-only so that each program stays a single, third-party-style link. */
#ifndef NTOY_PROGRAMS_COMMON_PRINT_H
#define NTOY_PROGRAMS_COMMON_PRINT_H

#include <windows.h>

static inline void print_bytes(const char* text, DWORD length) {
    DWORD written = 0;
    WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), text, length, &written, NULL);
}

static inline void print_str(const char* text) {
    DWORD length = 0;
    while (text[length] != '\0') {
        ++length;
    }
    print_bytes(text, length);
}

static inline void print_dec(unsigned long long value) {
    char digits[20];
    int start = sizeof(digits);
    do {
        digits[--start] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    print_bytes(digits + start, (DWORD)(sizeof(digits) - start));
}

/* "0x" and at least MIN_DIGITS hex digits. */
static inline void print_hex_width(unsigned long long value, int min_digits) {
    char digits[2 + 16];
    int start = sizeof(digits);
    int count = 0;
    do {
        digits[--start] = "0123456789ABCDEF"[value & 0xF];
        value >>= 4;
        ++count;
    } while (value != 0 || count < min_digits);
    digits[--start] = 'x';
    digits[--start] = '0';
    print_bytes(digits + start, (DWORD)(sizeof(digits) - start));
}

static inline void print_hex(unsigned long long value) {
    print_hex_width(value, 1);
}

/* Prints TEXT then the last Win32 error, e.g. "VirtualAlloc failed: error 8". */
static inline void print_last_error(const char* text) {
    DWORD error = GetLastError();
    print_str(text);
    print_str(": error ");
    print_dec(error);
    print_str("\n");
}

#endif
