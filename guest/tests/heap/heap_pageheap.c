/* The full page heap (issue 11), run with `ntoy run --pageheap` (on Windows: gflags /p /enable
 * heap_pageheap.exe /full): a block ends at a page boundary before memory that is reserved and
 * not committed, so a one-byte overrun faults at the instruction that writes it; a freed
 * block's pages are decommitted, so a read after the free faults at the instruction that
 * reads. A vectored handler checks the access violation's address, kind and RIP, then skips
 * the instruction.
 *
 *     heap_pageheap            the checks
 *     heap_pageheap crash      an unhandled one-byte overrun (the process dies of it) */
#include "../framework/ntoy_gs.h"
#include "../framework/ntoy_test.h"
#include "../threads/spawn.h"

#define FLG_HEAP_PAGE_ALLOCS 0x02000000

extern const char overrun_at[], overrun_resume[], reread_at[], reread_resume[];

/* One instruction each, with labels around it, so the handler knows where the fault must be. */
__attribute__((noinline)) static void write_byte(volatile BYTE* p) {
    __asm__ volatile(
        ".globl overrun_at\n"
        ".globl overrun_resume\n"
        "overrun_at:\n\t"
        "movb $0x41, (%0)\n"
        "overrun_resume:\n"
        :
        : "r"(p)
        : "memory");
}

__attribute__((noinline)) static BYTE read_byte(volatile BYTE* p) {
    ULONG value = 0;
    __asm__ volatile(
        ".globl reread_at\n"
        ".globl reread_resume\n"
        "reread_at:\n\t"
        "movzbl (%1), %0\n"
        "reread_resume:\n"
        : "+r"(value)
        : "r"(p)
        : "memory");
    return (BYTE)value;
}

static volatile ULONG_PTR fault_kind = 99;
static volatile ULONG_PTR fault_address;
static volatile ULONG_PTR fault_rip;

static LONG WINAPI on_fault(EXCEPTION_POINTERS* pointers) {
    if (pointers->ExceptionRecord->ExceptionCode != STATUS_ACCESS_VIOLATION) {
        return EXCEPTION_CONTINUE_SEARCH;
    }
    fault_kind = pointers->ExceptionRecord->ExceptionInformation[0];
    fault_address = pointers->ExceptionRecord->ExceptionInformation[1];
    fault_rip = pointers->ContextRecord->Rip;
    if (fault_rip == (ULONG_PTR)overrun_at) {
        pointers->ContextRecord->Rip = (ULONG_PTR)overrun_resume;
    } else if (fault_rip == (ULONG_PTR)reread_at) {
        pointers->ContextRecord->Rip = (ULONG_PTR)reread_resume;
    } else {
        return EXCEPTION_CONTINUE_SEARCH;
    }
    return EXCEPTION_CONTINUE_EXECUTION;
}

int start(void) {
    HANDLE heap = GetProcessHeap();
    if (argument_is(1, "crash")) {
        BYTE* block = HeapAlloc(heap, 0, 32);
        write_byte(block + 32);
        return 0;
    }
    BYTE* peb = (BYTE*)ntoy_read_gs(0x60);
    CHECK_TRUE("PEB->NtGlobalFlag has FLG_HEAP_PAGE_ALLOCS",
               (*(ULONG*)(peb + 0xBC) & FLG_HEAP_PAGE_ALLOCS) != 0);

    BYTE* block = HeapAlloc(heap, 0, 32);
    if (!CHECK_NE("HeapAlloc(32)", (ULONG_PTR)block, 0)) {
        return test_done();
    }
    CHECK_EQ("the block ends at a page boundary", ((ULONG_PTR)block + 32) & 0xFFF, 0);
    MEMORY_BASIC_INFORMATION info;
    VirtualQuery(block + 32, &info, sizeof(info));
    CHECK_EQ("the page after it is reserved, not committed", info.State, MEM_RESERVE);
    block[31] = 7; /* the last byte is the caller's */

    PVOID handler = AddVectoredExceptionHandler(1, on_fault);
    write_byte(block + 32);
    CHECK_DEC("a one-byte overrun faults: a write", fault_kind, 1);
    CHECK_EQ("  at the byte past the end", fault_address, (ULONG_PTR)block + 32);
    CHECK_EQ("  at the writing instruction", fault_rip, (ULONG_PTR)overrun_at);

    BYTE* small = HeapAlloc(heap, HEAP_ZERO_MEMORY, 13);
    CHECK_EQ("a 13-byte block ends where its 16-byte aligned size does",
             ((ULONG_PTR)small + 16) & 0xFFF, 0);
    CHECK_DEC("HeapSize(13-byte block)", HeapSize(heap, 0, small), 13);
    CHECK_TRUE("HeapValidate(13-byte block)", HeapValidate(heap, 0, small));

    HeapFree(heap, 0, block);
    VirtualQuery(block, &info, sizeof(info));
    CHECK_EQ("a freed block's pages are decommitted", info.State, MEM_RESERVE);
    fault_kind = 99;
    read_byte(block);
    CHECK_DEC("a read after free faults: a read", fault_kind, 0);
    CHECK_EQ("  at the freed byte", fault_address, (ULONG_PTR)block);
    CHECK_EQ("  at the reading instruction", fault_rip, (ULONG_PTR)reread_at);
    RemoveVectoredExceptionHandler(handler);

    BYTE* grown = HeapReAlloc(heap, 0, small, 100);
    CHECK_TRUE("HeapReAlloc under the page heap keeps the contents",
               grown != NULL && grown[0] == 0 && grown[12] == 0);
    CHECK_EQ("  and the new block ends at a page boundary", ((ULONG_PTR)grown + 112) & 0xFFF, 0);
    HeapFree(heap, 0, grown);
    return test_done();
}
