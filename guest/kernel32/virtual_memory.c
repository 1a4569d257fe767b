/* The Virtual* functions: the Win32 rules on top of the Nt virtual-memory calls. The plain
 * forms act on the current process through its pseudo-handle. Every failure sets the last
 * error, mapped from the NTSTATUS the way Windows maps it. */
#include "kernel32_private.h"

LPVOID VirtualAllocEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType,
                      DWORD flProtect) {
    /* Windows refuses addresses inside the first allocation-granularity unit here, before
     * the kernel sees them. */
    if (lpAddress != NULL && (ULONG_PTR)lpAddress < ntoy_allocation_granularity()) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    PVOID base = lpAddress;
    SIZE_T size = dwSize;
    NTSTATUS status =
        NtAllocateVirtualMemory(hProcess, &base, 0, &size, flAllocationType, flProtect);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return NULL;
    }
    return base;
}

LPVOID VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType, DWORD flProtect) {
    return VirtualAllocEx(NtCurrentProcess(), lpAddress, dwSize, flAllocationType, flProtect);
}

BOOL VirtualFreeEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType) {
    /* MEM_RELEASE frees a whole allocation, so Windows insists the size be 0 (meaning "all
     * of it") and fails any other without asking the kernel. Any type other than exactly
     * one of the two is invalid as well. */
    if ((dwFreeType != MEM_DECOMMIT && dwFreeType != MEM_RELEASE) ||
        (dwFreeType == MEM_RELEASE && dwSize != 0)) {
        set_last_nt_error(STATUS_INVALID_PARAMETER);
        return FALSE;
    }
    PVOID base = lpAddress;
    SIZE_T size = dwSize;
    NTSTATUS status = NtFreeVirtualMemory(hProcess, &base, &size, dwFreeType);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    return TRUE;
}

BOOL VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType) {
    return VirtualFreeEx(NtCurrentProcess(), lpAddress, dwSize, dwFreeType);
}

BOOL VirtualProtectEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect,
                      PDWORD lpflOldProtect) {
    /* lpflOldProtect goes to the kernel as given: a NULL one fails there with
     * STATUS_ACCESS_VIOLATION (ERROR_NOACCESS) when the kernel probes it, as on Windows. */
    PVOID base = lpAddress;
    SIZE_T size = dwSize;
    NTSTATUS status = NtProtectVirtualMemory(hProcess, &base, &size, flNewProtect, lpflOldProtect);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    return TRUE;
}

BOOL VirtualProtect(LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect, PDWORD lpflOldProtect) {
    return VirtualProtectEx(NtCurrentProcess(), lpAddress, dwSize, flNewProtect, lpflOldProtect);
}

SIZE_T VirtualQueryEx(HANDLE hProcess, LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer,
                      SIZE_T dwLength) {
    SIZE_T bytes_written = 0;
    NTSTATUS status = NtQueryVirtualMemory(hProcess, (PVOID)lpAddress, MemoryBasicInformation,
                                           lpBuffer, dwLength, &bytes_written);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return 0;
    }
    return bytes_written;
}

SIZE_T VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer, SIZE_T dwLength) {
    return VirtualQueryEx(NtCurrentProcess(), lpAddress, lpBuffer, dwLength);
}

/* A range that runs into an invalid page fails with ERROR_PARTIAL_COPY, and the count says
 * how much was copied before it, as on Windows. */
BOOL ReadProcessMemory(HANDLE hProcess, LPCVOID lpBaseAddress, LPVOID lpBuffer, SIZE_T nSize,
                       SIZE_T* lpNumberOfBytesRead) {
    SIZE_T copied = 0;
    NTSTATUS status = NtReadVirtualMemory(hProcess, (PVOID)lpBaseAddress, lpBuffer, nSize, &copied);
    if (lpNumberOfBytesRead != NULL) {
        *lpNumberOfBytesRead = copied;
    }
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    return TRUE;
}

static BOOL is_writable(ULONG protect) {
    return (protect & (PAGE_READWRITE | PAGE_WRITECOPY | PAGE_EXECUTE_READWRITE |
                       PAGE_EXECUTE_WRITECOPY)) != 0;
}

/* As Windows: the pages are made writable for the copy if they are not (a debugger patching
 * code, say) and given their protection back after it; pages that allow no access at all, or
 * only reading, refuse the write with ERROR_NOACCESS. Changing the protection needs
 * PROCESS_VM_OPERATION and the copy PROCESS_VM_WRITE, as there. */
BOOL WriteProcessMemory(HANDLE hProcess, LPVOID lpBaseAddress, LPCVOID lpBuffer, SIZE_T nSize,
                        SIZE_T* lpNumberOfBytesWritten) {
    if (lpNumberOfBytesWritten != NULL) {
        *lpNumberOfBytesWritten = 0;
    }
    PVOID base = lpBaseAddress;
    SIZE_T size = nSize;
    ULONG old_protect = 0;
    NTSTATUS status =
        NtProtectVirtualMemory(hProcess, &base, &size, PAGE_EXECUTE_READWRITE, &old_protect);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    BOOL restore_after = !is_writable(old_protect);
    if (!restore_after || (old_protect & (PAGE_NOACCESS | PAGE_READONLY)) != 0) {
        ULONG ignored = 0;
        NtProtectVirtualMemory(hProcess, &base, &size, old_protect, &ignored);
        if (restore_after) {
            RtlSetLastWin32Error(ERROR_NOACCESS);
            return FALSE;
        }
    }
    SIZE_T copied = 0;
    status = NtWriteVirtualMemory(hProcess, lpBaseAddress, (PVOID)lpBuffer, nSize, &copied);
    if (restore_after) {
        ULONG ignored = 0;
        NtProtectVirtualMemory(hProcess, &base, &size, old_protect, &ignored);
    }
    if (lpNumberOfBytesWritten != NULL) {
        *lpNumberOfBytesWritten = copied;
    }
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    return TRUE;
}
