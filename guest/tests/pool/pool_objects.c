/* The kernel's objects live in pool (issue 13): their bytes show under their tags in
 * SystemPoolTagInformation, rise with the objects and fall back when they go, a process's
 * objects go back when it ends, and pool quota bounds what a process may create. Each check
 * is one line; the exit status is the number that failed. */
#include "../framework/ntoy_nt.h"
#include "../framework/ntoy_test.h"
#include "../threads/spawn.h"
#include "common/pool_tags.h"

#define PROGRAM "pool_objects.exe"
#define EVENTS 10000
#define CHILD_EVENTS 1000
#define PROCESS_QUOTA_LIMITS 1
#define PROCESS_VM_COUNTERS 3
#define NTS_QUOTA_EXCEEDED 0xC0000044u
#define EVENT_BYTES 0x80 /* pool header, quota info, OBJECT_HEADER, KEVENT */

NTSTATUS NTAPI NtQueryInformationProcess(HANDLE process, ULONG info_class, PVOID buffer,
                                         ULONG length, PULONG return_length);
NTSTATUS NTAPI NtSetInformationProcess(HANDLE process, ULONG info_class, PVOID buffer,
                                       ULONG length);
NTSTATUS NTAPI NtCreateEvent(PHANDLE event, ACCESS_MASK access, PVOID attributes, ULONG type,
                             BOOLEAN initial);
NTSTATUS NTAPI NtClose(HANDLE handle);

typedef struct Usage {
    LONGLONG outstanding; /* allocations less frees */
    SIZE_T bytes;
} Usage;

static BYTE tag_buffer[64 * 1024];

/* The nonpaged usage of `tag` now. */
static Usage usage_of(ULONG tag) {
    Usage u = {-1, 0};
    ULONG needed = 0;
    if (NtQuerySystemInformation(SYSTEM_POOL_TAG_INFORMATION, tag_buffer, sizeof(tag_buffer),
                                 &needed) != NTS_SUCCESS) {
        return u;
    }
    ULONG count = *(ULONG*)tag_buffer;
    const PoolTag* tags = (const PoolTag*)(tag_buffer + 8);
    u.outstanding = 0;
    for (ULONG i = 0; i < count; ++i) {
        if (tags[i].Tag == tag) {
            u.outstanding = (LONGLONG)tags[i].NonPagedAllocs - tags[i].NonPagedFrees;
            u.bytes = tags[i].NonPagedUsed;
        }
    }
    return u;
}

static HANDLE events[EVENTS];

static DWORD WINAPI idle_thread(LPVOID unused) {
    (void)unused;
    return 0;
}

static SIZE_T nonpaged_quota_usage(void) {
    SIZE_T counters[11] = {0};
    NtQueryInformationProcess(NT_CURRENT_PROCESS, PROCESS_VM_COUNTERS, counters, sizeof(counters),
                              NULL);
    return counters[8]; /* QuotaNonPagedPoolUsage */
}

static void set_nonpaged_limit(SIZE_T limit) {
    SIZE_T quota[6] = {0, limit, 0, 0, 0, 0}; /* QUOTA_LIMITS: paged, nonpaged, ... */
    NtSetInformationProcess(NT_CURRENT_PROCESS, PROCESS_QUOTA_LIMITS, quota, sizeof(quota));
}

