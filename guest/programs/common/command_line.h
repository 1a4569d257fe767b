/* Command-line arguments for guest programs, split from GetCommandLineA with the Microsoft C
 * runtime's rules: arguments are separated by spaces or tabs; double quotes group; 2n
 * backslashes before a quote give n backslashes and the quote delimits, 2n+1 give n and a
 * literal quote; other backslashes are literal. Argument 0 is the program name, which ends
 * at the first space unless it is quoted (and takes no backslash escapes). */
#ifndef NTOY_PROGRAMS_COMMON_COMMAND_LINE_H
#define NTOY_PROGRAMS_COMMON_COMMAND_LINE_H

#include <windows.h>

static inline BOOL command_line_is_space(char c) {
    return c == ' ' || c == '\t';
}

/* Copies argument INDEX into BUFFER (CAPACITY bytes, truncated and always terminated).
 * Returns FALSE if there is no such argument. */
static inline BOOL get_argument(int index, char* buffer, DWORD capacity) {
    const char* cursor = GetCommandLineA();
    DWORD length = 0;
    int current = 0;

    /* The program name. */
    if (*cursor == '"') {
        ++cursor;
        while (*cursor != '\0' && *cursor != '"') {
            if (index == 0 && length + 1 < capacity) {
                buffer[length++] = *cursor;
            }
            ++cursor;
        }
        if (*cursor == '"') {
            ++cursor;
        }
    } else {
        while (*cursor != '\0' && !command_line_is_space(*cursor)) {
            if (index == 0 && length + 1 < capacity) {
                buffer[length++] = *cursor;
            }
            ++cursor;
        }
    }
    if (index == 0) {
        if (capacity > 0) {
            buffer[length] = '\0';
        }
        return TRUE;
    }

    for (;;) {
        while (command_line_is_space(*cursor)) {
            ++cursor;
        }
        if (*cursor == '\0') {
            return FALSE;
        }
        ++current;
        BOOL wanted = current == index;
        BOOL in_quotes = FALSE;
        while (*cursor != '\0' && (in_quotes || !command_line_is_space(*cursor))) {
            if (*cursor == '\\') {
                DWORD backslashes = 0;
                while (*cursor == '\\') {
                    ++backslashes;
                    ++cursor;
                }
                DWORD literal = *cursor == '"' ? backslashes / 2 : backslashes;
                for (DWORD i = 0; i < literal; ++i) {
                    if (wanted && length + 1 < capacity) {
                        buffer[length++] = '\\';
                    }
                }
                if (*cursor == '"' && backslashes % 2 == 1) {
                    if (wanted && length + 1 < capacity) {
                        buffer[length++] = '"';
                    }
                    ++cursor;
                }
            } else if (*cursor == '"') {
                in_quotes = !in_quotes;
                ++cursor;
            } else {
                if (wanted && length + 1 < capacity) {
                    buffer[length++] = *cursor;
                }
                ++cursor;
            }
        }
        if (wanted) {
            if (capacity > 0) {
                buffer[length] = '\0';
            }
            return TRUE;
        }
    }
}

/* Parses a whole decimal or 0x-prefixed hexadecimal number, optionally negative (two's
 * complement). Returns FALSE on anything else, including overflow. */
static inline BOOL parse_number(const char* text, unsigned long long* value) {
    BOOL negative = FALSE;
    if (*text == '-') {
        negative = TRUE;
        ++text;
    }
    unsigned int base = 10;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text += 2;
    }
    if (*text == '\0') {
        return FALSE;
    }
    unsigned long long result = 0;
    for (; *text != '\0'; ++text) {
        unsigned int digit;
        if (*text >= '0' && *text <= '9') {
            digit = (unsigned int)(*text - '0');
        } else if (base == 16 && *text >= 'a' && *text <= 'f') {
            digit = (unsigned int)(*text - 'a' + 10);
        } else if (base == 16 && *text >= 'A' && *text <= 'F') {
            digit = (unsigned int)(*text - 'A' + 10);
        } else {
            return FALSE;
        }
        if (digit >= base || result > (~0ULL - digit) / base) {
            return FALSE;
        }
        result = result * base + digit;
    }
    *value = negative ? 0ULL - result : result;
    return TRUE;
}

/* Argument INDEX as a number, or DEFAULT_VALUE if absent. Returns FALSE if present but not
 * a number. */
static inline BOOL get_number_argument(int index, unsigned long long default_value,
                                       unsigned long long* value) {
    char text[64];
    if (!get_argument(index, text, sizeof(text))) {
        *value = default_value;
        return TRUE;
    }
    return parse_number(text, value);
}

/* Whether argument INDEX is exactly EXPECTED (a role or a mode word). */
static inline BOOL argument_is(int index, const char* expected) {
    char argument[64];
    if (!get_argument(index, argument, sizeof(argument))) {
        return FALSE;
    }
    const char* a = argument;
    while (*a != '\0' && *a == *expected) {
        ++a;
        ++expected;
    }
    return *a == *expected;
}

#endif
