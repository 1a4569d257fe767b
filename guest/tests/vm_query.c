/* NtQueryVirtualMemory(MemoryBasicInformation): argument errors, ReturnLength, and the
 * region it describes for free, reserved and committed memory, with AllocationProtect and
 * Type. See shared/spec/nt-virtual-memory.md. */
#include "framework/ntoy_nt.h"
#include "framework/ntoy_test.h"

/* Free in every process the suite runs in (see vm_allocate.c). */
#define ARENA 0x50000000ull

static void test_arguments(void) {
    const ULONG_PTR highest = vm_highest_user_address();
    const ULONG_PTR here = (ULONG_PTR)&test_arguments;
    /* Room for more than the structure, so that a length over 48 can be passed. */
    ULONG_PTR buffer[16];
    SIZE_T returned;

    CHECK_STATUS("class 100 gives INVALID_INFO_CLASS",
                 NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)here, 100, buffer,
                                      sizeof(MEMORY_BASIC_INFORMATION), NULL),
                 NTS_INVALID_INFO_CLASS);
    CHECK_STATUS("length 47 gives INFO_LENGTH_MISMATCH",
                 NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)here, 0, buffer, 47, NULL),
                 NTS_INFO_LENGTH_MISMATCH);
    CHECK_STATUS("length 0 gives INFO_LENGTH_MISMATCH",
                 NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)here, 0, buffer, 0, NULL),
                 NTS_INFO_LENGTH_MISMATCH);
    CHECK_STATUS("address above the highest user address gives INVALID_PARAMETER",
                 NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)(highest + 1), 0, buffer,
                                      sizeof(MEMORY_BASIC_INFORMATION), NULL),
                 NTS_INVALID_PARAMETER);
    CHECK_STATUS("system-space address gives INVALID_PARAMETER",
                 NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)TEST_SYSTEM_ADDRESS, 0, buffer,
                                      sizeof(MEMORY_BASIC_INFORMATION), NULL),
                 NTS_INVALID_PARAMETER);
    CHECK_STATUS("an unknown process handle gives INVALID_HANDLE",
                 NtQueryVirtualMemory(NT_BOGUS_HANDLE, (PVOID)here, 0, buffer,
                                      sizeof(MEMORY_BASIC_INFORMATION), NULL),
                 NTS_INVALID_HANDLE);

    returned = 0;
    CHECK_STATUS("the highest user address itself can be queried",
                 NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)highest, 0, buffer,
                                      sizeof(MEMORY_BASIC_INFORMATION), &returned),
                 NTS_SUCCESS);
    CHECK_DEC("ReturnLength is 48", returned, 48);
    returned = 0;
    CHECK_STATUS(
        "length 128 succeeds",
        NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)here, 0, buffer, sizeof(buffer), &returned),
        NTS_SUCCESS);
    CHECK_DEC("length 128: ReturnLength is still 48", returned, 48);
    CHECK_STATUS("a NULL ReturnLength is allowed",
                 NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)here, 0, buffer,
                                      sizeof(MEMORY_BASIC_INFORMATION), NULL),
                 NTS_SUCCESS);
}

static void test_free(void) {
    const ULONG_PTR highest = vm_highest_user_address();
    const ULONG_PTR below = ARENA + 0x100000;
    vm_allocate(ARENA, 0x1000, MEM_RESERVE, PAGE_READWRITE);
    vm_allocate(below, 0x10000, MEM_RESERVE, PAGE_READWRITE);

    MEMORY_BASIC_INFORMATION info;
    CHECK_STATUS("free: query succeeds", nt_query(ARENA + 0x80123, &info), NTS_SUCCESS);
    CHECK_EQ("free: BaseAddress is the page", (ULONG_PTR)info.BaseAddress, ARENA + 0x80000);
    CHECK_EQ("free: AllocationBase 0", (ULONG_PTR)info.AllocationBase, 0);
    CHECK_EQ("free: AllocationProtect 0", info.AllocationProtect, 0);
    CHECK_EQ("free: RegionSize runs to the next allocation", info.RegionSize, 0x80000);
    CHECK_EQ("free: State FREE", info.State, MEM_FREE);
    CHECK_EQ("free: Protect NOACCESS", info.Protect, PAGE_NOACCESS);
    CHECK_EQ("free: Type 0", info.Type, 0);

    /* The unused tail of a 64 KB block is free memory too. */
    nt_query(ARENA + 0x1000, &info);
    CHECK_EQ("free tail: State FREE", info.State, MEM_FREE);
    CHECK_EQ("free tail: BaseAddress right after the allocation", (ULONG_PTR)info.BaseAddress,
             ARENA + 0x1000);
    CHECK_EQ("free tail: RegionSize runs to the next allocation", info.RegionSize,
             below - (ARENA + 0x1000));
    CHECK_EQ("free tail: AllocationBase 0", (ULONG_PTR)info.AllocationBase, 0);

    /* Past the last allocation, free memory runs to the end of user space. */
    nt_query(highest, &info);
    if (CHECK_EQ("top: the highest user page is free", info.State, MEM_FREE)) {
        CHECK_EQ("top: free region runs to the end of user space",
                 (ULONG_PTR)info.BaseAddress + info.RegionSize, highest + 1);
    }
    vm_release(below);
    vm_release(ARENA);
}

