/* The standard handles as a C runtime probes and uses them. The first argument says what the
 * test harness made of the standard input, and the program checks that it looks like that:
 *
 *   pipe  stdin is a pipe: FILE_TYPE_PIPE, not a console; ReadFile reads to the end, which is
 *         ERROR_BROKEN_PIPE (Windows' end of a pipe)
 *   file  stdin is a file: FILE_TYPE_DISK; the end is a successful read of 0 bytes
 *   tty   stdin and stdout are a terminal: FILE_TYPE_CHAR, GetConsoleMode and SetConsoleMode
 *         work, WriteConsoleW writes UTF-8, ReadConsoleA reads a line
 *
 * In the pipe and file cases stdout is a pipe too (the harness reads it), so the console
 * functions must refuse it with ERROR_INVALID_HANDLE. What was read is echoed between
 * "[" and "]" for the harness to compare. The remaining arguments are known deviations, as
 * for every conformance program, after the first. */
#include "../framework/ntoy_test.h"

static void echo_input(const char* text, DWORD length) {
    print_str("[");
    print_bytes(text, length);
    print_str("]\n");
}

/* Reads stdin to its end; returns the bytes read and the last error of the read that ended. */
static DWORD read_all(HANDLE in, char* buffer, DWORD capacity, DWORD* end_error, BOOL* end_ok) {
    DWORD total = 0;
    for (;;) {
        DWORD got = 0;
        SetLastError(0);
        BOOL ok = ReadFile(in, buffer + total, capacity - total, &got, NULL);
        if (!ok || got == 0) {
            *end_ok = ok;
            *end_error = GetLastError();
            return total;
        }
        total += got;
        if (total == capacity) {
            *end_ok = TRUE;
            *end_error = 0;
            return total;
        }
    }
}

static void redirected(const char* kind) {
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
    HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
    BOOL pipe = test_string_equal(kind, "pipe");
    CHECK_DEC("GetFileType(stdin)", GetFileType(in), pipe ? FILE_TYPE_PIPE : FILE_TYPE_DISK);
    CHECK_DEC("GetFileType(stdout) of a pipe", GetFileType(out), FILE_TYPE_PIPE);
    DWORD mode = 0x5A5A;
    SetLastError(0);
    CHECK_TRUE("GetConsoleMode(stdin) fails when redirected", !GetConsoleMode(in, &mode));
    CHECK_DEC("... ERROR_INVALID_HANDLE", GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(0);
    CHECK_TRUE("GetConsoleMode(stdout) fails when redirected", !GetConsoleMode(out, &mode));
    CHECK_DEC("... ERROR_INVALID_HANDLE", GetLastError(), ERROR_INVALID_HANDLE);
    DWORD written = 7;
    SetLastError(0);
    CHECK_TRUE("WriteConsoleA to a pipe fails", !WriteConsoleA(out, "x", 1, &written, NULL));
    CHECK_DEC("... ERROR_INVALID_HANDLE", GetLastError(), ERROR_INVALID_HANDLE);
    CHECK_DEC("... having written nothing", written, 0);
    written = 0;
    CHECK_TRUE("WriteFile to stdin fails", !WriteFile(in, "x", 1, &written, NULL));
    CHECK_DEC("... ERROR_ACCESS_DENIED", GetLastError(), ERROR_ACCESS_DENIED);

    char buffer[256];
    DWORD end_error = 0;
    BOOL end_ok = FALSE;
    DWORD total = read_all(in, buffer, sizeof(buffer), &end_error, &end_ok);
    CHECK_DEC("bytes read from stdin", total, 18);
    if (pipe) {
        CHECK_TRUE("the end of a pipe is a failed read", !end_ok);
        CHECK_DEC("... ERROR_BROKEN_PIPE", end_error, ERROR_BROKEN_PIPE);
    } else {
        CHECK_TRUE("the end of a file is a read of 0 bytes", end_ok);
    }
    echo_input(buffer, total);
}

static void terminal(void) {
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
    HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
    CHECK_DEC("GetFileType(stdin) of a terminal", GetFileType(in), FILE_TYPE_CHAR);
    CHECK_DEC("GetFileType(stdout) of a terminal", GetFileType(out), FILE_TYPE_CHAR);
    DWORD mode = 0;
    CHECK_TRUE("GetConsoleMode(stdin)", GetConsoleMode(in, &mode));
    CHECK_TRUE("... line input and echo", (mode & (ENABLE_LINE_INPUT | ENABLE_ECHO_INPUT)) ==
                                              (ENABLE_LINE_INPUT | ENABLE_ECHO_INPUT));
    CHECK_TRUE("GetConsoleMode(stdout)", GetConsoleMode(out, &mode));
    CHECK_TRUE("... processed output", (mode & ENABLE_PROCESSED_OUTPUT) != 0);
    CHECK_TRUE("SetConsoleMode(stdout)", SetConsoleMode(out, ENABLE_PROCESSED_OUTPUT));
    CHECK_TRUE("... reads back", GetConsoleMode(out, &mode) && mode == ENABLE_PROCESSED_OUTPUT);
    SetLastError(0);
    CHECK_TRUE("SetConsoleMode with unknown bits fails", !SetConsoleMode(out, 0x8000));
    CHECK_DEC("... ERROR_INVALID_PARAMETER", GetLastError(), ERROR_INVALID_PARAMETER);
    CHECK_DEC("GetConsoleOutputCP", GetConsoleOutputCP(), CP_UTF8);
    DWORD written = 0;
    const WCHAR text[] = L"wide: gr\x00fc\x00df \x2713 \xD83D\xDE00\n";
    DWORD count = sizeof(text) / sizeof(text[0]) - 1;
    CHECK_TRUE("WriteConsoleW", WriteConsoleW(out, text, count, &written, NULL));
    CHECK_DEC("... counts characters", written, count);
    CHECK_TRUE("WriteConsoleA", WriteConsoleA(out, "narrow\n", 7, &written, NULL) && written == 7);
    char line[64];
    DWORD read = 0;
    CHECK_TRUE("ReadConsoleA reads a line", ReadConsoleA(in, line, sizeof(line), &read, NULL));
    echo_input(line, read);
}

int start(void) {
    char kind[16];
    if (!get_argument(1, kind, sizeof(kind))) {
        test_note("usage: console_io pipe|file|tty");
        return 1;
    }
    if (test_string_equal(kind, "tty")) {
        terminal();
    } else {
        redirected(kind);
    }
    return test_done();
}
