/* Static TLS for an image built without a C runtime: the TLS directory mingw-w64's CRT
 * (tlssup.c) would provide, built the same way. GNU ld points the image's TLS directory at
 * the symbol _tls_used; the template is every .tls$* section between tls_start (.tls$AAA)
 * and tls_end (.tls$ZZZ); the callbacks are the .CRT$XLB … .CRT$XLY entries between two
 * NULLs. Include this in one source file of the image.
 *
 *   NTOY_TLS_VARIABLE int counter = 5;       a variable each thread has its own copy of
 *   NTOY_TLS(counter)                         this thread's copy (an lvalue)
 *   NTOY_TLS_CALLBACK(name) = function;      a TLS callback
 *
 * NTOY_TLS_ZERO_FILL, if defined before inclusion, is the directory's SizeOfZeroFill. */
#ifndef NTOY_TESTS_FRAMEWORK_NTOY_TLS_H
#define NTOY_TESTS_FRAMEWORK_NTOY_TLS_H

#include "ntoy_gs.h"

#ifndef NTOY_TLS_ZERO_FILL
#define NTOY_TLS_ZERO_FILL 0
#endif

ULONG _tls_index = 0;
__attribute__((section(".tls$AAA"), aligned(16))) ULONGLONG ntoy_tls_start = 0;
__attribute__((section(".tls$ZZZ"))) char ntoy_tls_end = 0;
__attribute__((section(".CRT$XLA"))) const PIMAGE_TLS_CALLBACK ntoy_tls_callbacks_begin = 0;
__attribute__((section(".CRT$XLZ"))) const PIMAGE_TLS_CALLBACK ntoy_tls_callbacks_end = 0;

const IMAGE_TLS_DIRECTORY _tls_used = {
    (ULONG_PTR)&ntoy_tls_start, (ULONG_PTR)&ntoy_tls_end,
    (ULONG_PTR)&_tls_index,     (ULONG_PTR)(&ntoy_tls_callbacks_begin + 1),
    NTOY_TLS_ZERO_FILL,         0,
};

#define NTOY_TLS_VARIABLE __attribute__((section(".tls$BBB")))
#define NTOY_TLS_CALLBACK(name) \
    __attribute__((section(".CRT$XLB"), used)) const PIMAGE_TLS_CALLBACK name

/* TEB->ThreadLocalStoragePointer: this thread's block of each module with TLS. */
static inline char** ntoy_tls_vector(void) {
    return (char**)ntoy_read_gs(0x58);
}

/* This thread's block of this image, and the offset of VAR in it. */
#define NTOY_TLS_BLOCK() (ntoy_tls_vector()[_tls_index])
#define NTOY_TLS_OFFSET(var) ((char*)&(var) - (char*)&ntoy_tls_start)
#define NTOY_TLS(var) (*(__typeof__(var)*)(NTOY_TLS_BLOCK() + NTOY_TLS_OFFSET(var)))
/* Bytes of the template (the zero fill follows it in each block). */
#define NTOY_TLS_TEMPLATE_SIZE ((SIZE_T)((char*)&ntoy_tls_end - (char*)&ntoy_tls_start))

#endif
