/* GetSystemInfo from the kernel's SystemBasicInformation, plus the processor's identity. */
#include <cpuid.h>

#include "kernel32_private.h"

/* wProcessorLevel is the CPUID family and wProcessorRevision is model:stepping, as Windows
 * reports them. Windows reads CPUID in its kernel; the instruction is unprivileged, so we
 * read it here rather than add a system-information class for it. */
static void identify_processor(WORD* level, WORD* revision) {
    unsigned int eax = 0;
    unsigned int ebx = 0;
    unsigned int ecx = 0;
    unsigned int edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        *level = 0;
        *revision = 0;
        return;
    }
    unsigned int stepping = eax & 0xF;
    unsigned int model = (eax >> 4) & 0xF;
    unsigned int family = (eax >> 8) & 0xF;
    unsigned int extended_model = (eax >> 16) & 0xF;
    unsigned int extended_family = (eax >> 20) & 0xFF;
    if (family == 0x6 || family == 0xF) {
        model += extended_model << 4;
    }
    if (family == 0xF) {
        family += extended_family;
    }
    *level = (WORD)family;
    *revision = (WORD)((model << 8) | stepping);
}

VOID GetSystemInfo(LPSYSTEM_INFO lpSystemInfo) {
    SYSTEM_BASIC_INFORMATION basic;
    NTSTATUS status = NtQuerySystemInformation(SystemBasicInformation, &basic, sizeof(basic), NULL);
    if (!NT_SUCCESS(status)) {
        /* Nothing to report: leave the caller's structure alone, as Wine does. */
        set_last_nt_error(status);
        return;
    }
    lpSystemInfo->u.s.wProcessorArchitecture = PROCESSOR_ARCHITECTURE_AMD64;
    lpSystemInfo->u.s.wReserved = 0;
    lpSystemInfo->dwPageSize = basic.PageSize;
    lpSystemInfo->lpMinimumApplicationAddress = (LPVOID)basic.MinimumUserModeAddress;
    lpSystemInfo->lpMaximumApplicationAddress = (LPVOID)basic.MaximumUserModeAddress;
    lpSystemInfo->dwActiveProcessorMask = basic.ActiveProcessorsAffinityMask;
    lpSystemInfo->dwNumberOfProcessors = (BYTE)basic.NumberOfProcessors;
    lpSystemInfo->dwProcessorType = PROCESSOR_AMD_X8664;
    lpSystemInfo->dwAllocationGranularity = basic.AllocationGranularity;
    identify_processor(&lpSystemInfo->wProcessorLevel, &lpSystemInfo->wProcessorRevision);
}

/* A 64-bit process sees the native system. */
VOID GetNativeSystemInfo(LPSYSTEM_INFO lpSystemInfo) {
    GetSystemInfo(lpSystemInfo);
}

DWORD ntoy_allocation_granularity(void) {
    static DWORD cached_granularity;
    DWORD granularity = __atomic_load_n(&cached_granularity, __ATOMIC_RELAXED);
    if (granularity == 0) {
        SYSTEM_BASIC_INFORMATION basic;
        if (NT_SUCCESS(
                NtQuerySystemInformation(SystemBasicInformation, &basic, sizeof(basic), NULL))) {
            granularity = basic.AllocationGranularity;
            __atomic_store_n(&cached_granularity, granularity, __ATOMIC_RELAXED);
        }
    }
    return granularity;
}