static void test_regions(void) {
    /* Pages: 0-1 READWRITE, 2 READONLY, 3 READWRITE, 4-5 reserved, 6-7 READWRITE|GUARD. */
    const ULONG_PTR r = vm_allocate(0, 0x8000, MEM_RESERVE, PAGE_NOACCESS);
    vm_commit(r, 0x4000, PAGE_READWRITE);
    vm_set_protection(r + 0x2000, 0x1000, PAGE_READONLY);
    vm_commit(r + 0x6000, 0x2000, PAGE_READWRITE | PAGE_GUARD);

    MEMORY_BASIC_INFORMATION info;
    nt_query(r, &info);
    CHECK_EQ("region: pages 0-1 are one READWRITE region", info.RegionSize, 0x2000);
    CHECK_EQ("region: State COMMIT", info.State, MEM_COMMIT);
    CHECK_EQ("region: Protect READWRITE", info.Protect, PAGE_READWRITE);
    CHECK_EQ("region: AllocationBase", (ULONG_PTR)info.AllocationBase, r);
    CHECK_EQ("region: AllocationProtect is the reservation's NOACCESS", info.AllocationProtect,
             PAGE_NOACCESS);
    CHECK_EQ("region: Type PRIVATE", info.Type, MEM_PRIVATE);
    nt_query(r + 0x1800, &info);
    CHECK_EQ("region: starts at the page holding the address", (ULONG_PTR)info.BaseAddress,
             r + 0x1000);
    CHECK_EQ("region: from page 1 it is one page long", info.RegionSize, 0x1000);
    nt_query(r + 0x2000, &info);
    CHECK_EQ("region: page 2 READONLY", info.Protect, PAGE_READONLY);
    CHECK_EQ("region: page 2 alone", info.RegionSize, 0x1000);
    nt_query(r + 0x3000, &info);
    CHECK_EQ("region: page 3 READWRITE alone", info.RegionSize, 0x1000);
    nt_query(r + 0x4000, &info);
    CHECK_EQ("region: pages 4-5 State RESERVE", info.State, MEM_RESERVE);
    CHECK_EQ("region: reserved Protect 0", info.Protect, 0);
    CHECK_EQ("region: reserved run is two pages", info.RegionSize, 0x2000);
    CHECK_EQ("region: reserved AllocationProtect", info.AllocationProtect, PAGE_NOACCESS);
    CHECK_EQ("region: reserved Type PRIVATE", info.Type, MEM_PRIVATE);
    nt_query(r + 0x6000, &info);
    CHECK_EQ("region: guard pages show GUARD", info.Protect, PAGE_READWRITE | PAGE_GUARD);
    CHECK_EQ("region: guard run ends at the allocation's end", info.RegionSize, 0x2000);
    vm_release(r);

    /* A region never runs into the next allocation, even one in the same state. */
    const ULONG_PTR a = vm_allocate(ARENA, 0x10000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    const ULONG_PTR b =
        vm_allocate(ARENA + 0x10000, 0x10000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    CHECK_EQ("region: stops at the end of its allocation", vm_query_field(a, Q_SIZE), 0x10000);
    vm_release(b);
    vm_release(a);

    /* Long runs across page-table boundaries: 3 MB reserved, then 2 MB committed, in a
     * 6 MB reservation. */
    const ULONG_PTR big = vm_allocate(0, 0x600000, MEM_RESERVE, PAGE_READWRITE);
    vm_commit(big + 0x300000, 0x200000, PAGE_READWRITE);
    CHECK_EQ("long run: 3 MB reserved", vm_query_field(big, Q_SIZE), 0x300000);
    CHECK_EQ("long run: 2 MB committed", vm_query_field(big + 0x300000, Q_SIZE), 0x200000);
    CHECK_EQ("long run: 1 MB reserved to the end", vm_query_field(big + 0x500000, Q_SIZE),
             0x100000);
    CHECK_EQ("long run: a reserved page in the middle of it",
             vm_query_field(big + 0x123456, Q_SIZE), 0x300000 - 0x123000);
    vm_release(big);
}

static void test_allocation_protect_and_type(void) {
    const ULONG_PTR r = vm_allocate(0, 0x2000, MEM_RESERVE, PAGE_EXECUTE_READ);
    vm_commit(r, 0x1000, PAGE_READWRITE);
    vm_set_protection(r, 0x1000, PAGE_READONLY);
    CHECK_EQ("AllocationProtect stays as reserved after commit and protect",
             vm_query_field(r, Q_ALLOCATION_PROTECT), PAGE_EXECUTE_READ);
    CHECK_EQ("AllocationProtect on the page left reserved",
             vm_query_field(r + 0x1000, Q_ALLOCATION_PROTECT), PAGE_EXECUTE_READ);
    CHECK_EQ("VirtualAlloc'd memory has Type PRIVATE", vm_query_field(r, Q_TYPE), MEM_PRIVATE);
    vm_release(r);

    const ULONG_PTR image = (ULONG_PTR)GetModuleHandleA(NULL);
    MEMORY_BASIC_INFORMATION info;
    CHECK_STATUS("the executable's image can be queried", nt_query(image, &info), NTS_SUCCESS);
    CHECK_EQ("image: Type IMAGE", info.Type, MEM_IMAGE);
    CHECK_EQ("image: AllocationBase is the module", (ULONG_PTR)info.AllocationBase, image);
    CHECK_EQ("image: State COMMIT", info.State, MEM_COMMIT);
    const ULONG_PTR code = (ULONG_PTR)&test_allocation_protect_and_type;
    CHECK_EQ("image code: Type IMAGE", vm_query_field(code, Q_TYPE), MEM_IMAGE);
    CHECK_EQ("image code: AllocationBase is the module", vm_query_field(code, Q_ALLOCATION_BASE),
             image);
}

int start(void) {
    test_arguments();
    test_free();
    test_regions();
    test_allocation_protect_and_type();
    return test_done();
}
