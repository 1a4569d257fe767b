/* The Win32 types and constants of kernel32's heap, critical-section and exception functions
 * (heap.c), with the Windows SDK's layouts and values. */
#ifndef NTOY_KERNEL32_HEAP_TYPES_H
#define NTOY_KERNEL32_HEAP_TYPES_H

#include "ntoy/rtl_heap.h"

typedef RTL_CRITICAL_SECTION CRITICAL_SECTION, *PCRITICAL_SECTION, *LPCRITICAL_SECTION;
typedef HANDLE HLOCAL;
typedef HANDLE HGLOBAL;

typedef struct _PROCESS_HEAP_ENTRY {
    PVOID lpData;
    DWORD cbData;
    BYTE cbOverhead;
    BYTE iRegionIndex;
    WORD wFlags;
    union {
        struct {
            HANDLE hMem;
            DWORD dwReserved[3];
        } Block;
        struct {
            DWORD dwCommittedSize;
            DWORD dwUnCommittedSize;
            LPVOID lpFirstBlock;
            LPVOID lpLastBlock;
        } Region;
    } u;
} PROCESS_HEAP_ENTRY, *LPPROCESS_HEAP_ENTRY, *PPROCESS_HEAP_ENTRY;
_Static_assert(sizeof(PROCESS_HEAP_ENTRY) == 0x28, "PROCESS_HEAP_ENTRY size");
_Static_assert(offsetof(PROCESS_HEAP_ENTRY, u) == 0x10, "PROCESS_HEAP_ENTRY union");

#define PROCESS_HEAP_REGION 0x1
#define PROCESS_HEAP_UNCOMMITTED_RANGE 0x2
#define PROCESS_HEAP_ENTRY_BUSY 0x4

#define LMEM_FIXED 0x0000
#define LMEM_MOVEABLE 0x0002
#define LMEM_ZEROINIT 0x0040
#define LMEM_MODIFY 0x0080
#define LMEM_VALID_FLAGS 0x0F72
#define GMEM_FIXED 0x0000
#define GMEM_MOVEABLE 0x0002
#define GMEM_ZEROINIT 0x0040
#define GMEM_MODIFY 0x0080
#define GMEM_VALID_FLAGS 0x7F72

#endif
