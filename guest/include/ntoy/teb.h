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

/* An lvalue of TYPE at OFFSET bytes into the block at BASE. */
#define NTOY_FIELD(base, offset, type) (*(type*)((BYTE*)(base) + (offset)))

static inline BYTE* ntoy_current_teb(void) {
    BYTE* teb;
    __asm__("movq %%gs:%c1, %0" : "=r"(teb) : "i"(NTOY_TEB_SELF));
    return teb;
}

static inline BYTE* ntoy_current_peb(void) {
    return NTOY_FIELD(ntoy_current_teb(), NTOY_TEB_PEB, BYTE*);
}

/* The RTL_USER_PROCESS_PARAMETERS block of the current process. */
static inline BYTE* ntoy_process_parameters(void) {
    return NTOY_FIELD(ntoy_current_peb(), NTOY_PEB_PROCESS_PARAMETERS, BYTE*);
}

#endif
