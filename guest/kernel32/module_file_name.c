/* GetModuleFileNameA/W and GetModuleHandleExA/W.
 *
 * A module's file name is its loader entry's FullDllName: the path ntoy read the image from,
 * as the guest sees it (for the executable the same string as the process parameters'
 * ImagePathName). A buffer too small gets as much of the name as fits with a NUL after it,
 * the return value is the buffer's size and the last error ERROR_INSUFFICIENT_BUFFER, as on
 * Windows since Vista. */
#include "kernel32_private.h"

static HMODULE executable_module(void) {
    return NTOY_FIELD(ntoy_current_peb(), NTOY_PEB_IMAGE_BASE, HMODULE);
}

/* The loader entry of the module based at MODULE (NULL: the executable), or NULL with
 * ERROR_MOD_NOT_FOUND. */
static PLDR_DATA_TABLE_ENTRY module_entry(HMODULE module) {
    if (module == NULL) {
        module = executable_module();
    }
    PLDR_DATA_TABLE_ENTRY entry = NULL;
    if (!NT_SUCCESS(LdrFindEntryForAddress(module, &entry)) || entry->DllBase != module) {
        SetLastError(ERROR_MOD_NOT_FOUND);
        return NULL;
    }
    return entry;
}

DWORD GetModuleFileNameW(HMODULE hModule, LPWSTR lpFilename, DWORD nSize) {
    PLDR_DATA_TABLE_ENTRY entry = module_entry(hModule);
    if (entry == NULL) {
        return 0;
    }
    DWORD length = entry->FullDllName.Length / sizeof(WCHAR);
    if (nSize == 0) {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return 0;
    }
    DWORD copied = length < nSize ? length : nSize - 1;
    memcpy(lpFilename, entry->FullDllName.Buffer, copied * sizeof(WCHAR));
    lpFilename[copied] = L'\0';
    if (copied < length) {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return nSize;
    }
    return length;
}

DWORD GetModuleFileNameA(HMODULE hModule, LPSTR lpFilename, DWORD nSize) {
    PLDR_DATA_TABLE_ENTRY entry = module_entry(hModule);
    if (entry == NULL) {
        return 0;
    }
    if (nSize == 0) {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return 0;
    }
    int wide_length = entry->FullDllName.Length / sizeof(WCHAR);
    /* Each character of the ANSI code page is one byte, so the length carries over. */
    DWORD length = (DWORD)wide_length;
    DWORD copied = length < nSize ? length : nSize - 1;
    if (copied > 0) {
        WideCharToMultiByte(CP_ACP, 0, entry->FullDllName.Buffer, (int)copied, lpFilename,
                            (int)copied, NULL, NULL);
    }
    lpFilename[copied] = '\0';
    if (copied < length) {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return nSize;
    }
    return length;
}

BOOL GetModuleHandleExW(DWORD dwFlags, LPCWSTR lpModuleName, HMODULE* phModule) {
    const DWORD known = GET_MODULE_HANDLE_EX_FLAG_PIN |
                        GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT |
                        GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS;
    if (phModule != NULL) {
        *phModule = NULL;
    }
    if (phModule == NULL || (dwFlags & ~known) != 0 ||
        (dwFlags &
         (GET_MODULE_HANDLE_EX_FLAG_PIN | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT)) ==
            (GET_MODULE_HANDLE_EX_FLAG_PIN | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    HMODULE module;
    if (dwFlags & GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS) {
        PLDR_DATA_TABLE_ENTRY entry = NULL;
        if (!NT_SUCCESS(LdrFindEntryForAddress((PVOID)lpModuleName, &entry))) {
            SetLastError(ERROR_MOD_NOT_FOUND);
            return FALSE;
        }
        module = entry->DllBase;
    } else {
        module = GetModuleHandleW(lpModuleName);
        if (module == NULL) {
            return FALSE;
        }
    }
    if ((dwFlags & GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT) == 0) {
        NTSTATUS status = LdrAddRefDll(
            (dwFlags & GET_MODULE_HANDLE_EX_FLAG_PIN) ? LDR_ADDREF_DLL_PIN : 0, module);
        if (!NT_SUCCESS(status)) {
            set_last_nt_error(status);
            return FALSE;
        }
    }
    *phModule = module;
    return TRUE;
}

BOOL GetModuleHandleExA(DWORD dwFlags, LPCSTR lpModuleName, HMODULE* phModule) {
    if ((dwFlags & GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS) || lpModuleName == NULL) {
        return GetModuleHandleExW(dwFlags, (LPCWSTR)lpModuleName, phModule);
    }
    WCHAR name[260];
    if (MultiByteToWideChar(CP_ACP, 0, lpModuleName, -1, name, 260) == 0) {
        if (phModule != NULL) {
            *phModule = NULL;
        }
        SetLastError(ERROR_FILENAME_EXCED_RANGE);
        return FALSE;
    }
    return GetModuleHandleExW(dwFlags, name, phModule);
}
