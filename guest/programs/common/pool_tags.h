/* SYSTEM_POOLTAG_INFORMATION as NtQuerySystemInformation(SystemPoolTagInformation) returns it
 * on x64: a ULONG count, then from offset 8 one SYSTEM_POOLTAG per tag. */
#ifndef NTOY_PROGRAMS_COMMON_POOL_TAGS_H
#define NTOY_PROGRAMS_COMMON_POOL_TAGS_H

#include <windows.h>

#define SYSTEM_POOL_TAG_INFORMATION 22

typedef struct PoolTag {
    ULONG Tag; /* four characters, the first in the low byte */
    ULONG PagedAllocs;
    ULONG PagedFrees;
    SIZE_T PagedUsed;
    ULONG NonPagedAllocs;
    ULONG NonPagedFrees;
    SIZE_T NonPagedUsed;
} PoolTag;
typedef struct PoolTagInformation {
    ULONG Count;
    PoolTag TagInfo[1];
} PoolTagInformation;
_Static_assert(sizeof(PoolTag) == 0x28, "SYSTEM_POOLTAG");
_Static_assert(__builtin_offsetof(PoolTagInformation, TagInfo) == 8, "TagInfo");

NTSTATUS NTAPI NtQuerySystemInformation(ULONG info_class, PVOID buffer, ULONG length,
                                        PULONG return_length);

#endif
