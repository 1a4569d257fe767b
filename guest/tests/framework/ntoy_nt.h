/* The Nt virtual-memory calls as a guest calls them from mingw-w64's libntdll.a, the status
 * values of shared/spec/nt-virtual-memory.md, and thin wrappers for the common cases. The
 * NTS_ names avoid clashing with the STATUS_ values <windows.h> defines for a few of them. */
#ifndef NTOY_TESTS_FRAMEWORK_NTOY_NT_H
#define NTOY_TESTS_FRAMEWORK_NTOY_NT_H

#include <windows.h>

NTSTATUS NTAPI NtAllocateVirtualMemory(HANDLE process, PVOID* base, ULONG_PTR zero_bits,
                                       PSIZE_T size, ULONG type, ULONG protect);
NTSTATUS NTAPI NtFreeVirtualMemory(HANDLE process, PVOID* base, PSIZE_T size, ULONG type);
NTSTATUS NTAPI NtProtectVirtualMemory(HANDLE process, PVOID* base, PSIZE_T size, ULONG new_protect,
                                      PULONG old_protect);
NTSTATUS NTAPI NtQueryVirtualMemory(HANDLE process, PVOID address, ULONG info_class, PVOID buffer,
                                    SIZE_T length, PSIZE_T return_length);

#define NT_CURRENT_PROCESS ((HANDLE)(LONG_PTR)-1)
/* Not a handle the process has: neither the pseudo-handle nor an open handle. */
#define NT_BOGUS_HANDLE ((HANDLE)(ULONG_PTR)0x1234)

#define NTS_SUCCESS 0x00000000u
#define NTS_GUARD_PAGE_VIOLATION 0x80000001u
#define NTS_BREAKPOINT 0x80000003u
#define NTS_INVALID_INFO_CLASS 0xC0000003u
#define NTS_INFO_LENGTH_MISMATCH 0xC0000004u
#define NTS_ACCESS_VIOLATION 0xC0000005u
#define NTS_INVALID_HANDLE 0xC0000008u
#define NTS_INVALID_PARAMETER 0xC000000Du
#define NTS_NO_MEMORY 0xC0000017u
#define NTS_CONFLICTING_ADDRESSES 0xC0000018u
#define NTS_UNABLE_TO_FREE_VM 0xC000001Au
#define NTS_ILLEGAL_INSTRUCTION 0xC000001Du
#define NTS_ALREADY_COMMITTED 0xC0000021u
#define NTS_NOT_COMMITTED 0xC000002Du
#define NTS_INVALID_PAGE_PROTECTION 0xC0000045u
#define NTS_INTEGER_DIVIDE_BY_ZERO 0xC0000094u
#define NTS_FREE_VM_NOT_AT_BASE 0xC000009Fu
#define NTS_MEMORY_NOT_ALLOCATED 0xC00000A0u
#define NTS_COMMITMENT_LIMIT 0xC000012Du
#define NTS_INVALID_PARAMETER_2 0xC00000F0u
#define NTS_INVALID_PARAMETER_3 0xC00000F1u
#define NTS_INVALID_PARAMETER_4 0xC00000F2u
#define NTS_INVALID_PARAMETER_5 0xC00000F3u
#define NTS_INVALID_PARAMETER_6 0xC00000F4u
#define NTS_STACK_OVERFLOW 0xC00000FDu
#define NTS_INVALID_ADDRESS 0xC0000141u

#define TEST_PAGE 0x1000ull
#define TEST_GRANULE 0x10000ull
/* Never user memory on any x64 Windows: the start of system space, and a page in it. */
#define TEST_SYSTEM_ADDRESS 0xFFFF800000001000ull

static inline NTSTATUS nt_alloc(ULONG_PTR* base, SIZE_T* size, ULONG type, ULONG protect) {
    return NtAllocateVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)base, 0, size, type, protect);
}

static inline NTSTATUS nt_free(ULONG_PTR* base, SIZE_T* size, ULONG type) {
    return NtFreeVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)base, size, type);
}

static inline NTSTATUS nt_protect(ULONG_PTR* base, SIZE_T* size, ULONG protect, ULONG* old) {
    return NtProtectVirtualMemory(NT_CURRENT_PROCESS, (PVOID*)base, size, protect, old);
}

static inline NTSTATUS nt_query(ULONG_PTR address, MEMORY_BASIC_INFORMATION* info) {
    return NtQueryVirtualMemory(NT_CURRENT_PROCESS, (PVOID)address, 0, info, sizeof(*info), NULL);
}

/* Reserves (TYPE MEM_RESERVE) or reserves and commits at BASE (0: anywhere); 0 on failure. */
static inline ULONG_PTR vm_allocate(ULONG_PTR base, SIZE_T size, ULONG type, ULONG protect) {
    ULONG_PTR at = base;
    SIZE_T bytes = size;
    return nt_alloc(&at, &bytes, type, protect) == NTS_SUCCESS ? at : 0;
}

static inline NTSTATUS vm_commit(ULONG_PTR base, SIZE_T size, ULONG protect) {
    return nt_alloc(&base, &size, MEM_COMMIT, protect);
}

static inline NTSTATUS vm_decommit(ULONG_PTR base, SIZE_T size) {
    return nt_free(&base, &size, MEM_DECOMMIT);
}

static inline NTSTATUS vm_release(ULONG_PTR base) {
    SIZE_T size = 0;
    return nt_free(&base, &size, MEM_RELEASE);
}

static inline NTSTATUS vm_set_protection(ULONG_PTR base, SIZE_T size, ULONG protect) {
    ULONG old = 0;
    return nt_protect(&base, &size, protect, &old);
}

/* One field of the query at ADDRESS; ~0 if the query fails. */
typedef enum QueryField {
    Q_BASE,
    Q_ALLOCATION_BASE,
    Q_ALLOCATION_PROTECT,
    Q_SIZE,
    Q_STATE,
    Q_PROTECT,
    Q_TYPE,
} QueryField;

static inline ULONG_PTR vm_query_field(ULONG_PTR address, QueryField field) {
    MEMORY_BASIC_INFORMATION info;
    if (nt_query(address, &info) != NTS_SUCCESS) {
        return ~(ULONG_PTR)0;
    }
    switch (field) {
        case Q_BASE:
            return (ULONG_PTR)info.BaseAddress;
        case Q_ALLOCATION_BASE:
            return (ULONG_PTR)info.AllocationBase;
        case Q_ALLOCATION_PROTECT:
            return info.AllocationProtect;
        case Q_SIZE:
            return info.RegionSize;
        case Q_STATE:
            return info.State;
        case Q_PROTECT:
            return info.Protect;
        case Q_TYPE:
            return info.Type;
    }
    return ~(ULONG_PTR)0;
}

/* The highest user address, from GetSystemInfo, so that checks relative to it hold on any
 * machine (ntoy's user space is smaller than Windows'). */
static inline ULONG_PTR vm_highest_user_address(void) {
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    return (ULONG_PTR)info.lpMaximumApplicationAddress;
}

#endif
