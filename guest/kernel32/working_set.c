/* Working sets: locking pages in one (VirtualLock, VirtualUnlock), a process's limits
 * (SetProcessWorkingSetSize[Ex], GetProcessWorkingSetSize[Ex]) and emptying one
 * (K32EmptyWorkingSet), over NtLockVirtualMemory, NtUnlockVirtualMemory and the
 * ProcessQuotaLimits class, as kernelbase builds them. */
#include "kernel32_private.h"

static BOOL fail_with(NTSTATUS status) {
    set_last_nt_error(status);
    return FALSE;
}

BOOL VirtualLock(LPVOID lpAddress, SIZE_T dwSize) {
    PVOID base = lpAddress;
    SIZE_T size = dwSize;
    NTSTATUS status = NtLockVirtualMemory(NtCurrentProcess(), &base, &size, MAP_PROCESS);
    return NT_SUCCESS(status) ? TRUE : fail_with(status);
}

BOOL VirtualUnlock(LPVOID lpAddress, SIZE_T dwSize) {
    PVOID base = lpAddress;
    SIZE_T size = dwSize;
    NTSTATUS status = NtUnlockVirtualMemory(NtCurrentProcess(), &base, &size, MAP_PROCESS);
    return NT_SUCCESS(status) ? TRUE : fail_with(status);
}

BOOL SetProcessWorkingSetSizeEx(HANDLE hProcess, SIZE_T dwMinimumWorkingSetSize,
                                SIZE_T dwMaximumWorkingSetSize, DWORD Flags) {
    /* Zero for either is refused here; (SIZE_T)-1 for both empties the working set. */
    if (dwMinimumWorkingSetSize == 0 || dwMaximumWorkingSetSize == 0) {
        return fail_with(STATUS_INVALID_PARAMETER);
    }
    QUOTA_LIMITS_EX limits = {0};
    limits.MinimumWorkingSetSize = dwMinimumWorkingSetSize;
    limits.MaximumWorkingSetSize = dwMaximumWorkingSetSize;
    limits.Flags = Flags;
    NTSTATUS status =
        NtSetInformationProcess(hProcess, ProcessQuotaLimits, &limits, sizeof(limits));
    return NT_SUCCESS(status) ? TRUE : fail_with(status);
}

BOOL SetProcessWorkingSetSize(HANDLE hProcess, SIZE_T dwMinimumWorkingSetSize,
                              SIZE_T dwMaximumWorkingSetSize) {
    return SetProcessWorkingSetSizeEx(hProcess, dwMinimumWorkingSetSize, dwMaximumWorkingSetSize,
                                      0);
}

BOOL GetProcessWorkingSetSizeEx(HANDLE hProcess, PSIZE_T lpMinimumWorkingSetSize,
                                PSIZE_T lpMaximumWorkingSetSize, PDWORD Flags) {
    QUOTA_LIMITS_EX limits;
    NTSTATUS status =
        NtQueryInformationProcess(hProcess, ProcessQuotaLimits, &limits, sizeof(limits), NULL);
    if (!NT_SUCCESS(status)) {
        return fail_with(status);
    }
    *lpMinimumWorkingSetSize = limits.MinimumWorkingSetSize;
    *lpMaximumWorkingSetSize = limits.MaximumWorkingSetSize;
    *Flags = limits.Flags;
    return TRUE;
}

BOOL GetProcessWorkingSetSize(HANDLE hProcess, PSIZE_T lpMinimumWorkingSetSize,
                              PSIZE_T lpMaximumWorkingSetSize) {
    DWORD flags;
    return GetProcessWorkingSetSizeEx(hProcess, lpMinimumWorkingSetSize, lpMaximumWorkingSetSize,
                                      &flags);
}

BOOL K32EmptyWorkingSet(HANDLE hProcess) {
    return SetProcessWorkingSetSize(hProcess, (SIZE_T)-1, (SIZE_T)-1);
}
