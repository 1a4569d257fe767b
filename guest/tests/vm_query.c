/* NtQueryVirtualMemory(MemoryBasicInformation): argument errors, ReturnLength, and the
 * region it describes for free, reserved and committed memory, with AllocationProtect and
 * Type; then MemoryRegionInformation, MemoryImageInformation and MemoryWorkingSetExInformation
 * as Wine's test_query_region_information, test_query_image_information and
 * test_QueryWorkingSetEx show Windows answering them. See shared/spec/nt-virtual-memory.md. */
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

#define MEMORY_REGION_INFORMATION_CLASS 3
#define MEMORY_WORKING_SET_EX_INFORMATION_CLASS 4
#define MEMORY_IMAGE_INFORMATION_CLASS 6

/* MEMORY_REGION_INFORMATION, x64 (mingw-w64 has only the Win32 subset). */
typedef struct RegionInformation {
    ULONG_PTR AllocationBase;
    ULONG AllocationProtect;
    ULONG RegionType;
    SIZE_T RegionSize;
    SIZE_T CommitSize;
    ULONG_PTR PartitionId;
    ULONG_PTR NodePreference;
} RegionInformation;
#define REGION_OFFSET_REGION_SIZE 16
#define REGION_OFFSET_COMMIT_SIZE 24
#define REGION_OFFSET_PARTITION_ID 32

/* MEMORY_IMAGE_INFORMATION: ImagePartialMap is bit 0 of ImageFlags, ImageNotExecutable bit 1,
 * ImageSigningLevel bits 2-5. */
typedef struct ImageInformation {
    ULONG_PTR ImageBase;
    SIZE_T SizeOfImage;
    ULONG ImageFlags;
} ImageInformation;

static NTSTATUS query_class(ULONG_PTR address, ULONG info_class, void* buffer, SIZE_T length,
                            SIZE_T* returned) {
    return NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)address, info_class, buffer, length,
                                returned);
}

static void fill(void* buffer, SIZE_T length, unsigned char value) {
    unsigned char* bytes = (unsigned char*)buffer;
    for (SIZE_T i = 0; i < length; ++i) {
        bytes[i] = value;
    }
}

