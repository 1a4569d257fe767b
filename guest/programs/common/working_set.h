/* A page's working-set state as NtQueryVirtualMemory's MemoryWorkingSetExInformation gives
 * it, for programs that watch their pages leave and come back. */
#ifndef NTOY_COMMON_WORKING_SET_H
#define NTOY_COMMON_WORKING_SET_H

#include <windows.h>

#define WORKING_SET_EX_VALID 1ull
#define WORKING_SET_EX_LOCKED (1ull << 22)

typedef struct WorkingSetExEntry {
    ULONG_PTR VirtualAddress;
    ULONG_PTR Attributes;
} WorkingSetExEntry;

LONG NTAPI NtQueryVirtualMemory(HANDLE process, PVOID base, int information_class,
                                PVOID information, SIZE_T length, PSIZE_T returned);

/* The Attributes of the page at ADDRESS in this process (bit 0 Valid, bit 22 Locked), or 0
 * when the query fails. */
static inline ULONG_PTR working_set_attributes(const volatile void* address) {
    WorkingSetExEntry entry = {(ULONG_PTR)address, 0};
    if (NtQueryVirtualMemory((HANDLE)-1, NULL, 4 /* MemoryWorkingSetExInformation */, &entry,
                             sizeof(entry), NULL) != 0) {
        return 0;
    }
    return entry.Attributes;
}

#endif
