/* Access to the current thread's TEB and the process's PEB through the GS base, the way
 * Windows x64 code reaches them. Field offsets come from process_layout.h, shared with the
 * kernel that builds these blocks. Guest-only. */
#ifndef NTOY_TEB_H
#define NTOY_TEB_H

#include "ntoy/nt_types.h"
#include "ntoy/process_layout.h"

/* TEB fields the runtime uses that the kernel never touches, so process_layout.h need not
 * know them (64-bit Windows offsets). */
#define NTOY_TEB_THREAD_LOCAL_STORAGE_POINTER 0x58
#define NTOY_TEB_LAST_STATUS_VALUE 0x1250
#define NTOY_TEB_TLS_SLOTS 0x1480           /* PVOID[64]: TlsGetValue's first 64 slots */
#define NTOY_TEB_TLS_EXPANSION_SLOTS 0x1780 /* PVOID*: 1024 more, allocated on first use */

/* The PEB's TLS-slot bitmaps (kernel32's TlsAlloc), where Windows keeps them. */
#define NTOY_PEB_TLS_BITMAP 0x78                 /* PRTL_BITMAP over TlsBitmapBits */
#define NTOY_PEB_TLS_BITMAP_BITS 0x80            /* ULONG[2] */
#define NTOY_PEB_TLS_EXPANSION_BITMAP 0x238      /* PRTL_BITMAP over TlsExpansionBitmapBits */
#define NTOY_PEB_TLS_EXPANSION_BITMAP_BITS 0x240 /* ULONG[32] */

#define NTOY_TLS_MINIMUM_AVAILABLE 64 /* TLS_MINIMUM_AVAILABLE: slots in the TEB */
#define NTOY_TLS_EXPANSION_SLOTS 1024 /* TLS_EXPANSION_SLOTS: slots behind the pointer */

/* An lvalue of TYPE at OFFSET bytes into the block at BASE. */
#define NTOY_FIELD(base, offset, type) (*(type*)((BYTE*)(base) + (offset)))

static inline BYTE* ntoy_current_teb(void) {
    BYTE* teb;
    __asm__("movq %%gs:%c1, %0" : "=r"(teb) : "i"(NTOY_TEB_SELF));
    return teb;
}

/* The current thread's id, from the TEB's CLIENT_ID (process id, then thread id). */
static inline ULONG ntoy_current_thread_id(void) {
    ULONG id; /* one load: the heap's fast paths take it on every call */
    __asm__("movl %%gs:%c1, %0" : "=r"(id) : "i"(NTOY_TEB_CLIENT_ID + sizeof(HANDLE)));
    return id;
}

static inline BYTE* ntoy_current_peb(void) {
    return NTOY_FIELD(ntoy_current_teb(), NTOY_TEB_PEB, BYTE*);
}

/* The RTL_USER_PROCESS_PARAMETERS block of the current process. */
static inline BYTE* ntoy_process_parameters(void) {
    return NTOY_FIELD(ntoy_current_peb(), NTOY_PEB_PROCESS_PARAMETERS, BYTE*);
}

#endif