int start(void) {
    const ULONG even = 'E' | 'v' << 8 | 'e' << 16 | 'n' << 24;
    if (argument_is(1, "sleeper")) {
        Sleep(INFINITE); /* until its parent ends it */
        return 0;
    }
    if (argument_is(1, "child")) {
        for (int i = 0; i < CHILD_EVENTS; ++i) {
            CreateEventW(NULL, TRUE, FALSE, NULL); /* never closed: its end frees them */
        }
        return 0;
    }
    ULONG needed = 0;
    CHECK_STATUS("a small buffer is a length mismatch",
                 NtQuerySystemInformation(SYSTEM_POOL_TAG_INFORMATION, tag_buffer, 8, &needed),
                 NTS_INFO_LENGTH_MISMATCH);
    CHECK_TRUE("which says how much is needed", needed > 8 && (needed - 8) % 0x28 == 0);

    const Usage before = usage_of(even);
    CHECK_TRUE("the tracker table has the tag 'Even'", before.outstanding >= 0);
    int created = 0;
    for (int i = 0; i < EVENTS; ++i) {
        events[i] = CreateEventW(NULL, TRUE, FALSE, NULL);
        created += events[i] != NULL;
    }
    CHECK_DEC("10000 events were created", created, EVENTS);
    const Usage during = usage_of(even);
    CHECK_DEC("'Even' has 10000 more allocations", during.outstanding - before.outstanding, EVENTS);
    CHECK_DEC("of 0x80 bytes each", during.bytes - before.bytes, (SIZE_T)EVENTS * EVENT_BYTES);
    CHECK_TRUE("charged to this process's nonpaged quota",
               nonpaged_quota_usage() >= (SIZE_T)EVENTS * EVENT_BYTES);
    for (int i = 0; i < EVENTS; ++i) {
        CloseHandle(events[i]);
    }
    const Usage after = usage_of(even);
    CHECK_DEC("closing them gives every allocation back", after.outstanding, before.outstanding);
    CHECK_DEC("and every byte", after.bytes, before.bytes);

    /* Each allocation's VAD is a node in pool ('VadS'). */
    const ULONG vads = 'V' | 'a' << 8 | 'd' << 16 | 'S' << 24;
    const Usage vads_before = usage_of(vads);
    static void* regions[100];
    for (int i = 0; i < 100; ++i) {
        regions[i] = VirtualAlloc(NULL, 65536, MEM_RESERVE, PAGE_READWRITE);
    }
    CHECK_DEC("100 reservations are 100 more 'VadS' nodes",
              usage_of(vads).outstanding - vads_before.outstanding, 100);
    for (int i = 0; i < 100; ++i) {
        VirtualFree(regions[i], 0, MEM_RELEASE);
    }
    CHECK_DEC("and releasing them gives them back", usage_of(vads).outstanding,
              vads_before.outstanding);

    /* A child's objects go when it ends, closed or not. */
    CommandLine line;
    line_start(&line, PROGRAM, "child");
    PROCESS_INFORMATION child;
    if (CHECK_TRUE("a child starts", spawn(&line, 0, NULL, NULL, &child))) {
        WaitForSingleObject(child.hProcess, PATIENCE);
        const Usage ended = usage_of(even);
        CHECK_DEC("its 1000 events went with it", ended.outstanding, before.outstanding);
        CloseHandle(child.hThread);
        CloseHandle(child.hProcess);
    }

    /* Quota: a limit a little above what is charged now, then events until it is reached. */
    set_nonpaged_limit(nonpaged_quota_usage() + 64 * 1024);
    NTSTATUS status = 0;
    int made = 0;
    while (made < EVENTS) {
        status = NtCreateEvent(&events[made], EVENT_ALL_ACCESS, NULL, 0, FALSE);
        if (status != NTS_SUCCESS) {
            break;
        }
        ++made;
    }
    CHECK_STATUS("creating events ends in STATUS_QUOTA_EXCEEDED", (ULONG)status,
                 NTS_QUOTA_EXCEEDED);
    CHECK_DEC("after 64 KiB of them", made, 64 * 1024 / EVENT_BYTES);
    CHECK_TRUE("CreateEvent fails too", CreateEventW(NULL, TRUE, FALSE, NULL) == NULL);
    CHECK_DEC("CreateEvent's error is ERROR_NOT_ENOUGH_QUOTA", GetLastError(),
              ERROR_NOT_ENOUGH_QUOTA);
    CHECK_TRUE("CreateThread is refused too (its stack, TEB and ETHREAD are charged)",
               CreateThread(NULL, 0, idle_thread, NULL, 0, NULL) == NULL);
    CHECK_DEC("CreateThread's error is ERROR_NOT_ENOUGH_QUOTA", GetLastError(),
              ERROR_NOT_ENOUGH_QUOTA);
    /* A refusal changes nothing: a file CREATE_ALWAYS would truncate keeps its bytes. */
    for (int i = 0; i < 8; ++i) {
        NtClose(events[--made]); /* room for the file's object, not for a second one */
    }
    HANDLE file = CreateFileA("pool_objects.tmp", GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    DWORD wrote = 0;
    CHECK_TRUE("a file is created and written",
               file != INVALID_HANDLE_VALUE && WriteFile(file, "hello", 5, &wrote, NULL));
    CloseHandle(file);
    HANDLE hold[8];
    int held = 0;
    while (held < 8 && NtCreateEvent(&hold[held], EVENT_ALL_ACCESS, NULL, 0, FALSE) == 0) {
        ++held;
    }
    file = CreateFileA("pool_objects.tmp", GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    CHECK_TRUE("CREATE_ALWAYS is refused for quota", file == INVALID_HANDLE_VALUE);
    CHECK_DEC("CreateFile's error is ERROR_NOT_ENOUGH_QUOTA", GetLastError(),
              ERROR_NOT_ENOUGH_QUOTA);
    for (int i = 0; i < held; ++i) {
        NtClose(hold[i]);
    }
    file = CreateFileA("pool_objects.tmp", GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    CHECK_DEC("and the file kept its 5 bytes", GetFileSize(file, NULL), 5);
    CloseHandle(file);
    DeleteFileA("pool_objects.tmp");
    for (int i = 0; i < made; ++i) {
        NtClose(events[i]);
    }
    HANDLE again = CreateEventW(NULL, TRUE, FALSE, NULL);
    CHECK_TRUE("once they are closed, an event can be created again", again != NULL);
    CloseHandle(again);

    /* A child ended and the parent exiting at once: both go in one pass, and --verify must
     * find the pools as they were (neither process's object left over). */
    line_start(&line, PROGRAM, "sleeper");
    PROCESS_INFORMATION sleeper;
    if (CHECK_TRUE("a sleeping child starts", spawn(&line, 0, NULL, NULL, &sleeper))) {
        CHECK_TRUE("and is ended", TerminateProcess(sleeper.hProcess, 7));
    }
    return test_done();
}
