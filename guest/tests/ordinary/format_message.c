/* FormatMessageA/W: system error texts (exact, "\r\n" included), strings with inserts from an
 * array and a va_list, printf-style insert formats, the escapes, IGNORE_INSERTS,
 * ALLOCATE_BUFFER (LocalFree'd) and the errors. */
#include <windows.h>

#include "../framework/ntoy_test.h"

static BOOL same_a(const char* a, const char* b) {
    return test_string_equal(a, b);
}

static BOOL same_w(const WCHAR* a, const WCHAR* b) {
    while (*a != 0 && *a == *b) {
        ++a;
        ++b;
    }
    return *a == *b;
}

static DWORD format_v(DWORD flags, const char* source, char* buffer, DWORD size, ...) {
    va_list arguments;
    va_start(arguments, size);
    DWORD length = FormatMessageA(flags, source, 0, 0, buffer, size, &arguments);
    va_end(arguments);
    return length;
}

static void test_system(void) {
    char buffer[256];
    DWORD length = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM, NULL, ERROR_ACCESS_DENIED, 0, buffer,
                                  sizeof(buffer), NULL);
    CHECK_DEC("ERROR_ACCESS_DENIED: the length", length, 19);
    CHECK_TRUE("ERROR_ACCESS_DENIED: the text", same_a(buffer, "Access is denied.\r\n"));
    FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM, NULL, ERROR_FILE_NOT_FOUND,
                   MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT), buffer, sizeof(buffer), NULL);
    CHECK_TRUE("ERROR_FILE_NOT_FOUND: the text",
               same_a(buffer, "The system cannot find the file specified.\r\n"));
    WCHAR wide[256];
    FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM, NULL, ERROR_INVALID_PARAMETER, 0, wide, 256, NULL);
    CHECK_TRUE("ERROR_INVALID_PARAMETER (W): the text",
               same_w(wide, L"The parameter is incorrect.\r\n"));
    FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                   ERROR_BAD_EXE_FORMAT, 0, buffer, sizeof(buffer), NULL);
    CHECK_TRUE("IGNORE_INSERTS keeps %1",
               same_a(buffer, "%1 is not a valid Win32 application.\r\n"));

    char* allocated = NULL;
    length = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_ALLOCATE_BUFFER, NULL,
                            ERROR_SUCCESS, 0, (LPSTR)&allocated, 0, NULL);
    CHECK_TRUE("ALLOCATE_BUFFER: the text",
               allocated != NULL && same_a(allocated, "The operation completed successfully.\r\n"));
    CHECK_DEC("ALLOCATE_BUFFER: the length", length, 39);
    CHECK_EQ("ALLOCATE_BUFFER: LocalFree takes it", (ULONG_PTR)LocalFree(allocated), 0);

    SetLastError(0);
    CHECK_DEC("an unknown id fails",
              FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM, NULL, 0x2FFFFFFF, 0, buffer,
                             sizeof(buffer), NULL),
              0);
    CHECK_DEC("an unknown id: ERROR_MR_MID_NOT_FOUND", GetLastError(), ERROR_MR_MID_NOT_FOUND);
    SetLastError(0);
    CHECK_DEC(
        "too small a buffer fails",
        FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM, NULL, ERROR_ACCESS_DENIED, 0, buffer, 5, NULL),
        0);
    CHECK_DEC("too small: ERROR_INSUFFICIENT_BUFFER", GetLastError(), ERROR_INSUFFICIENT_BUFFER);
}

static void test_string(void) {
    char buffer[256];
    DWORD_PTR array[3] = {(DWORD_PTR) "world", 42, (DWORD_PTR) "x"};
    DWORD length = FormatMessageA(FORMAT_MESSAGE_FROM_STRING | FORMAT_MESSAGE_ARGUMENT_ARRAY,
                                  "hello %1, %2!d! and %2!04x!%n", 0, 0, buffer, sizeof(buffer),
                                  (va_list*)array);
    CHECK_TRUE("inserts from an array", same_a(buffer, "hello world, 42 and 002a\r\n"));
    CHECK_DEC("inserts from an array: the length", length, 26);
    format_v(FORMAT_MESSAGE_FROM_STRING, "%2 then %1!s!", buffer, sizeof(buffer), "one", "two");
    CHECK_TRUE("inserts from a va_list, in any order", same_a(buffer, "two then one"));
    format_v(FORMAT_MESSAGE_FROM_STRING, "[%1!-5s!][%2!5d!][%3!u!]", buffer, sizeof(buffer), "ab",
             -7, 3000000000u);
    CHECK_TRUE("widths and signs", same_a(buffer, "[ab   ][   -7][3000000000]"));
    format_v(FORMAT_MESSAGE_FROM_STRING, "100%% done%. %!%0 not this", buffer, sizeof(buffer));
    CHECK_TRUE("escapes: %%, %., %! and %0", same_a(buffer, "100% done. !"));
    format_v(FORMAT_MESSAGE_FROM_STRING | FORMAT_MESSAGE_IGNORE_INSERTS, "%1!d! stays%n", buffer,
             sizeof(buffer));
    CHECK_TRUE("IGNORE_INSERTS: inserts kept, escapes done", same_a(buffer, "%1!d! stays\r\n"));
    WCHAR wide[64];
    DWORD_PTR wide_array[1] = {(DWORD_PTR)L"wide"};
    FormatMessageW(FORMAT_MESSAGE_FROM_STRING | FORMAT_MESSAGE_ARGUMENT_ARRAY, L"a %1 b", 0, 0,
                   wide, 64, (va_list*)wide_array);
    CHECK_TRUE("FormatMessageW: a wide string insert", same_w(wide, L"a wide b"));
    SetLastError(0);
    CHECK_DEC("an insert without arguments fails",
              FormatMessageA(FORMAT_MESSAGE_FROM_STRING, "%1", 0, 0, buffer, sizeof(buffer), NULL),
              0);
    CHECK_DEC("without arguments: ERROR_INVALID_PARAMETER", GetLastError(),
              ERROR_INVALID_PARAMETER);
}

int start(void) {
    test_system();
    test_string();
    return test_done();
}
