/* The raw system-call fuzzer: system calls by number with hostile arguments, made with the
 * `syscall` instruction itself (no ntdll stub in between), as many as asked:
 *
 *     syscall_fuzz.exe SEED CALLS
 *
 * Run it under `ntoy run --verify` (the CTest runs and fuzz/campaign do): after the process
 * has ended the kernel checks its memory invariants and that every frame and page of commit
 * came back, and the checked kernel checks its invariants after every call. A broken one is
 * a bug check, exit status 4. The program itself checks that every call returns, that a
 * number outside the table gives STATUS_INVALID_SYSTEM_SERVICE, that a status has no bits
 * above 31, and that the zone's read-only page keeps its contents whatever it was pointed at.
 *
 * Numbers come from the table in ntoy/syscalls.h and from beyond it. For the calls it knows by
 * name, most arguments are plausible for their place (a cell holding an address where the call
 * takes a PVOID*, a size where it takes a PSIZE_T, a protection where it takes one), so that
 * calls get past their first check; the rest, and every argument of other numbers, is either a
 * value or a pointer from the hostile pools. Values: 0, all-ones patterns, small numbers, sizes
 * from a byte to the whole address space, allocation-type and protection combinations, handles
 * (the pseudo-handles, the console's, bogus ones), addresses in the arena (a region of pages in
 * random states that calls may change freely) and in allocations earlier calls returned, the
 * edges of user space, system space (0xFFFF8000'00000000 and up) and non-canonical addresses,
 * and random bits. Pointers: into the "zone", a fixed layout of two pages of
 * argument cells (which hold values), then a read-only, a guard, a no-access and a reserved
 * page, and free memory after them; to the last bytes before each of those pages, so that an
 * access straddles into the next; and to NULL, system space and non-canonical addresses.
 *
 * The program must survive its own calls, so:
 *   - memory it needs (its image, stack, TEB, PEB, DLLs, the zone) is never a value: calls can
 *     only change the arena and what calls allocated, which are released and the arena rebuilt
 *     every REBUILD_EVERY calls;
 *   - whatever the kernel wrote into the cells is overwritten with fresh values after the call,
 *     so no address of its own memory ever reaches a later call, and a disarmed guard page in
 *     the zone is armed again;
 *   - NtContinue and NtRaiseException get only pointers that cannot be read (a successful call
 *     would continue in a context of random bytes), NtTerminateProcess never the current
 *     process, and NtWriteFile writes no bytes but to the console's input handle (any other
 *     handle may be a duplicate of the console's output);
 *   - the console's handles (4, 8 and 0xC, tag bits or not) are never closed: not by NtClose,
 *     not by NtDuplicateObject with DUPLICATE_CLOSE_SOURCE;
 *   - no call can block for ever: NtWaitForSingleObject, NtWaitForMultipleObjects,
 *     NtSignalAndWaitForSingleObject and NtDelayExecution always get a timeout they cannot
 *     wait long on (a cell holding zero, a short relative interval or a time in the past, or
 *     a non-NULL pointer that cannot be read), never NULL, for a wait on the process (-1) or
 *     the thread (-2) itself, or on an event nobody sets, would be a deadlock.
 * The objects the calls create (events, mutants, semaphores, duplicates) are kept by handle,
 * and the object calls get those handles as often as hostile ones. */
#include "common/command_line.h"
#include "common/print.h"
#include "ntoy/syscalls.h"

#define PAGE 0x1000ull
#define GRANULE 0x10000ull
#define STATUS_INVALID_SYSTEM_SERVICE 0xC000001Cu

/* The zone: [cells][cells][read-only][guard][no-access][reserved], then free. */
#define ZONE_PAGES 6
#define ZONE_CELLS 0
#define ZONE_READ_ONLY 2
#define ZONE_GUARD 3
#define ZONE_NO_ACCESS 4
#define ZONE_RESERVED 5
#define CELL_BYTES (2 * PAGE)
/* Bytes after a pointer argument the kernel may write: the largest structure a call fills. */
#define WRITTEN_SPAN 0x100

/* The arena: far from everything the program needs. */
#define ARENA_BASE 0x200000000ull
#define ARENA_PAGES 64
#define REBUILD_EVERY 500
#define MAX_RECORDED 64
#define MAX_PROTECTED 64
#define ARGUMENTS 16
#define MAX_HANDLES 32

/* ULONG_PTR raw_syscall(ULONG_PTR number, const ULONG_PTR args[16]): the arguments where a
 * Windows x64 system call takes them (r10, rdx, r8, r9, then the stack above the return
 * address slot and the 32-byte home space), RAX = number, and `syscall`. */
__asm__(
    "\t.text\n"
    "\t.globl raw_syscall\n"
    "\t.def raw_syscall; .scl 2; .type 32; .endef\n"
    "raw_syscall:\n"
    "\tpushq %rsi\n"
    "\tpushq %rdi\n"
    "\tsubq $0x98, %rsp\n" /* 0x28 + 12 * 8 = 0x88 of frame, 16-byte aligned */
    "\tmovq %rdx, %rsi\n"
    "\tmovq %rcx, %rax\n"
    "\tleaq 0x28(%rsp), %rdi\n"
    "\tmovq $4, %rcx\n"
    "1:\n"
    "\tmovq (%rsi,%rcx,8), %rdx\n"
    "\tmovq %rdx, -0x20(%rdi,%rcx,8)\n"
    "\tincq %rcx\n"
    "\tcmpq $16, %rcx\n"
    "\tjb 1b\n"
    "\tmovq (%rsi), %r10\n"
    "\tmovq 8(%rsi), %rdx\n"
    "\tmovq 16(%rsi), %r8\n"
    "\tmovq 24(%rsi), %r9\n"
    "\tsyscall\n"
    "\taddq $0x98, %rsp\n"
    "\tpopq %rdi\n"
    "\tpopq %rsi\n"
    "\tret\n");
