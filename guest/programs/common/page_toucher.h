/* Commits a fresh region of N pages and touches each one: the core of touch_pages and
 * fault_storm. Every first write to a page is a demand-zero page fault in the kernel. */
#ifndef NTOY_PROGRAMS_COMMON_PAGE_TOUCHER_H
#define NTOY_PROGRAMS_COMMON_PAGE_TOUCHER_H

#include <windows.h>

#define PAGE_TOUCHER_PAGE_SIZE 4096

/* A value that differs between neighbouring pages, so a page mapped twice shows up. */
static inline unsigned char page_toucher_pattern(unsigned long long page) {
    return (unsigned char)(page * 131 + 7);
}

typedef enum PageTouchResult {
    PAGE_TOUCH_OK,
    PAGE_TOUCH_ALLOCATION_FAILED,
    PAGE_TOUCH_NOT_ZERO, /* a fresh page did not read as zero */
    PAGE_TOUCH_MISMATCH, /* a page did not keep the byte written to it */
} PageTouchResult;

/* Allocates COUNT pages, writes one byte to each in order (checking it read zero first),
 * then reads every page back. On failure *FAILED_PAGE is the page index concerned. */
static inline PageTouchResult touch_fresh_pages(unsigned long long count,
                                                unsigned long long* failed_page) {
    *failed_page = 0;
    volatile unsigned char* region = VirtualAlloc(NULL, count * PAGE_TOUCHER_PAGE_SIZE,
                                                  MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (region == NULL) {
        return PAGE_TOUCH_ALLOCATION_FAILED;
    }
    for (unsigned long long page = 0; page < count; ++page) {
        volatile unsigned char* byte = region + page * PAGE_TOUCHER_PAGE_SIZE + page % 64;
        if (*byte != 0) {
            *failed_page = page;
            return PAGE_TOUCH_NOT_ZERO;
        }
        *byte = page_toucher_pattern(page);
    }
    for (unsigned long long page = 0; page < count; ++page) {
        volatile unsigned char* byte = region + page * PAGE_TOUCHER_PAGE_SIZE + page % 64;
        if (*byte != page_toucher_pattern(page)) {
            *failed_page = page;
            return PAGE_TOUCH_MISMATCH;
        }
    }
    VirtualFree((LPVOID)region, 0, MEM_RELEASE);
    return PAGE_TOUCH_OK;
}

#endif
