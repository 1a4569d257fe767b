/* The life of one page (docs/paging.md, the README's tour): committed and untouched, touched,
 * trimmed and soft-faulted back, written to the paging file and repurposed, then read back by
 * a hard fault with its data intact. The page is at 0x10000000; each stage is a function of
 * its own, for a debugger's breakpoint (`b page_life!stage_paged_out`) and `!pte 10000000`.
 *
 * Run it on a small machine, so that the memory it sweeps pushes the page out:
 *   ntoy run --ram 16M --pagefile 64M images/page_life.exe [MEGABYTES (default 32)] */
#include <windows.h>

#include <psapi.h>

#include "common/command_line.h"
#include "common/print.h"
#include "common/working_set.h"

#define PAGE 4096u
#define THE_PAGE ((volatile unsigned char*)0x10000000)

static void say(const char* stage) {
    print_str(stage);
    print_str((working_set_attributes(THE_PAGE) & WORKING_SET_EX_VALID) != 0
                  ? " [in the working set]\n"
                  : " [not in the working set]\n");
}

/* The first read after stage 5: a hard fault, and a nested one if the page's table was paged
 * out too (`b page_life!intact`, then `break-on table-fault`). */
__attribute__((noinline)) static BOOL intact(void) {
    for (unsigned i = 0; i < PAGE; ++i)
        if (THE_PAGE[i] != (unsigned char)(i * 7 + 1))
            return FALSE;
    return TRUE;
}

/* The stages, each a place to stop. */
__attribute__((noinline)) static void stage_committed(void) {
    say("1. committed, never touched: no frame, a demand-zero PTE");
}
__attribute__((noinline)) static void stage_valid(void) {
    say("2. written: a demand-zero fault gave it a frame, its PTE is valid");
}
__attribute__((noinline)) static void stage_trimmed(void) {
    say("3. working set emptied: a transition PTE, the frame on the Modified list");
}
__attribute__((noinline)) static void stage_soft(void) {
    say("4. read: a soft fault brought the same frame back, no I/O");
}
__attribute__((noinline)) static void stage_paged_out(void) {
    say("5. other memory swept: the page was written to the paging file and its frame reused:"
        " a pagefile PTE");
}
__attribute__((noinline)) static void stage_back(BOOL ok) {
    say(ok ? "6. read: a hard fault read it back, every byte intact"
           : "6. read: a hard fault read it back, but the bytes differ");
}

int start(void) {
    unsigned long long megabytes = 32;
    (void)get_number_argument(1, 32, &megabytes);
    if (VirtualAlloc((void*)THE_PAGE, PAGE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) == NULL) {
        print_last_error("VirtualAlloc of the page at 0x10000000");
        return 1;
    }
    stage_committed();
    for (unsigned i = 0; i < PAGE; ++i)
        THE_PAGE[i] = (unsigned char)(i * 7 + 1);
    stage_valid();
    K32EmptyWorkingSet(GetCurrentProcess());
    stage_trimmed();
    (void)THE_PAGE[0];
    stage_soft();
    K32EmptyWorkingSet(GetCurrentProcess());
    const SIZE_T bytes = (SIZE_T)megabytes << 20;
    volatile unsigned char* other =
        VirtualAlloc(NULL, bytes, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (other == NULL) {
        print_last_error("VirtualAlloc of the memory to sweep");
        return 1;
    }
    for (SIZE_T off = 0; off < bytes; off += PAGE)
        other[off] = 1;
    stage_paged_out();
    const BOOL ok = intact();
    stage_back(ok);
    return ok ? 0 : 2;
}
