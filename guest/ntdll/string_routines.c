/* The C library memory and string routines ntdll exports, which compiled guest code (our
 * kernel32 included) may call for block copies and clears. This file is built with
 * -fno-builtin and -fno-tree-loop-distribute-patterns so gcc does not compile these loops back
 * into calls to themselves. The rep-string forms are short and fast on current processors. */
#include "ntoy/ntdll_exports.h"

void* memset(void* destination, int value, size_t count) {
    void* cursor = destination;
    __asm__ volatile("rep stosb" : "+D"(cursor), "+c"(count) : "a"(value) : "memory");
    return destination;
}

void* memcpy(void* destination, const void* source, size_t count) {
    void* cursor = destination;
    __asm__ volatile("rep movsb" : "+D"(cursor), "+S"(source), "+c"(count) : : "memory");
    return destination;
}

void* memmove(void* destination, const void* source, size_t count) {
    unsigned char* to = destination;
    const unsigned char* from = source;
    if (to <= from || to >= from + count) {
        /* No overlap that a forward copy would clobber. */
        return memcpy(destination, source, count);
    }
    /* The destination starts inside the source: copy backwards from the last byte. */
    unsigned char* to_last = to + count - 1;
    const unsigned char* from_last = from + count - 1;
    __asm__ volatile("std\n\trep movsb\n\tcld"
                     : "+D"(to_last), "+S"(from_last), "+c"(count)
                     :
                     : "memory");
    return destination;
}

int memcmp(const void* left, const void* right, size_t count) {
    const unsigned char* a = left;
    const unsigned char* b = right;
    for (size_t i = 0; i < count; ++i) {
        if (a[i] != b[i]) {
            return a[i] < b[i] ? -1 : 1;
        }
    }
    return 0;
}

size_t strlen(const char* string) {
    const char* end = string;
    while (*end != '\0') {
        ++end;
    }
    return (size_t)(end - string);
}
