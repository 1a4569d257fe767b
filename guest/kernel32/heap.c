/* kernel32's heaps, critical sections and RaiseException over ntdll's, with Windows' Win32
 * rules: HeapCreate's sizes, HeapWalk's PROCESS_HEAP_ENTRY, the Local and Global functions
 * on the process heap, and the last errors they set. HeapAlloc, HeapReAlloc, HeapSize and
 * the plain critical-section calls are forwarded to ntdll in kernel32.def, as on Windows.
 *
 * Local and Global memory is fixed memory only: LMEM_MOVEABLE and GMEM_MOVEABLE blocks are
 * handles that LocalLock/GlobalLock turn into pointers, and ntoy has no such handles, so
 * asking for one fails with ERROR_NOT_SUPPORTED (and LocalLock and friends are not
 * exported). */
#include "kernel32_private.h"

/* ---- Critical sections --------------------------------------------------------------------- */

BOOL InitializeCriticalSectionAndSpinCount(LPCRITICAL_SECTION lpCriticalSection,
                                           DWORD dwSpinCount) {
    RtlInitializeCriticalSectionAndSpinCount(lpCriticalSection, dwSpinCount);
    return TRUE;
}

BOOL InitializeCriticalSectionEx(LPCRITICAL_SECTION lpCriticalSection, DWORD dwSpinCount,
                                 DWORD Flags) {
    NTSTATUS status = RtlInitializeCriticalSectionEx(lpCriticalSection, dwSpinCount, Flags);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    return TRUE;
}

BOOL TryEnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection) {
    return RtlTryEnterCriticalSection(lpCriticalSection);
}

/* ---- Exceptions ---------------------------------------------------------------------------- */

/* As Windows: only EXCEPTION_NONCONTINUABLE of the flags is kept, the arguments are ignored
 * when there is no array and cut to EXCEPTION_MAXIMUM_PARAMETERS, and the exception comes
 * from here (its address is in RaiseException, after the call to RtlRaiseException). */
VOID RaiseException(DWORD dwExceptionCode, DWORD dwExceptionFlags, DWORD nNumberOfArguments,
                    const ULONG_PTR* lpArguments) {
    EXCEPTION_RECORD record;
    record.ExceptionCode = dwExceptionCode;
    record.ExceptionFlags = dwExceptionFlags & EXCEPTION_NONCONTINUABLE;
    record.ExceptionRecord = NULL;
    record.ExceptionAddress = (PVOID)RaiseException;
    record.NumberParameters = 0;
    if (lpArguments != NULL) {
        if (nNumberOfArguments > EXCEPTION_MAXIMUM_PARAMETERS) {
            nNumberOfArguments = EXCEPTION_MAXIMUM_PARAMETERS;
        }
        record.NumberParameters = nNumberOfArguments;
        for (DWORD i = 0; i < nNumberOfArguments; ++i) {
            record.ExceptionInformation[i] = lpArguments[i];
        }
    }
    RtlRaiseException(&record);
}

/* ---- Heaps ------------------------------------------------------------------------------- */

HANDLE HeapCreate(DWORD flOptions, SIZE_T dwInitialSize, SIZE_T dwMaximumSize) {
    ULONG flags =
        (flOptions & (HEAP_GENERATE_EXCEPTIONS | HEAP_NO_SERIALIZE | HEAP_CREATE_ENABLE_EXECUTE)) |
        HEAP_CLASS_1;
    if (dwMaximumSize == 0) {
        flags |= HEAP_GROWABLE;
    } else if (dwInitialSize > dwMaximumSize) {
        dwMaximumSize = dwInitialSize;
    }
    HANDLE heap = RtlCreateHeap(flags, NULL, dwMaximumSize, dwInitialSize, NULL, NULL);
    if (heap == NULL) {
        RtlSetLastWin32Error(ERROR_NOT_ENOUGH_MEMORY);
    }
    return heap;
}

BOOL HeapDestroy(HANDLE hHeap) {
    if (RtlDestroyHeap(hHeap) == NULL) {
        return TRUE;
    }
    RtlSetLastWin32Error(ERROR_INVALID_HANDLE);
    return FALSE;
}

BOOL HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem) {
    return RtlFreeHeap(hHeap, dwFlags, lpMem);
}

BOOL HeapValidate(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem) {
    return RtlValidateHeap(hHeap, dwFlags, (PVOID)lpMem);
}

BOOL HeapLock(HANDLE hHeap) {
    return RtlLockHeap(hHeap);
}

BOOL HeapUnlock(HANDLE hHeap) {
    return RtlUnlockHeap(hHeap);
}

HANDLE GetProcessHeap(VOID) {
    return NTOY_FIELD(ntoy_current_peb(), NTOY_PEB_PROCESS_HEAP, HANDLE);
}

DWORD GetProcessHeaps(DWORD NumberOfHeaps, PHANDLE ProcessHeaps) {
    return RtlGetProcessHeaps(NumberOfHeaps, ProcessHeaps);
}

