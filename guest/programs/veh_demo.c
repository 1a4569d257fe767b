/* A vectored exception handler that commits memory on demand: writes to a reserved but
 * uncommitted region fault, the handler commits the faulting page and returns
 * EXCEPTION_CONTINUE_EXECUTION, and the write is retried and succeeds. Exercises the whole
 * exception path: the kernel's delivery to KiUserExceptionDispatcher, the vectored handler
 * list, and NtContinue. Exits 0 when every write landed and was handled exactly once. */
#include "common/print.h"

#define DEMO_PAGE_SIZE 4096
#define DEMO_PAGES 8

static unsigned char* reserved_region;
static volatile LONG faults_handled;

static LONG WINAPI commit_on_demand(EXCEPTION_POINTERS* pointers) {
    const EXCEPTION_RECORD* record = pointers->ExceptionRecord;
    if (record->ExceptionCode != EXCEPTION_ACCESS_VIOLATION || record->NumberParameters < 2) {
        return EXCEPTION_CONTINUE_SEARCH;
    }
    /* ExceptionInformation: [0] = 0 read, 1 write, 8 execute; [1] = the address. */
    ULONG_PTR address = record->ExceptionInformation[1];
    ULONG_PTR start = (ULONG_PTR)reserved_region;
    if (address < start || address >= start + DEMO_PAGES * DEMO_PAGE_SIZE) {
        return EXCEPTION_CONTINUE_SEARCH;
    }
    void* page = (void*)(address & ~(ULONG_PTR)(DEMO_PAGE_SIZE - 1));
    if (VirtualAlloc(page, DEMO_PAGE_SIZE, MEM_COMMIT, PAGE_READWRITE) == NULL) {
        return EXCEPTION_CONTINUE_SEARCH;
    }
    ++faults_handled;
    return EXCEPTION_CONTINUE_EXECUTION;
}

int start(void) {
    reserved_region = VirtualAlloc(NULL, DEMO_PAGES * DEMO_PAGE_SIZE, MEM_RESERVE, PAGE_READWRITE);
    if (reserved_region == NULL) {
        print_last_error("VirtualAlloc(MEM_RESERVE) failed");
        return 1;
    }
    PVOID handler = AddVectoredExceptionHandler(1, commit_on_demand);
    if (handler == NULL) {
        print_str("AddVectoredExceptionHandler failed\n");
        return 1;
    }
    print_str("writing to ");
    print_dec(DEMO_PAGES);
    print_str(" reserved, uncommitted pages at ");
    print_hex((ULONG_PTR)reserved_region);
    print_str("\n");

    for (int page = 0; page < DEMO_PAGES; ++page) {
        volatile unsigned char* byte = reserved_region + page * DEMO_PAGE_SIZE + 123;
        *byte = (unsigned char)(0xA0 + page);
    }

    BOOL values_ok = TRUE;
    for (int page = 0; page < DEMO_PAGES; ++page) {
        volatile unsigned char* byte = reserved_region + page * DEMO_PAGE_SIZE + 123;
        if (*byte != (unsigned char)(0xA0 + page)) {
            values_ok = FALSE;
        }
    }
    print_str("the handler committed ");
    print_dec((unsigned long long)faults_handled);
    print_str(" pages on demand; every write resumed and ");
    print_str(values_ok ? "kept its value\n" : "BUG: some values were lost\n");

    ULONG removed = RemoveVectoredExceptionHandler(handler);
    ULONG removed_again = RemoveVectoredExceptionHandler(handler);
    print_str(removed && !removed_again ? "handler removed\n"
                                        : "BUG: RemoveVectoredExceptionHandler misbehaved\n");

    return values_ok && faults_handled == DEMO_PAGES && removed && !removed_again ? 0 : 1;
}
