/* The loader's memory: module records, name buffers, TLS vectors and blocks. Small blocks
 * come from per-size free lists carved out of chunks: first one in ntdll's own data, which
 * holds what a process with a handful of modules needs without a system call or a page
 * fault, then 64 KB allocations. Large blocks are allocations of their own. Freed small
 * blocks go back to their list (never to the system: modules come and go in small numbers).
 * Callers hold the loader lock. */
#include "loader.h"
#include "ntoy/ntdll_exports.h"

/* Before each block: its size class, or the size of a large block. 16 bytes keep the block
 * itself 16-byte aligned. */
typedef struct BlockHeader {
    SIZE_T size_class;
    SIZE_T large_size;
} BlockHeader;

typedef struct FreeBlock {
    struct FreeBlock* next;
} FreeBlock;

#define SMALLEST_BLOCK 32 /* header included */
#define SIZE_CLASSES 8    /* 32 … 4096 bytes */
#define LARGE_CLASS SIZE_CLASSES
#define CHUNK_BYTES 0x10000

static FreeBlock* free_lists[SIZE_CLASSES];
static __attribute__((aligned(16))) BYTE first_chunk[0x3000];
static BYTE* chunk_next = first_chunk;
static BYTE* chunk_end = first_chunk + sizeof(first_chunk);

static PVOID allocate_pages(SIZE_T* size) {
    PVOID base = NULL;
    NTSTATUS status = NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, size,
                                              MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    return NT_SUCCESS(status) ? base : NULL;
}

PVOID ldrp_allocate(SIZE_T size) {
    if (size > ~(SIZE_T)0 - sizeof(BlockHeader) - CHUNK_BYTES) {
        return NULL;
    }
    SIZE_T total = size + sizeof(BlockHeader);
    BlockHeader* header;
    if (total > (SIZE_T)SMALLEST_BLOCK << (SIZE_CLASSES - 1)) {
        SIZE_T bytes = total;
        header = allocate_pages(&bytes);
        if (header == NULL) {
            return NULL;
        }
        header->size_class = LARGE_CLASS;
        header->large_size = bytes;
        return header + 1; /* fresh pages are zero */
    }
    SIZE_T size_class = 0;
    while (((SIZE_T)SMALLEST_BLOCK << size_class) < total) {
        ++size_class;
    }
    SIZE_T block_bytes = (SIZE_T)SMALLEST_BLOCK << size_class;
    if (free_lists[size_class] != NULL) {
        header = (BlockHeader*)free_lists[size_class];
        free_lists[size_class] = free_lists[size_class]->next;
    } else {
        if ((SIZE_T)(chunk_end - chunk_next) < block_bytes) {
            SIZE_T bytes = CHUNK_BYTES;
            BYTE* chunk = allocate_pages(&bytes);
            if (chunk == NULL) {
                return NULL;
            }
            chunk_next = chunk;
            chunk_end = chunk + bytes;
        }
        header = (BlockHeader*)chunk_next;
        chunk_next += block_bytes;
    }
    memset(header, 0, block_bytes);
    header->size_class = size_class;
    return header + 1;
}

VOID ldrp_free(PVOID block) {
    if (block == NULL) {
        return;
    }
    BlockHeader* header = (BlockHeader*)block - 1;
    if (header->size_class == LARGE_CLASS) {
        PVOID base = header;
        SIZE_T size = 0;
        NtFreeVirtualMemory(NtCurrentProcess(), &base, &size, MEM_RELEASE);
        return;
    }
    SIZE_T size_class = header->size_class;
    FreeBlock* freed = (FreeBlock*)header; /* the link overwrites the header */
    freed->next = free_lists[size_class];
    free_lists[size_class] = freed;
}
