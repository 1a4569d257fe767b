/* A qword of the TEB through GS, as __readgsqword reads it (gcc 12 warns about
 * mingw-w64's __readgsqword under -Warray-bounds). TEB offsets are Windows' x64 ones:
 * 0x30 Self, 0x58 ThreadLocalStoragePointer, 0x60 ProcessEnvironmentBlock. */
#ifndef NTOY_TESTS_FRAMEWORK_NTOY_GS_H
#define NTOY_TESTS_FRAMEWORK_NTOY_GS_H

#include <windows.h>

static inline ULONG_PTR ntoy_read_gs(ULONG_PTR offset) {
    ULONG_PTR value;
    __asm__ volatile("movq %%gs:(%1), %0" : "=r"(value) : "r"(offset));
    return value;
}

#endif
