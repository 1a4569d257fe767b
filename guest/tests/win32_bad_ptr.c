/* IsBadReadPtr, IsBadWritePtr and IsBadCodePtr: Windows touches the first byte, each later
 * page and the last byte, and answers TRUE when a touch raises an exception. So: a zero
 * size is never bad (nothing is touched), NULL with a size is; a guard page answers TRUE
 * once and is disarmed by it (the next probe answers FALSE); a read-only page is readable
 * but not writable; a range is bad if any page of it is. The last error is left alone.
 * Wine (IsBadReadPtr catches page faults only) raises the guard page's exception instead. */
#include "framework/ntoy_nt.h"
#include "framework/ntoy_test.h"

int start(void);

static ULONG_PTR region(SIZE_T size, ULONG type, ULONG protect) {
    return (ULONG_PTR)VirtualAlloc(NULL, size, type, protect);
}

static DWORD protection_of(ULONG_PTR address) {
    MEMORY_BASIC_INFORMATION info;
    VirtualQuery((LPCVOID)address, &info, sizeof(info));
    return info.Protect;
}

static void test_trivial_cases(void) {
    char local[16] = {0};
    CHECK_DEC("IsBadReadPtr(NULL, 0)", IsBadReadPtr(NULL, 0), FALSE);
    CHECK_DEC("IsBadWritePtr(NULL, 0)", IsBadWritePtr(NULL, 0), FALSE);
    CHECK_DEC("IsBadReadPtr(NULL, 1)", IsBadReadPtr(NULL, 1), TRUE);
    CHECK_DEC("IsBadWritePtr(NULL, 1)", IsBadWritePtr(NULL, 1), TRUE);
    CHECK_DEC("IsBadReadPtr(bad address, 0): nothing touched",
              IsBadReadPtr((const void*)TEST_SYSTEM_ADDRESS, 0), FALSE);
    CHECK_DEC("IsBadReadPtr(stack buffer)", IsBadReadPtr(local, sizeof(local)), FALSE);
    CHECK_DEC("IsBadWritePtr(stack buffer)", IsBadWritePtr(local, sizeof(local)), FALSE);
    CHECK_DEC("IsBadReadPtr(system address)", IsBadReadPtr((const void*)TEST_SYSTEM_ADDRESS, 1),
              TRUE);
    CHECK_DEC("IsBadWritePtr(system address)", IsBadWritePtr((void*)TEST_SYSTEM_ADDRESS, 8), TRUE);
    CHECK_DEC("IsBadReadPtr: a range that wraps around", IsBadReadPtr((const void*)~0ull, 2), TRUE);
    CHECK_DEC("IsBadCodePtr(a function)", IsBadCodePtr((FARPROC)(void*)start), FALSE);
    CHECK_DEC("IsBadCodePtr(NULL)", IsBadCodePtr(NULL), TRUE);
    CHECK_DEC("IsBadCodePtr(system address)", IsBadCodePtr((FARPROC)TEST_SYSTEM_ADDRESS), TRUE);
}

static void test_protections(void) {
    ULONG_PTR rw = region(3 * TEST_PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    CHECK_DEC("IsBadReadPtr(committed, untouched pages)", IsBadReadPtr((void*)rw, 3 * TEST_PAGE),
              FALSE);
    CHECK_DEC("IsBadWritePtr(committed pages)", IsBadWritePtr((void*)rw, 3 * TEST_PAGE), FALSE);
    ((volatile char*)rw)[5] = 42;
    CHECK_DEC("IsBadWritePtr(written page)", IsBadWritePtr((void*)rw, TEST_PAGE), FALSE);
    CHECK_DEC("... leaves its contents", ((volatile char*)rw)[5], 42);

    ULONG_PTR ro = region(TEST_PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READONLY);
    CHECK_DEC("IsBadReadPtr(read-only)", IsBadReadPtr((void*)ro, TEST_PAGE), FALSE);
    CHECK_DEC("IsBadWritePtr(read-only)", IsBadWritePtr((void*)ro, 1), TRUE);
    CHECK_DEC("IsBadCodePtr(read-only, not executable): only reading is checked",
              IsBadCodePtr((FARPROC)ro), FALSE);

    ULONG_PTR none = region(TEST_PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_NOACCESS);
    CHECK_DEC("IsBadReadPtr(no access)", IsBadReadPtr((void*)none, 1), TRUE);
    CHECK_DEC("IsBadWritePtr(no access)", IsBadWritePtr((void*)none, 1), TRUE);
    CHECK_DEC("IsBadCodePtr(no access)", IsBadCodePtr((FARPROC)none), TRUE);

    ULONG_PTR reserved = region(2 * TEST_PAGE, MEM_RESERVE, PAGE_READWRITE);
    CHECK_DEC("IsBadReadPtr(reserved, not committed)", IsBadReadPtr((void*)reserved, 1), TRUE);

    /* Committed, then a committed page, then a reserved one: the last page decides. */
    ULONG_PTR mixed = region(3 * TEST_PAGE, MEM_RESERVE, PAGE_READWRITE);
    VirtualAlloc((void*)mixed, 2 * TEST_PAGE, MEM_COMMIT, PAGE_READWRITE);
    CHECK_DEC("IsBadReadPtr(two committed pages)", IsBadReadPtr((void*)mixed, 2 * TEST_PAGE),
              FALSE);
    CHECK_DEC("IsBadReadPtr: one byte into the reserved page is bad",
              IsBadReadPtr((void*)mixed, 2 * TEST_PAGE + 1), TRUE);
    CHECK_DEC("IsBadWritePtr: starting in the middle, ending in the reserved page",
              IsBadWritePtr((void*)(mixed + 0x800), 2 * TEST_PAGE), TRUE);

    /* A hole in the middle: the page in between is probed too. */
    VirtualFree((void*)(mixed + TEST_PAGE), TEST_PAGE, MEM_DECOMMIT);
    CHECK_DEC("IsBadReadPtr: a decommitted page in the middle",
              IsBadReadPtr((void*)mixed, 2 * TEST_PAGE), TRUE);
}

static void test_guard_pages(void) {
    ULONG_PTR guard = region(TEST_PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE | PAGE_GUARD);
    CHECK_EQ("the page starts as a guard page", protection_of(guard), PAGE_READWRITE | PAGE_GUARD);
    CHECK_DEC("IsBadReadPtr(guard page)", IsBadReadPtr((void*)guard, 1), TRUE);
    CHECK_EQ("IsBadReadPtr disarms the guard page", protection_of(guard), PAGE_READWRITE);
    CHECK_DEC("IsBadReadPtr again: FALSE", IsBadReadPtr((void*)guard, 1), FALSE);

    ULONG_PTR write_guard =
        region(TEST_PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE | PAGE_GUARD);
    CHECK_DEC("IsBadWritePtr(guard page)", IsBadWritePtr((void*)write_guard, 4), TRUE);
    CHECK_EQ("IsBadWritePtr disarms the guard page", protection_of(write_guard), PAGE_READWRITE);
    CHECK_DEC("IsBadWritePtr again: FALSE", IsBadWritePtr((void*)write_guard, 4), FALSE);
}

static void test_last_error(void) {
    SetLastError(0x1234);
    IsBadReadPtr(NULL, 1);
    IsBadWritePtr((void*)TEST_SYSTEM_ADDRESS, 1);
    IsBadCodePtr(NULL);
    CHECK_EQ("the last error is left as it was", GetLastError(), 0x1234);
}

int start(void) {
    test_trivial_cases();
    test_protections();
    test_guard_pages();
    test_last_error();
    return test_done();
}