ULONG_PTR raw_syscall(ULONG_PTR number, const ULONG_PTR* args);

/* The table, by name, for the few calls with rules of their own. */
typedef struct SyscallInfo {
    const char* name;
    ULONG arguments;
} SyscallInfo;
#define NTOY_FUZZ_ENTRY(number, name, argument_count) [number] = {#name, argument_count},
static const SyscallInfo syscall_table[] = {NTOY_SYSCALLS(NTOY_FUZZ_ENTRY)};
#undef NTOY_FUZZ_ENTRY
#define SYSCALL_COUNT (sizeof(syscall_table) / sizeof(syscall_table[0]))

typedef struct Range {
    ULONG_PTR start, end;
} Range;

/* Everything the fuzzer keeps between calls. */
static struct {
    ULONG_PTR random_state;
    ULONG_PTR zone;
    ULONG_PTR lowest_user, highest_user;
    Range protected_ranges[MAX_PROTECTED];
    ULONG protected_count;
    ULONG_PTR recorded[MAX_RECORDED];
    ULONG recorded_count;
    /* Handles the creation and duplication calls returned (a ring: the oldest goes). */
    ULONG_PTR handles[MAX_HANDLES];
    ULONG handle_count, handle_next;
    /* The call in progress, for the report if it never returns. */
    ULONG_PTR number;
    ULONG_PTR args[ARGUMENTS];
    unsigned long long call_index;
} fuzz;

static BOOL names_equal(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) {
        ++a;
        ++b;
    }
    return *a == *b;
}

static BOOL is_call(ULONG_PTR number, const char* name) {
    return number < SYSCALL_COUNT && syscall_table[number].name != NULL &&
           names_equal(syscall_table[number].name, name);
}

