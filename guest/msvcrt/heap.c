/* malloc and friends straight onto the process heap (HeapAlloc on GetProcessHeap()), as
 * msvcrt.dll on current Windows does: a block msvcrt returns is the heap's block, so _msize
 * is HeapSize and the heap's own checks see the program's mistakes. Failures set errno to
 * ENOMEM. */
#include "msvcrt_private.h"

/* msvcrt's _HEAP_MAXREQ: larger requests fail before reaching the heap. */
#define HEAP_MAXREQ 0xFFFFFFFFFFFFFFE0ull

static HANDLE crt_heap(void) {
    return GetProcessHeap();
}

void* malloc(size_t size) {
    if (size > HEAP_MAXREQ) {
        crt_errno = ENOMEM;
        return NULL;
    }
    void* block = HeapAlloc(crt_heap(), 0, size);
    if (block == NULL) {
        crt_errno = ENOMEM;
    }
    return block;
}

void* calloc(size_t count, size_t size) {
    if (size != 0 && count > HEAP_MAXREQ / size) {
        crt_errno = ENOMEM;
        return NULL;
    }
    void* block = HeapAlloc(crt_heap(), HEAP_ZERO_MEMORY, count * size);
    if (block == NULL) {
        crt_errno = ENOMEM;
    }
    return block;
}

void free(void* block) {
    if (block != NULL) {
        HeapFree(crt_heap(), 0, block);
    }
}

/* realloc(NULL, n) allocates; realloc(p, 0) frees and returns NULL, as msvcrt. */
void* realloc(void* block, size_t size) {
    if (block == NULL) {
        return malloc(size);
    }
    if (size == 0) {
        free(block);
        return NULL;
    }
    if (size > HEAP_MAXREQ) {
        crt_errno = ENOMEM;
        return NULL;
    }
    void* grown = HeapReAlloc(crt_heap(), 0, block, size);
    if (grown == NULL) {
        crt_errno = ENOMEM;
    }
    return grown;
}

size_t _msize(void* block) {
    if (block == NULL) {
        crt_errno = EINVAL;
        return (size_t)-1;
    }
    return HeapSize(crt_heap(), 0, block);
}

intptr_t _get_heap_handle(void) {
    return (intptr_t)crt_heap();
}

/* An aligned block keeps the heap block's address in the pointer-sized slot just before it.
 * ALIGNMENT must be a power of two; below a pointer's size it is raised to one. */
void* _aligned_malloc(size_t size, size_t alignment) {
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
        crt_errno = EINVAL;
        return NULL;
    }
    if (alignment < sizeof(void*)) {
        alignment = sizeof(void*);
    }
    if (size > HEAP_MAXREQ - alignment - sizeof(void*)) {
        crt_errno = ENOMEM;
        return NULL;
    }
    char* raw = malloc(size + alignment + sizeof(void*));
    if (raw == NULL) {
        return NULL;
    }
    uintptr_t aligned =
        ((uintptr_t)raw + sizeof(void*) + alignment - 1) & ~(uintptr_t)(alignment - 1);
    ((void**)aligned)[-1] = raw;
    return (void*)aligned;
}

void _aligned_free(void* block) {
    if (block != NULL) {
        free(((void**)block)[-1]);
    }
}