static void test_region_information(void) {
    RegionInformation info;
    SIZE_T len;
    ULONG_PTR r = vm_allocate(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
    CHECK_STATUS(
        "region info: length up to PartitionId is enough",
        query_class(r, MEMORY_REGION_INFORMATION_CLASS, &info, REGION_OFFSET_PARTITION_ID, &len),
        NTS_SUCCESS);
    CHECK_STATUS(
        "region info: length up to CommitSize is enough",
        query_class(r, MEMORY_REGION_INFORMATION_CLASS, &info, REGION_OFFSET_COMMIT_SIZE, &len),
        NTS_SUCCESS);
    CHECK_STATUS(
        "region info: length up to RegionSize gives INFO_LENGTH_MISMATCH",
        query_class(r, MEMORY_REGION_INFORMATION_CLASS, &info, REGION_OFFSET_REGION_SIZE, &len),
        NTS_INFO_LENGTH_MISMATCH);

    fill(&info, sizeof(info), 0x11);
    CHECK_STATUS("region info: reserved allocation",
                 query_class(r, MEMORY_REGION_INFORMATION_CLASS, &info, sizeof(info), &len),
                 NTS_SUCCESS);
    CHECK_EQ("region info: AllocationBase", info.AllocationBase, r);
    CHECK_EQ("region info: AllocationProtect", info.AllocationProtect, PAGE_READWRITE);
    CHECK_EQ("region info: RegionType has no flag set for private memory", info.RegionType, 0);
    CHECK_EQ("region info: RegionSize is the allocation's", info.RegionSize, 0x10000);
    CHECK_EQ("region info: nothing committed", info.CommitSize, 0);
    vm_release(r);

    r = vm_allocate(0, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    vm_set_protection(r + 0x1000, 0x1000, PAGE_NOACCESS);
    for (ULONG_PTR at = r; at <= r + 0x1000; at += 0x1000) {
        fill(&info, sizeof(info), 0x11);
        CHECK_STATUS("region info: committed allocation",
                     query_class(at, MEMORY_REGION_INFORMATION_CLASS, &info, sizeof(info), &len),
                     NTS_SUCCESS);
        CHECK_EQ("region info: same AllocationBase from any page", info.AllocationBase, r);
        CHECK_EQ("region info: the whole allocation, whatever its pages' protections",
                 info.RegionSize, 0x10000);
        CHECK_EQ("region info: CommitSize counts every committed page", info.CommitSize, 0x10000);
    }
    vm_decommit(r + 0x4000, 0x3000);
    query_class(r, MEMORY_REGION_INFORMATION_CLASS, &info, sizeof(info), &len);
    CHECK_EQ("region info: decommitted pages leave CommitSize", info.CommitSize, 0xD000);
    vm_release(r);

    fill(&info, sizeof(info), 0xCC);
    CHECK_STATUS("region info: a released allocation gives INVALID_ADDRESS",
                 query_class(r, MEMORY_REGION_INFORMATION_CLASS, &info, sizeof(info), &len),
                 NTS_INVALID_ADDRESS);
    CHECK_EQ("region info: INVALID_ADDRESS leaves the buffer alone", info.AllocationBase,
             0xCCCCCCCCCCCCCCCCull);
    CHECK_EQ("region info: INVALID_ADDRESS leaves RegionType alone", info.RegionType, 0xCCCCCCCC);

    const ULONG_PTR image = (ULONG_PTR)GetModuleHandleA(NULL);
    const IMAGE_NT_HEADERS* nt =
        (const IMAGE_NT_HEADERS*)(image + ((const IMAGE_DOS_HEADER*)image)->e_lfanew);
    CHECK_STATUS(
        "region info: the executable's image",
        query_class(image + 0x1234, MEMORY_REGION_INFORMATION_CLASS, &info, sizeof(info), &len),
        NTS_SUCCESS);
    CHECK_EQ("region info: image AllocationBase", info.AllocationBase, image);
    CHECK_EQ("region info: image AllocationProtect", info.AllocationProtect,
             PAGE_EXECUTE_WRITECOPY);
    CHECK_EQ("region info: image RegionSize is the whole image", info.RegionSize,
             (nt->OptionalHeader.SizeOfImage + 0xFFF) & ~(SIZE_T)0xFFF);
}

extern ULONG_PTR __imp_NtQueryVirtualMemory;

static void test_image_information(void) {
    ImageInformation info;
    SIZE_T len;
    const SIZE_T size = 0x8000;
    const ULONG_PTR r = vm_allocate(0, size, MEM_RESERVE, PAGE_READWRITE);

    len = 0xDEAD;
    fill(&info, sizeof(info), 0xCC);
    CHECK_STATUS("image info: private memory succeeds",
                 query_class(r, MEMORY_IMAGE_INFORMATION_CLASS, &info, sizeof(info), &len),
                 NTS_SUCCESS);
    CHECK_DEC("image info: ReturnLength is the structure's", len, sizeof(info));
    CHECK_EQ("image info: private memory has no ImageBase", info.ImageBase, 0);
    CHECK_EQ("image info: private memory has no SizeOfImage", info.SizeOfImage, 0);
    CHECK_EQ("image info: private memory has no flags", info.ImageFlags, 0);
    len = 0xDEAD;
    CHECK_STATUS("image info: a longer buffer is fine",
                 query_class(r, MEMORY_IMAGE_INFORMATION_CLASS, &info, sizeof(info) + 2, &len),
                 NTS_SUCCESS);
    CHECK_DEC("image info: a longer buffer: ReturnLength is still the structure's", len,
              sizeof(info));
    len = 0xDEAD;
    CHECK_STATUS("image info: a shorter buffer gives INFO_LENGTH_MISMATCH",
                 query_class(r, MEMORY_IMAGE_INFORMATION_CLASS, &info, sizeof(info) - 1, &len),
                 NTS_INFO_LENGTH_MISMATCH);
    CHECK_EQ("image info: INFO_LENGTH_MISMATCH leaves ReturnLength", len, 0xDEAD);
    CHECK_STATUS("image info: free memory gives INVALID_ADDRESS",
                 query_class(r + size, MEMORY_IMAGE_INFORMATION_CLASS, &info, sizeof(info), &len),
                 NTS_INVALID_ADDRESS);
    CHECK_EQ("image info: INVALID_ADDRESS leaves ReturnLength", len, 0xDEAD);
    vm_release(r);

    /* The executable, ntdll and kernel32, each found as the allocation holding code of it
     * (for ntdll, the import address table entry: &NtQueryVirtualMemory is the executable's
     * own import thunk). */
    const ULONG_PTR code[] = {(ULONG_PTR)&test_image_information, __imp_NtQueryVirtualMemory,
                              (ULONG_PTR)&VirtualAlloc};
    for (int i = 0; i < 3; ++i) {
        const ULONG_PTR module = vm_query_field(code[i], Q_ALLOCATION_BASE);
        const IMAGE_NT_HEADERS* nt =
            (const IMAGE_NT_HEADERS*)(module + ((const IMAGE_DOS_HEADER*)module)->e_lfanew);
        fill(&info, sizeof(info), 0xCC);
        CHECK_STATUS(
            "image info: a mapped image",
            query_class(module + 0x1234, MEMORY_IMAGE_INFORMATION_CLASS, &info, sizeof(info), &len),
            NTS_SUCCESS);
        CHECK_EQ("image info: ImageBase is the module", info.ImageBase, module);
        CHECK_EQ("image info: SizeOfImage as in its header", info.SizeOfImage,
                 nt->OptionalHeader.SizeOfImage);
        CHECK_EQ("image info: not a partial map, not non-executable", info.ImageFlags & 3, 0);
        const ULONG signing = (info.ImageFlags >> 2) & 0xF;
        CHECK_TRUE("image info: signing level 0 or 12", signing == 0 || signing == 12);
    }
}

/* MEMORY_WORKING_SET_EX_INFORMATION: the address in, the page's attributes out. */
typedef struct WorkingSetEx {
    ULONG_PTR VirtualAddress;
    ULONG_PTR Attributes;
} WorkingSetEx;
#define WS_VALID(a) ((a)&1)
#define WS_SHARE_COUNT(a) (((a) >> 1) & 7)
#define WS_PROTECTION(a) (((a) >> 4) & 0x7FF)
#define WS_SHARED(a) (((a) >> 15) & 1)
#define WS_NODE(a) (((a) >> 16) & 0x3F)
#define WS_LOCKED(a) (((a) >> 22) & 1)
#define WS_LARGE_PAGE(a) (((a) >> 23) & 1)

static char ws_name[160];

static void check_working_set(const char* what, ULONG_PTR attributes, ULONG_PTR valid,
                              ULONG_PTR protection, ULONG_PTR shared) {
    CHECK_EQ(test_name(ws_name, sizeof(ws_name), what, ": Valid"), WS_VALID(attributes), valid);
    CHECK_EQ(test_name(ws_name, sizeof(ws_name), what, ": Win32Protection"),
             WS_PROTECTION(attributes), protection);
    CHECK_EQ(test_name(ws_name, sizeof(ws_name), what, ": Shared"), WS_SHARED(attributes), shared);
    CHECK_EQ(test_name(ws_name, sizeof(ws_name), what, ": ShareCount"),
             WS_SHARE_COUNT(attributes) > 0, valid && shared);
    CHECK_EQ(test_name(ws_name, sizeof(ws_name), what, ": Node, Locked, LargePage"),
             WS_NODE(attributes) | WS_LOCKED(attributes) | WS_LARGE_PAGE(attributes), 0);
}

static ULONG_PTR working_set(ULONG_PTR address) {
    WorkingSetEx entry = {address, 0x4141414141414141ull};
    if (query_class(0, MEMORY_WORKING_SET_EX_INFORMATION_CLASS, &entry, sizeof(entry), NULL) !=
        NTS_SUCCESS) {
        return ~(ULONG_PTR)0;
    }
    return entry.Attributes;
}

static void test_working_set_ex(void) {
    WorkingSetEx entries[4];
    SIZE_T len = 0xDEAD;
    fill(entries, sizeof(entries), 0);
    CHECK_STATUS("working set: length 0 gives INFO_LENGTH_MISMATCH",
                 query_class(0, MEMORY_WORKING_SET_EX_INFORMATION_CLASS, entries, 0, &len),
                 NTS_INFO_LENGTH_MISMATCH);
    CHECK_EQ("working set: INFO_LENGTH_MISMATCH leaves ReturnLength", len, 0xDEAD);
    CHECK_STATUS("working set: one and a half entries succeed",
                 query_class(0, MEMORY_WORKING_SET_EX_INFORMATION_CLASS, entries,
                             sizeof(entries[0]) + sizeof(entries[0]) / 2, &len),
                 NTS_SUCCESS);
    CHECK_EQ("working set: NULL is not valid", WS_VALID(entries[0].Attributes), 0);
    CHECK_DEC("working set: ReturnLength is the length passed", len,
              sizeof(entries[0]) + sizeof(entries[0]) / 2);

    /* Image pages are shared until they are written. */
    ULONG_PTR exe = (ULONG_PTR)GetModuleHandleA(NULL);
    volatile unsigned char sink = *(volatile unsigned char*)exe;
    (void)sink;
    check_working_set("exe header", working_set(exe), 1, PAGE_READONLY, 1);
    ULONG old = 0;
    CHECK_TRUE("working set: the exe header can be protected NOACCESS",
               VirtualProtect((void*)exe, 0x1000, PAGE_NOACCESS, &old));
    check_working_set("exe header, NOACCESS", working_set(exe), 0, 0, 1);
    VirtualProtect((void*)exe, 0x1000, old, &old);
    check_working_set("exe header, READONLY again, untouched", working_set(exe), 0, 0, 1);
    sink = *(volatile unsigned char*)exe;
    check_working_set("exe header, READONLY again", working_set(exe), 1, PAGE_READONLY, 1);

    unsigned char* p =
        (unsigned char*)VirtualAlloc(NULL, 0x2000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    check_working_set("private, untouched", working_set((ULONG_PTR)p), 0, 0, 0);
    sink = *(volatile unsigned char*)p;
    check_working_set("private, read", working_set((ULONG_PTR)p), 1, PAGE_READWRITE, 0);
    *(volatile unsigned char*)p = 0x42;
    check_working_set("private, written", working_set((ULONG_PTR)p), 1, PAGE_READWRITE, 0);
    VirtualProtect(p, 0x1000, PAGE_NOACCESS, &old);
    check_working_set("private, NOACCESS", working_set((ULONG_PTR)p), 0, 0, 0);
    VirtualProtect(p, 0x1000, PAGE_READWRITE, &old);
    check_working_set("private, READWRITE again, untouched", working_set((ULONG_PTR)p), 0, 0, 0);
    sink = *(volatile unsigned char*)p;
    check_working_set("private, READWRITE again", working_set((ULONG_PTR)p), 1, PAGE_READWRITE, 0);

    unsigned char* q =
        (unsigned char*)VirtualAlloc(NULL, 0x2000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    q[0x1000] = 1;
    entries[1].VirtualAddress = (ULONG_PTR)p;
    entries[0].VirtualAddress = (ULONG_PTR)p + 0x1000;
    entries[3].VirtualAddress = (ULONG_PTR)q;
    entries[2].VirtualAddress = (ULONG_PTR)q + 0x1000;
    CHECK_STATUS(
        "working set: four entries at once",
        query_class(0, MEMORY_WORKING_SET_EX_INFORMATION_CLASS, entries, sizeof(entries), NULL),
        NTS_SUCCESS);
    check_working_set("entry 1 (touched)", entries[1].Attributes, 1, PAGE_READWRITE, 0);
    check_working_set("entry 0 (untouched)", entries[0].Attributes, 0, 0, 0);
    check_working_set("entry 3 (untouched)", entries[3].Attributes, 0, 0, 0);
    check_working_set("entry 2 (written)", entries[2].Attributes, 1, PAGE_READWRITE, 0);
    CHECK_EQ("working set: the addresses are left as passed", entries[2].VirtualAddress,
             (ULONG_PTR)q + 0x1000);

    VirtualFree(p, 0, MEM_RELEASE);
    check_working_set("released", working_set((ULONG_PTR)p), 0, 0, 0);
    VirtualFree(q, 0, MEM_RELEASE);
    query_class(0, MEMORY_WORKING_SET_EX_INFORMATION_CLASS, entries, sizeof(entries), NULL);
    check_working_set("released, entry 2", entries[2].Attributes, 0, 0, 0);
}

int start(void) {
    test_arguments();
    test_free();
    test_regions();
    test_allocation_protect_and_type();
    test_region_information();
    test_image_information();
    test_working_set_ex();
    return test_done();
}