/* xorshift64*: small, fast and plenty for choosing arguments. */
static ULONG_PTR next_random(void) {
    ULONG_PTR x = fuzz.random_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    fuzz.random_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static ULONG_PTR below(ULONG_PTR n) {
    return next_random() % n;
}

static ULONG_PTR pick(const ULONG_PTR* values, ULONG count) {
    return values[below(count)];
}

static BOOL is_protected(ULONG_PTR address) {
    for (ULONG i = 0; i < fuzz.protected_count; ++i) {
        if (address >= fuzz.protected_ranges[i].start && address < fuzz.protected_ranges[i].end) {
            return TRUE;
        }
    }
    return FALSE;
}

/* ---- The calls the fuzzer makes for itself, through the same instruction. */

static ULONG fuzzer_call(const char* name, ULONG_PTR a0, ULONG_PTR a1, ULONG_PTR a2, ULONG_PTR a3,
                         ULONG_PTR a4, ULONG_PTR a5) {
    ULONG_PTR args[ARGUMENTS] = {a0, a1, a2, a3, a4, a5};
    for (ULONG_PTR n = 0; n < SYSCALL_COUNT; ++n) {
        if (is_call(n, name)) {
            return (ULONG)raw_syscall(n, args);
        }
    }
    return STATUS_INVALID_SYSTEM_SERVICE;
}

static ULONG allocate_at(ULONG_PTR* base, ULONG_PTR size, ULONG type, ULONG protect) {
    SIZE_T bytes = size;
    return fuzzer_call("NtAllocateVirtualMemory", (ULONG_PTR)-1, (ULONG_PTR)base, 0,
                       (ULONG_PTR)&bytes, type, protect);
}

static ULONG release(ULONG_PTR base) {
    SIZE_T size = 0;
    return fuzzer_call("NtFreeVirtualMemory", (ULONG_PTR)-1, (ULONG_PTR)&base, (ULONG_PTR)&size,
                       MEM_RELEASE, 0, 0);
}

static ULONG set_protection(ULONG_PTR base, ULONG_PTR size, ULONG protect) {
    ULONG old = 0;
    SIZE_T bytes = size;
    return fuzzer_call("NtProtectVirtualMemory", (ULONG_PTR)-1, (ULONG_PTR)&base, (ULONG_PTR)&bytes,
                       protect, (ULONG_PTR)&old, 0);
}

static BOOL query(ULONG_PTR address, MEMORY_BASIC_INFORMATION* info) {
    return fuzzer_call("NtQueryVirtualMemory", (ULONG_PTR)-1, address, 0, (ULONG_PTR)info,
                       sizeof(*info), 0) == 0;
}

static void fatal(const char* what) {
    print_str("syscall_fuzz: ");
    print_str(what);
    print_str("\n");
}

/* ---- Values and pointers. */

static ULONG_PTR address_value(void) {
    static const ULONG_PTR hostile[] = {
        0xFFFF800000000000ull, 0xFFFF800000001000ull, 0xFFFFF80000000000ull,
        0xFFFFFFFFFFFFF000ull, 0xFFFFFFFFFFFFFFF8ull, 0x0000800000000000ull,
        0x8000000000000000ull, 0x00007FFFFFFF0000ull, 0x0000FF0000000000ull};
    ULONG_PTR address;
    switch (below(6)) {
        case 0:
            address = pick(hostile, sizeof(hostile) / sizeof(hostile[0]));
            break;
        case 1: { /* an edge of user space */
            const ULONG_PTR edges[] = {fuzz.highest_user,
                                       fuzz.highest_user + 1,
                                       fuzz.highest_user - 7,
                                       (fuzz.highest_user + 1) - GRANULE,
                                       (fuzz.highest_user + 1) - PAGE,
                                       fuzz.lowest_user,
                                       fuzz.lowest_user - 1,
                                       fuzz.lowest_user - PAGE};
            address = pick(edges, sizeof(edges) / sizeof(edges[0]));
            break;
        }
        case 2:
            if (fuzz.recorded_count != 0) {
                address = fuzz.recorded[below(fuzz.recorded_count)] + below(16) * PAGE;
                break;
            }
            /* fall through */
        default: /* the arena, its edges, sometimes a byte into a page */
            address = ARENA_BASE - PAGE + below(ARENA_PAGES + 2) * PAGE;
            if (below(4) == 0) {
                address += below(PAGE);
            }
            break;
    }
    return is_protected(address) ? ARENA_BASE : address;
}

static ULONG_PTR size_value(void) {
    static const ULONG_PTR sizes[] = {1,
                                      7,
                                      8,
                                      0xFFF,
                                      0x1000,
                                      0x1001,
                                      0x2000,
                                      0xFFFF,
                                      0x10000,
                                      0x10001,
                                      0x100000,
                                      0x7FFFFFFF,
                                      0x80000000,
                                      0xFFFFFFFF,
                                      0x100000000ull,
                                      0x10000000000ull,
                                      0x800000000000ull,
                                      0xFFFFFFFFFFFFF000ull,
                                      0xFFFFFFFFFFFFFFFFull};
    switch (below(3)) {
        case 0:
            return pick(sizes, sizeof(sizes) / sizeof(sizes[0]));
        case 1:
            return (below(ARENA_PAGES + 4) + 1) * PAGE;
        default:
            return below(ARENA_PAGES * PAGE + 2);
    }
}

static ULONG_PTR flags_value(void) {
    static const ULONG_PTR bits[] = {MEM_COMMIT, MEM_RESERVE, MEM_DECOMMIT, MEM_RELEASE, MEM_RESET,
                                     0x100000,   0x200000,    0x400000,     0x20000000,  0x00800000,
                                     1,          0x80000000};
    ULONG_PTR flags = 0;
    for (ULONG_PTR n = below(3) + 1; n > 0; --n) {
        flags |= pick(bits, sizeof(bits) / sizeof(bits[0]));
    }
    return below(8) == 0 ? (ULONG_PTR)1 << below(32) : flags;
}

static ULONG_PTR protection_value(void) {
    static const ULONG_PTR protections[] = {PAGE_NOACCESS,
                                            PAGE_READONLY,
                                            PAGE_READWRITE,
                                            PAGE_WRITECOPY,
                                            PAGE_EXECUTE,
                                            PAGE_EXECUTE_READ,
                                            PAGE_EXECUTE_READWRITE,
                                            PAGE_EXECUTE_WRITECOPY,
                                            0,
                                            PAGE_READWRITE | PAGE_READONLY};
    static const ULONG_PTR modifiers[] = {
        0, 0, 0, PAGE_GUARD, PAGE_NOCACHE, PAGE_WRITECOMBINE, PAGE_GUARD | PAGE_NOCACHE};
    if (below(8) == 0) {
        return (ULONG_PTR)1 << below(32);
    }
    return pick(protections, sizeof(protections) / sizeof(protections[0])) |
           pick(modifiers, sizeof(modifiers) / sizeof(modifiers[0]));
}

static ULONG_PTR handle_value(void) {
    static const ULONG_PTR handles[] = {
        (ULONG_PTR)-1, (ULONG_PTR)-2,        0, 4, 8, 0xC, 0x10, 0x1234, 3,
        0xFFFFFFFF,    0x8000000000000004ull};
    return pick(handles, sizeof(handles) / sizeof(handles[0]));
}

static ULONG_PTR any_value(void) {
    static const ULONG_PTR patterns[] = {0,
                                         (ULONG_PTR)-1,
                                         0xFFFFFFFF,
                                         0x7FFFFFFF,
                                         0x80000000,
                                         0xFFFFFFFF00000000ull,
                                         0x100000000,
                                         0x7FFFFFFFFFFFFFFFull,
                                         0x8000000000000000ull};
    switch (below(9)) {
        case 0:
            return pick(patterns, sizeof(patterns) / sizeof(patterns[0]));
        case 1:
            return below(0x10000);
        case 2:
            return size_value();
        case 3:
            return flags_value();
        case 4:
            return protection_value();
        case 5:
            return handle_value();
        case 6:
        case 7:
            return address_value();
        default:
            return next_random();
    }
}

/* Any value may be taken for an address (a size of 0x100000 is an address in the stack), so
 * none may name memory the program needs. */
static ULONG_PTR random_value(void) {
    ULONG_PTR value = any_value();
    return is_protected(value) ? ARENA_BASE + below(ARENA_PAGES) * PAGE : value;
}

/* Pointers into the zone, and pointers nothing can read. */
static ULONG_PTR unreadable_pointer(void) {
    static const ULONG_PTR hostile[] = {0,
                                        8,
                                        0xFFF0,
                                        0xFFFF800000000000ull,
                                        0xFFFFF80000000000ull,
                                        0xFFFFFFFFFFFFFFF0ull,
                                        0x0000800000000000ull,
                                        0x8000000000000000ull};
    switch (below(4)) {
        case 0:
            return fuzz.zone + ZONE_NO_ACCESS * PAGE + below(PAGE);
        case 1:
            return fuzz.zone + ZONE_RESERVED * PAGE + below(2 * PAGE); /* and the free page */
        case 2:
            return fuzz.highest_user + 1 + below(PAGE);
        default:
            return pick(hostile, sizeof(hostile) / sizeof(hostile[0]));
    }
}

static ULONG_PTR pointer_value(void) {
    switch (below(8)) {
        case 0:
        case 1:
        case 2: /* an argument cell, usually aligned */
            return fuzz.zone + ZONE_CELLS * PAGE +
                   (below(4) == 0 ? below(CELL_BYTES) : below(CELL_BYTES / 8) * 8);
        case 3: /* the last bytes before each page of the zone: the access straddles */
            return fuzz.zone + (below(ZONE_PAGES) + 1) * PAGE - 1 - below(16);
        case 4:
            return fuzz.zone + ZONE_READ_ONLY * PAGE + below(PAGE);
        case 5:
            return fuzz.zone + ZONE_GUARD * PAGE + below(PAGE);
        case 6:
            return fuzz.highest_user - below(16);
        default:
            return unreadable_pointer();
    }
}

static ULONG_PTR argument_value(void) {
    return below(2) == 0 ? pointer_value() : random_value();
}

/* ---- The zone and the arena. */

static ULONG_PTR* cells(void) {
    return (ULONG_PTR*)(fuzz.zone + ZONE_CELLS * PAGE);
}

static void fill_cells(ULONG_PTR from, ULONG_PTR to) {
    ULONG_PTR start = fuzz.zone + ZONE_CELLS * PAGE;
    from = from < start ? start : from & ~(ULONG_PTR)7;
    to = to > start + CELL_BYTES ? start + CELL_BYTES : to;
    for (ULONG_PTR at = from; at < to; at += 8) {
        *(ULONG_PTR*)at = random_value();
    }
}

static BOOL arm_guard(void) {
    return set_protection(fuzz.zone + ZONE_GUARD * PAGE, PAGE, PAGE_READWRITE | PAGE_GUARD) == 0;
}

/* The zone's pages back to their states (a kernel access disarms the guard page). */
static BOOL restore_zone(void) {
    return set_protection(fuzz.zone + ZONE_READ_ONLY * PAGE, PAGE, PAGE_READONLY) == 0 &&
           set_protection(fuzz.zone + ZONE_GUARD * PAGE, PAGE, PAGE_READWRITE | PAGE_GUARD) == 0 &&
           set_protection(fuzz.zone + ZONE_NO_ACCESS * PAGE, PAGE, PAGE_NOACCESS) == 0;
}

/* What the zone's read-only page holds, word by word: the kernel must never write there. */
static ULONG_PTR read_only_pattern(ULONG_PTR index) {
    return 0x6E746F7900000000ull | index;
}

static BOOL read_only_page_intact(void) {
    const volatile ULONG_PTR* words = (const ULONG_PTR*)(fuzz.zone + ZONE_READ_ONLY * PAGE);
    for (ULONG_PTR i = 0; i < PAGE / 8; ++i) {
        if (words[i] != read_only_pattern(i)) {
            return FALSE;
        }
    }
    return TRUE;
}

static BOOL make_zone(void) {
    ULONG_PTR base = 0;
    if (allocate_at(&base, ZONE_PAGES * PAGE, MEM_RESERVE, PAGE_READWRITE) != 0) {
        return FALSE;
    }
    fuzz.zone = base;
    if (allocate_at(&base, ZONE_RESERVED * PAGE, MEM_COMMIT, PAGE_READWRITE) != 0) {
        return FALSE;
    }
    fill_cells(base, base + CELL_BYTES);
    ULONG_PTR* read_only = (ULONG_PTR*)(fuzz.zone + ZONE_READ_ONLY * PAGE);
    for (ULONG_PTR i = 0; i < PAGE / 8; ++i) {
        read_only[i] = read_only_pattern(i);
    }
    return restore_zone();
}

/* Everything the program runs on (the loader's and the kernel's allocations): never a value. */
static void protect_what_exists(void) {
    MEMORY_BASIC_INFORMATION info;
    ULONG_PTR address = 0;
    while (address <= fuzz.highest_user && fuzz.protected_count < MAX_PROTECTED &&
           query(address, &info)) {
        ULONG_PTR end = (ULONG_PTR)info.BaseAddress + info.RegionSize;
        if (info.State != MEM_FREE) {
            fuzz.protected_ranges[fuzz.protected_count].start = (ULONG_PTR)info.BaseAddress;
            fuzz.protected_ranges[fuzz.protected_count].end = end;
            ++fuzz.protected_count;
        }
        if (end <= address) {
            break;
        }
        address = end;
    }
}

/* Releases every allocation calls made, then lays out the arena afresh: each page reserved
 * or committed with a random protection. */
static BOOL rebuild_arena(void) {
    MEMORY_BASIC_INFORMATION info;
    ULONG_PTR address = 0;
    while (address <= fuzz.highest_user && query(address, &info)) {
        ULONG_PTR end = (ULONG_PTR)info.BaseAddress + info.RegionSize;
        if (info.State != MEM_FREE && !is_protected((ULONG_PTR)info.BaseAddress)) {
            if (release((ULONG_PTR)info.AllocationBase) != 0) {
                fatal("cannot release an allocation the calls made");
                return FALSE;
            }
        }
        if (end <= address) {
            break;
        }
        address = end;
    }
    fuzz.recorded_count = 0;
    ULONG_PTR base = ARENA_BASE;
    if (allocate_at(&base, ARENA_PAGES * PAGE, MEM_RESERVE, PAGE_READWRITE) != 0) {
        fatal("cannot reserve the arena");
        return FALSE;
    }
    static const ULONG protections[] = {PAGE_READWRITE,         PAGE_READONLY,
                                        PAGE_NOACCESS,          PAGE_READWRITE | PAGE_GUARD,
                                        PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_READ};
    for (ULONG_PTR page = 0; page < ARENA_PAGES; ++page) {
        if (below(3) == 0) {
            continue; /* reserved only */
        }
        ULONG_PTR at = ARENA_BASE + page * PAGE;
        ULONG protect = protections[below(sizeof(protections) / sizeof(protections[0]))];
        if (allocate_at(&at, PAGE, MEM_COMMIT, protect) != 0) {
            fatal("cannot commit the arena");
            return FALSE;
        }
        if (protect == PAGE_READWRITE && below(2) == 0) {
            *(volatile ULONG_PTR*)(ARENA_BASE + page * PAGE + below(PAGE / 8) * 8) = next_random();
        }
    }
    return restore_zone();
}

/* ---- One call. */

/* What each argument of the calls it knows is, for plausible arguments:
 *   H process handle   W console handle   B pointer to a cell holding an address
 *   S pointer to a cell holding a size   A address   T allocation type   D free type
 *   R protection   N small number (class, zero bits)   I pointer to readable bytes
 *   O pointer to room for a result   L length of a result   X anything
 *   J object handle   K access mask   Y pointer to OBJECT_ATTRIBUTES   E event or wait type
 *   F BOOLEAN   C count   U length of an object's basic information (8)   V option bits
 *   G pointer to an array of object handles   Z pointer to a bounded timeout (see
 *   bounded_timeout: the one kind the rules below impose whatever was chosen) */
typedef struct Signature {
    const char* name;
    const char* kinds;
} Signature;
static const Signature signatures[] = {
    {"NtTerminateProcess", "HX"},          {"NtWriteFile", "WXXXOILXX"},
    {"NtAllocateVirtualMemory", "HBNSTR"}, {"NtFreeVirtualMemory", "HBSD"},
    {"NtProtectVirtualMemory", "HBSRO"},   {"NtQueryVirtualMemory", "HANOLO"},
    {"NtQuerySystemInformation", "NOLO"},
    {"NtClose", "J"},
    {"NtDuplicateObject", "HJHOKVV"},
    {"NtCreateEvent", "OKYEF"},
    {"NtSetEvent", "JO"},
    {"NtResetEvent", "JO"},
    {"NtPulseEvent", "JO"},
    {"NtQueryEvent", "JNOUO"},
    {"NtCreateMutant", "OKYF"},
    {"NtReleaseMutant", "JO"},
    {"NtQueryMutant", "JNOUO"},
    {"NtCreateSemaphore", "OKYCC"},
    {"NtReleaseSemaphore", "JCO"},
    {"NtQuerySemaphore", "JNOUO"},
    {"NtWaitForSingleObject", "JFZ"},
    {"NtWaitForMultipleObjects", "CGEFZ"},
    {"NtDelayExecution", "FZ"},
    {"NtSignalAndWaitForSingleObject", "JJFZ"},
};

static ULONG_PTR* random_cell(ULONG_PTR room) {
    return cells() + below((CELL_BYTES - room) / 8);
}

/* An object handle: one the calls made, a pseudo-handle, the console's, or a bogus one. */
static ULONG_PTR object_handle(void) {
    if (fuzz.handle_count != 0 && below(2) == 0) {
        ULONG_PTR handle = fuzz.handles[below(fuzz.handle_count)];
        return below(8) == 0 ? handle | below(4) : handle; /* tag bits */
    }
    return below(4) == 0 ? random_value() : handle_value();
}

static BOOL is_console_handle(ULONG_PTR handle) {
    ULONG_PTR entry = handle & ~(ULONG_PTR)3; /* the kernel ignores the tag bits */
    return entry == 4 || entry == 8 || entry == 0xC;
}

/* A timeout no wait can block long on: a cell holding zero, a short relative interval or a
 * time long past; or a pointer that cannot be read (STATUS_ACCESS_VIOLATION). Never NULL: a
 * wait with no timeout on the process or thread itself, or on an event nobody sets, is a
 * deadlock (the machine stops), and NtDelayExecution(NULL) is the pointer case anyway. */
static ULONG_PTR bounded_timeout(void) {
    static const ULONG_PTR intervals[] = {
        0,
        (ULONG_PTR)-1,                /* 100 ns */
        (ULONG_PTR)-10000,            /* 1 ms */
        (ULONG_PTR)-150000,           /* 15 ms */
        1,                            /* an absolute time in 1601 */
        0x01D0000000000000ull,        /* an absolute time in 2015 */
    };
    if (below(4) == 0) {
        ULONG_PTR pointer;
        do {
            pointer = unreadable_pointer();
        } while (pointer == 0);
        return pointer;
    }
    ULONG_PTR* cell = random_cell(8);
    *cell = pick(intervals, sizeof(intervals) / sizeof(intervals[0]));
    return (ULONG_PTR)cell;
}

static ULONG_PTR plausible(char kind) {
    ULONG_PTR* cell;
    switch (kind) {
        case 'H':
            return below(8) == 0 ? handle_value() : (ULONG_PTR)-1;
        case 'W':
            return 4 + 4 * below(3);
        case 'B':
            cell = random_cell(8);
            *cell = below(4) == 0   ? 0
                    : below(2) == 0 ? ARENA_BASE + below(ARENA_PAGES) * PAGE
                                    : address_value();
            return (ULONG_PTR)cell;
        case 'S':
            cell = random_cell(8);
            *cell = below(2) == 0 ? (below(8) + 1) * PAGE : size_value();
            return (ULONG_PTR)cell;
        case 'A':
            return address_value();
        case 'T': {
            static const ULONG_PTR types[] = {MEM_COMMIT, MEM_RESERVE, MEM_COMMIT | MEM_RESERVE,
                                              MEM_RESET, MEM_COMMIT | MEM_RESERVE | 0x100000};
            return below(4) == 0 ? flags_value() : pick(types, sizeof(types) / sizeof(types[0]));
        }
        case 'D':
            return below(4) == 0 ? flags_value() : below(2) == 0 ? MEM_DECOMMIT : MEM_RELEASE;
        case 'R': {
            static const ULONG_PTR protections[] = {
                PAGE_NOACCESS,     PAGE_READONLY,          PAGE_READWRITE,
                PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_READWRITE | PAGE_GUARD,
                PAGE_WRITECOPY};
            return below(4) == 0 ? protection_value()
                                 : pick(protections, sizeof(protections) / sizeof(protections[0]));
        }
        case 'N':
            return below(4) == 0 ? below(4) : 0;
        case 'I':
        case 'O':
            return (ULONG_PTR)random_cell(WRITTEN_SPAN);
        case 'L': {
            static const ULONG_PTR lengths[] = {0x30, 0x40, 0x30, 0x40, 0, 8, 0x2F, 0x41, 0x100};
            return below(4) == 0 ? below(0x100)
                                 : pick(lengths, sizeof(lengths) / sizeof(lengths[0]));
        }
        case 'J':
            return object_handle();
        case 'K': {
            static const ULONG_PTR masks[] = {
                0x001F0003, /* EVENT_ALL_ACCESS */
                0x001F0001, /* MUTANT_ALL_ACCESS */
                0x001F0003, /* SEMAPHORE_ALL_ACCESS */
                0x00100000, /* SYNCHRONIZE */
                0x00000002, /* EVENT_MODIFY_STATE, SEMAPHORE_MODIFY_STATE */
                0x00000001, /* *_QUERY_STATE */
                0x10000000, /* GENERIC_ALL */
                0x80000000, /* GENERIC_READ */
                0x40000000, /* GENERIC_WRITE */
                0x02000000, /* MAXIMUM_ALLOWED */
                0x01000000, /* ACCESS_SYSTEM_SECURITY */
                0,          0xFFFFFFFF, 0xFFFFFFFF00000000ull};
            return below(4) == 0 ? (ULONG_PTR)1 << below(64)
                                 : pick(masks, sizeof(masks) / sizeof(masks[0]));
        }
        case 'Y': /* NULL, a proper OBJECT_ATTRIBUTES, or one with a flaw */
            if (below(3) == 0) {
                return 0;
            }
            cell = random_cell(WRITTEN_SPAN);
            if (below(3) != 0) {
                ULONG_PTR* name = cell + 6; /* a UNICODE_STRING right after it */
                cell[0] = below(4) == 0 ? pick((const ULONG_PTR[]){0, 47, 49, 0x30 | (1ull << 32)},
                                               4)
                                        : 0x30;
                cell[1] = below(4) == 0 ? object_handle() : 0;
                cell[2] = below(2) == 0 ? 0 : below(2) == 0 ? (ULONG_PTR)name : pointer_value();
                cell[3] = below(2) == 0 ? 0 : below(2) == 0 ? 2 : flags_value();
                cell[4] = below(4) == 0 ? pointer_value() : 0;
                cell[5] = below(4) == 0 ? pointer_value() : 0;
                name[0] = below(2) == 0 ? 0 : 0x00100010 | (below(0x10) << 32);
                name[1] = pointer_value();
            }
            return (ULONG_PTR)cell;
        case 'E':
            return below(4) == 0 ? random_value() : below(3);
        case 'F': {
            static const ULONG_PTR booleans[] = {0, 1, 0, 1, 0xFF, 0x100, 0xFFFFFFFF00000000ull};
            return pick(booleans, sizeof(booleans) / sizeof(booleans[0]));
        }
        case 'C': {
            static const ULONG_PTR counts[] = {1,          2,         3,          4,
                                               0,          63,        64,         65,
                                               0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, (ULONG_PTR)-1,
                                               0x100000001ull};
            return below(2) == 0 ? below(4) + 1 : pick(counts, sizeof(counts) / sizeof(counts[0]));
        }
        case 'U': {
            static const ULONG_PTR lengths[] = {8, 8, 8, 0, 4, 7, 9, 0x10, 0x100000008ull};
            return pick(lengths, sizeof(lengths) / sizeof(lengths[0]));
        }
        case 'V':
            return below(4) == 0 ? flags_value() : below(8);
        case 'G': /* 32 handles; a count up to 64 reads on, at the cells' end into the next page */
            cell = below(8) == 0 ? cells() + CELL_BYTES / 8 - below(64) - 1
                                 : random_cell(WRITTEN_SPAN);
            for (ULONG i = 0; i < WRITTEN_SPAN / 8 && cell + i < cells() + CELL_BYTES / 8; ++i) {
                cell[i] = object_handle();
            }
            return (ULONG_PTR)cell;
        case 'Z':
            return bounded_timeout();
        default:
            return random_value();
    }
}

static void choose_call(void) {
    switch (below(8)) {
        case 0: /* beyond the table */
            fuzz.number = SYSCALL_COUNT + below(0x1000);
            break;
        case 1: /* anywhere: the low 32 bits decide whether it is in the table */
            fuzz.number = next_random();
            if ((fuzz.number & 0xFFFFFFFF) < SYSCALL_COUNT) {
                fuzz.number += SYSCALL_COUNT;
            }
            break;
        default:
            /* Not the calls that act on this thread or make threads and processes: their
             * hostile forms end, stop or multiply the fuzzer itself (guest/tests/threads
             * covers them). */
            do {
                fuzz.number = below(SYSCALL_COUNT);
            } while (is_call(fuzz.number, "NtTerminateThread") ||
                     is_call(fuzz.number, "NtSuspendThread") ||
                     is_call(fuzz.number, "NtSetContextThread") ||
                     is_call(fuzz.number, "NtCreateThreadEx") ||
                     is_call(fuzz.number, "NtCreateProcessFromImage") ||
                     is_call(fuzz.number, "NtQueueApcThread"));
            break;
    }
    for (ULONG i = 0; i < ARGUMENTS; ++i) {
        fuzz.args[i] = argument_value();
    }
    /* Half the calls it knows are all plausible; the others have hostile arguments mixed in. */
    BOOL all_plausible = below(2) == 0;
    for (ULONG s = 0; s < sizeof(signatures) / sizeof(signatures[0]); ++s) {
        if (!is_call(fuzz.number, signatures[s].name)) {
            continue;
        }
        for (ULONG i = 0; signatures[s].kinds[i] != '\0'; ++i) {
            if (all_plausible || below(4) != 0) {
                fuzz.args[i] = plausible(signatures[s].kinds[i]);
            }
        }
    }
    if (is_call(fuzz.number, "NtContinue") || is_call(fuzz.number, "NtRaiseException")) {
        for (ULONG i = 0; i < ARGUMENTS; ++i) {
            fuzz.args[i] = below(2) == 0 ? unreadable_pointer() : below(3);
        }
    } else if (is_call(fuzz.number, "NtTerminateProcess")) {
        /* Never this process: not -1, and not a handle the calls made, which may be a
         * duplicate of it. NULL (the other threads, of which there are none) and the
         * console's handles (not processes) stay. */
        const ULONG_PTR h = fuzz.args[0] & ~(ULONG_PTR)3;
        if (fuzz.args[0] != 0 && h != 4 && h != 8 && h != 0xC) {
            fuzz.args[0] = 0x1234;
        }
    } else if (is_call(fuzz.number, "NtWriteFile")) {
        /* The console gets no bytes: the path is the same, the test log stays readable. Any
         * handle the calls made may be a duplicate of the console's output. */
        if ((fuzz.args[0] & ~(ULONG_PTR)3) != 4) {
            fuzz.args[6] = 0;
        }
    } else if (is_call(fuzz.number, "NtClose")) {
        /* The console stays open: the program's own output goes there. */
        if (is_console_handle(fuzz.args[0])) {
            fuzz.args[0] = below(2) == 0 ? 0x1234 : object_handle() | 0x10000000;
        }
    } else if (is_call(fuzz.number, "NtDuplicateObject")) {
        /* Duplicating the console is fine; closing it as the source is not. */
        if ((fuzz.args[6] & DUPLICATE_CLOSE_SOURCE) && is_console_handle(fuzz.args[1])) {
            fuzz.args[6] &= ~(ULONG_PTR)DUPLICATE_CLOSE_SOURCE;
        }
    }
    /* No call blocks for ever: every wait has a timeout it cannot wait long on. */
    if (is_call(fuzz.number, "NtWaitForSingleObject")) {
        fuzz.args[2] = bounded_timeout();
    } else if (is_call(fuzz.number, "NtWaitForMultipleObjects")) {
        fuzz.args[4] = bounded_timeout();
    } else if (is_call(fuzz.number, "NtSignalAndWaitForSingleObject")) {
        fuzz.args[3] = bounded_timeout();
    } else if (is_call(fuzz.number, "NtDelayExecution")) {
        fuzz.args[1] = bounded_timeout();
    }
}

/* A handle a creation or duplication call wrote into a cell, kept for later calls. */
static void record_handle(ULONG_PTR out) {
    if (out < (ULONG_PTR)cells() || out + 8 > (ULONG_PTR)cells() + CELL_BYTES || (out & 7) != 0) {
        return;
    }
    fuzz.handles[fuzz.handle_next] = *(ULONG_PTR*)out;
    fuzz.handle_next = (fuzz.handle_next + 1) % MAX_HANDLES;
    if (fuzz.handle_count < MAX_HANDLES) {
        ++fuzz.handle_count;
    }
}

static void print_call(void) {
    print_str("call #");
    print_dec(fuzz.call_index);
    print_str(": number ");
    print_hex(fuzz.number);
    if (fuzz.number < SYSCALL_COUNT && syscall_table[fuzz.number].name != NULL) {
        print_str(" (");
        print_str(syscall_table[fuzz.number].name);
        print_str(")");
    }
    print_str(", arguments");
    for (ULONG i = 0; i < ARGUMENTS; ++i) {
        print_str(" ");
        print_hex(fuzz.args[i]);
    }
    print_str("\n");
}

/* A call that never returned: say which before the exception ends the process. */
static LONG WINAPI report_crash(EXCEPTION_POINTERS* pointers) {
    print_str("syscall_fuzz: exception ");
    print_hex(pointers->ExceptionRecord->ExceptionCode);
    print_str(" after ");
    print_call();
    return EXCEPTION_CONTINUE_SEARCH;
}

static BOOL call_once(unsigned long long* succeeded) {
    choose_call();
    ULONG_PTR status = raw_syscall(fuzz.number, fuzz.args);
    if ((status >> 32) != 0) {
        fatal("a status with bits above 31");
        print_call();
        return FALSE;
    }
    BOOL known = fuzz.number < SYSCALL_COUNT && syscall_table[fuzz.number].name != NULL;
    if (!known && status != STATUS_INVALID_SYSTEM_SERVICE) {
        print_str("syscall_fuzz: status ");
        print_hex(status);
        print_str(", want STATUS_INVALID_SYSTEM_SERVICE, for ");
        print_call();
        return FALSE;
    }
    *succeeded += status == 0;
    /* A new allocation's base, from the cell the call was pointed at. */
    if (status == 0 && is_call(fuzz.number, "NtAllocateVirtualMemory") &&
        fuzz.args[1] >= (ULONG_PTR)cells() && fuzz.args[1] + 8 <= (ULONG_PTR)cells() + CELL_BYTES &&
        (fuzz.args[1] & 7) == 0) {
        ULONG_PTR base = *(ULONG_PTR*)fuzz.args[1];
        if (!is_protected(base) && fuzz.recorded_count < MAX_RECORDED) {
            fuzz.recorded[fuzz.recorded_count++] = base;
        }
    }
    if (status == 0 && (is_call(fuzz.number, "NtCreateEvent") ||
                        is_call(fuzz.number, "NtCreateMutant") ||
                        is_call(fuzz.number, "NtCreateSemaphore"))) {
        record_handle(fuzz.args[0]);
    } else if (status == 0 && is_call(fuzz.number, "NtDuplicateObject") && fuzz.args[2] != 0) {
        record_handle(fuzz.args[3]);
    }
    /* Whatever the kernel wrote goes; a guard page it touched is armed again. */
    BOOL touched_guard = FALSE;
    ULONG used = known ? syscall_table[fuzz.number].arguments : 0;
    for (ULONG i = 0; i < used; ++i) {
        fill_cells(fuzz.args[i], fuzz.args[i] + WRITTEN_SPAN);
        ULONG_PTR guard = fuzz.zone + ZONE_GUARD * PAGE;
        touched_guard |= fuzz.args[i] + WRITTEN_SPAN > guard && fuzz.args[i] < guard + PAGE;
    }
    if (touched_guard && !arm_guard()) {
        fatal("cannot arm the zone's guard page again");
        return FALSE;
    }
    if (!read_only_page_intact()) {
        fatal("the kernel wrote into a read-only page");
        print_call();
        return FALSE;
    }
    return TRUE;
}

int start(void) {
    char text[32];
    ULONG_PTR seed = 1;
    unsigned long long calls = 1000;
    if (get_argument(1, text, sizeof(text))) {
        seed = 0;
        for (const char* c = text; *c >= '0' && *c <= '9'; ++c) {
            seed = seed * 10 + (ULONG_PTR)(*c - '0');
        }
    }
    if (get_argument(2, text, sizeof(text))) {
        calls = 0;
        for (const char* c = text; *c >= '0' && *c <= '9'; ++c) {
            calls = calls * 10 + (unsigned long long)(*c - '0');
        }
    }
    fuzz.random_state = seed * 0x9E3779B97F4A7C15ull + 0x6E746F79;
    SYSTEM_INFO system;
    GetSystemInfo(&system);
    fuzz.lowest_user = (ULONG_PTR)system.lpMinimumApplicationAddress;
    fuzz.highest_user = (ULONG_PTR)system.lpMaximumApplicationAddress;

    /* Before the snapshot: the handler list is memory ntdll allocates. */
    if (AddVectoredExceptionHandler(1, report_crash) == NULL) {
        fatal("cannot add the exception handler");
        return 1;
    }
    protect_what_exists();
    if (!make_zone()) {
        fatal("cannot lay out the zone");
        return 1;
    }
    fuzz.protected_ranges[fuzz.protected_count].start = fuzz.zone;
    fuzz.protected_ranges[fuzz.protected_count].end = fuzz.zone + GRANULE;
    ++fuzz.protected_count;

    unsigned long long succeeded = 0, rebuilds = 0;
    for (fuzz.call_index = 0; fuzz.call_index < calls; ++fuzz.call_index) {
        if (fuzz.call_index % REBUILD_EVERY == 0) {
            if (!rebuild_arena()) {
                return 1;
            }
            ++rebuilds;
        }
        if (!call_once(&succeeded)) {
            return 1;
        }
    }
    /* What the calls left is for the process's exit to clean up (and --verify to check). */
    print_str("syscall_fuzz: seed ");
    print_dec(seed);
    print_str(": ");
    print_dec(calls);
    print_str(" calls, ");
    print_dec(succeeded);
    print_str(" succeeded, ");
    print_dec(rebuilds);
    print_str(" arena rebuilds\n");
    return 0;
}