/* kernelbase's translation between PROCESS_HEAP_ENTRY and ntdll's RTL_HEAP_WALK_ENTRY. */
BOOL HeapWalk(HANDLE hHeap, LPPROCESS_HEAP_ENTRY lpEntry) {
    RTL_HEAP_WALK_ENTRY entry;
    memset(&entry, 0, sizeof(entry));
    entry.DataAddress = lpEntry->lpData;
    if (lpEntry->lpData != NULL) {
        entry.DataSize = lpEntry->cbData;
        entry.OverheadBytes = lpEntry->cbOverhead;
        entry.SegmentIndex = lpEntry->iRegionIndex;
        if ((lpEntry->wFlags & PROCESS_HEAP_REGION) != 0) {
            entry.Flags = RTL_HEAP_SEGMENT;
        } else if ((lpEntry->wFlags & PROCESS_HEAP_UNCOMMITTED_RANGE) != 0) {
            entry.Flags = RTL_HEAP_UNCOMMITTED_RANGE;
        } else if ((lpEntry->wFlags & PROCESS_HEAP_ENTRY_BUSY) != 0) {
            entry.Flags = RTL_HEAP_BUSY;
        }
    }
    NTSTATUS status = RtlWalkHeap(hHeap, &entry);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    lpEntry->lpData = entry.DataAddress;
    lpEntry->cbData = (DWORD)entry.DataSize;
    lpEntry->cbOverhead = entry.OverheadBytes;
    lpEntry->iRegionIndex = entry.SegmentIndex;
    memset(&lpEntry->u, 0, sizeof(lpEntry->u));
    if ((entry.Flags & RTL_HEAP_BUSY) != 0) {
        lpEntry->wFlags = PROCESS_HEAP_ENTRY_BUSY;
    } else if ((entry.Flags & RTL_HEAP_SEGMENT) != 0) {
        lpEntry->wFlags = PROCESS_HEAP_REGION;
        lpEntry->u.Region.dwCommittedSize = entry.u.Segment.CommittedSize;
        lpEntry->u.Region.dwUnCommittedSize = entry.u.Segment.UnCommittedSize;
        lpEntry->u.Region.lpFirstBlock = entry.u.Segment.FirstEntry;
        lpEntry->u.Region.lpLastBlock = entry.u.Segment.LastEntry;
    } else if ((entry.Flags & RTL_HEAP_UNCOMMITTED_RANGE) != 0) {
        lpEntry->wFlags = PROCESS_HEAP_UNCOMMITTED_RANGE;
    } else {
        lpEntry->wFlags = 0;
    }
    return TRUE;
}

/* ---- Local and Global memory: fixed blocks on the process heap ------------------------------ */

/* The two families are the same on Win32; VALID is each one's set of flags. */
static HANDLE memory_alloc(UINT flags, SIZE_T bytes, UINT valid) {
    if ((flags & ~valid) != 0) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    if ((flags & LMEM_MOVEABLE) != 0) {
        RtlSetLastWin32Error(ERROR_NOT_SUPPORTED);
        return NULL;
    }
    return RtlAllocateHeap(GetProcessHeap(), (flags & LMEM_ZEROINIT) != 0 ? HEAP_ZERO_MEMORY : 0,
                           bytes);
}

static HANDLE memory_free(HANDLE memory) {
    if (memory == NULL || RtlFreeHeap(GetProcessHeap(), 0, memory)) {
        return NULL;
    }
    RtlSetLastWin32Error(ERROR_INVALID_HANDLE);
    return memory;
}

/* A fixed block moves only when the caller allows it (LMEM_MOVEABLE); LMEM_MODIFY without
 * LMEM_MOVEABLE changes nothing a fixed block has; with it, it would make the block a handle. */
static HANDLE memory_realloc(HANDLE memory, SIZE_T bytes, UINT flags, UINT valid) {
    if ((flags & ~(valid | LMEM_MODIFY)) != 0) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    if ((flags & LMEM_MODIFY) != 0) {
        if ((flags & LMEM_MOVEABLE) != 0) {
            RtlSetLastWin32Error(ERROR_NOT_SUPPORTED);
            return NULL;
        }
        return memory;
    }
    ULONG heap_flags = ((flags & LMEM_ZEROINIT) != 0 ? HEAP_ZERO_MEMORY : 0) |
                       ((flags & LMEM_MOVEABLE) != 0 ? 0 : HEAP_REALLOC_IN_PLACE_ONLY);
    return RtlReAllocateHeap(GetProcessHeap(), heap_flags, memory, bytes);
}

static SIZE_T memory_size(HANDLE memory) {
    SIZE_T size = RtlSizeHeap(GetProcessHeap(), 0, memory);
    if (size == (SIZE_T)-1) {
        RtlSetLastWin32Error(ERROR_INVALID_HANDLE);
        return 0;
    }
    return size;
}

HLOCAL LocalAlloc(UINT uFlags, SIZE_T uBytes) {
    return memory_alloc(uFlags, uBytes, LMEM_VALID_FLAGS);
}

HLOCAL LocalFree(HLOCAL hMem) {
    return memory_free(hMem);
}

HLOCAL LocalReAlloc(HLOCAL hMem, SIZE_T uBytes, UINT uFlags) {
    return memory_realloc(hMem, uBytes, uFlags, LMEM_VALID_FLAGS);
}

SIZE_T LocalSize(HLOCAL hMem) {
    return memory_size(hMem);
}

HGLOBAL GlobalAlloc(UINT uFlags, SIZE_T dwBytes) {
    return memory_alloc(uFlags, dwBytes, GMEM_VALID_FLAGS);
}

HGLOBAL GlobalFree(HGLOBAL hMem) {
    return memory_free(hMem);
}

HGLOBAL GlobalReAlloc(HGLOBAL hMem, SIZE_T dwBytes, UINT uFlags) {
    return memory_realloc(hMem, dwBytes, uFlags, GMEM_VALID_FLAGS);
}

SIZE_T GlobalSize(HGLOBAL hMem) {
    return memory_size(hMem);
}
