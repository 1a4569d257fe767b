/* Paths inside kernel32 (path.c): DOS names to full paths and to the NT names the file calls
 * take, the current directory's store (environment.c), and UTF-8 for the ANSI entry points
 * (text.c). */
#ifndef NTOY_KERNEL32_PATH_H
#define NTOY_KERNEL32_PATH_H

#include "kernel32_private.h"
#include "ntoy/nt_file.h"

/* The longest full path kernel32 builds, in characters with the NUL. */
#define NTOY_PATH_CHARS 4096

/* An NT name ready for a file call: `attributes` names `string`, which points into `buffer`.
 * Not movable once made (the pointers are into itself). */
typedef struct NtoyPath {
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING string;
    WCHAR buffer[NTOY_PATH_CHARS + 8];
} NtoyPath;

/* The full path of `name` in `out` (capacity characters); its length, or 0 with `error` set. */
SIZE_T ntoy_full_path(LPCWSTR name, PWSTR out, SIZE_T capacity, DWORD* error);
/* The NT name of `name` in `path`; FALSE with the last error set when it has none. */
BOOL ntoy_nt_path(LPCWSTR name, NtoyPath* path);

/* Makes `dos` (a full path of `length` characters ending in '\') the current directory. */
BOOL ntoy_store_current_directory(LPCWSTR dos, SIZE_T length);

/* UTF-8 to UTF-16 into `out` (capacity characters, NUL included); FALSE with
 * ERROR_FILENAME_EXCED_RANGE when it does not fit, ERROR_NO_UNICODE_TRANSLATION for bytes
 * that are not UTF-8. */
BOOL ntoy_utf8_to_wide(LPCSTR text, PWSTR out, SIZE_T capacity);
/* UTF-16 to UTF-8: the bytes it needs without the NUL; writes them and a NUL when `out` has
 * room (capacity bytes). An unpaired surrogate becomes U+FFFD. */
SIZE_T ntoy_wide_to_utf8(LPCWSTR text, LPSTR out, SIZE_T capacity);
/* The same for `count` characters with no NUL written: what WriteConsoleW sends. */
SIZE_T ntoy_wide_to_utf8_n(LPCWSTR text, SIZE_T count, LPSTR out, SIZE_T capacity);

#endif
