/* GetModuleHandle: the executable's base from the PEB, or a loaded module found by name in
 * the loader's module list (PEB->Ldr), matched the way Windows matches: case-insensitively,
 * against the base name unless the caller gave a path, with ".dll" assumed when the name has
 * no extension and a trailing '.' meaning "no extension". */
#include "kernel32_private.h"

#define MAX_PATH 260

static WCHAR fold_case(WCHAR c) {
    if (c >= L'a' && c <= L'z') {
        return (WCHAR)(c - L'a' + L'A');
    }
    if (c == L'/') {
        return L'\\';
    }
    return c;
}

static BOOLEAN is_path_separator(WCHAR c) {
    return c == L'\\' || c == L'/';
}

/* Whether NAME (NAME_LENGTH characters) followed by SUFFIX equals CANDIDATE, ignoring case. */
static BOOLEAN name_matches(LPCWSTR name, SIZE_T name_length, LPCWSTR suffix,
                            const UNICODE_STRING* candidate) {
    SIZE_T suffix_length = 0;
    while (suffix[suffix_length] != L'\0') {
        ++suffix_length;
    }
    if (candidate->Buffer == NULL ||
        candidate->Length / sizeof(WCHAR) != name_length + suffix_length) {
        return FALSE;
    }
    for (SIZE_T i = 0; i < name_length; ++i) {
        if (fold_case(candidate->Buffer[i]) != fold_case(name[i])) {
            return FALSE;
        }
    }
    for (SIZE_T i = 0; i < suffix_length; ++i) {
        if (fold_case(candidate->Buffer[name_length + i]) != fold_case(suffix[i])) {
            return FALSE;
        }
    }
    return TRUE;
}

HMODULE GetModuleHandleW(LPCWSTR lpModuleName) {
    BYTE* peb = ntoy_current_peb();
    if (lpModuleName == NULL) {
        return NTOY_FIELD(peb, NTOY_PEB_IMAGE_BASE, HMODULE);
    }

    SIZE_T length = 0;
    BOOLEAN has_path = FALSE;
    BOOLEAN has_extension = FALSE;
    for (; lpModuleName[length] != L'\0'; ++length) {
        if (is_path_separator(lpModuleName[length])) {
            has_path = TRUE;
            has_extension = FALSE;
        } else if (lpModuleName[length] == L'.') {
            has_extension = TRUE;
        }
    }
    LPCWSTR suffix = has_extension ? L"" : L".dll";
    if (length > 0 && lpModuleName[length - 1] == L'.') {
        --length;
    }

    PPEB_LDR_DATA loader_data = NTOY_FIELD(peb, NTOY_PEB_LDR, PPEB_LDR_DATA);
    if (loader_data != NULL) {
        PLIST_ENTRY head = &loader_data->InLoadOrderModuleList;
        for (PLIST_ENTRY link = head->Flink; link != NULL && link != head; link = link->Flink) {
            /* InLoadOrderLinks is the entry's first member. */
            PLDR_DATA_TABLE_ENTRY module = (PLDR_DATA_TABLE_ENTRY)link;
            const UNICODE_STRING* candidate =
                has_path ? &module->FullDllName : &module->BaseDllName;
            if (name_matches(lpModuleName, length, suffix, candidate)) {
                return module->DllBase;
            }
        }
    }
    RtlSetLastWin32Error(ERROR_MOD_NOT_FOUND);
    return NULL;
}

HMODULE GetModuleHandleA(LPCSTR lpModuleName) {
    if (lpModuleName == NULL) {
        return GetModuleHandleW(NULL);
    }
    /* Windows converts into a MAX_PATH buffer and rejects longer names the same way. */
    WCHAR wide_name[MAX_PATH];
    SIZE_T length = 0;
    for (; lpModuleName[length] != '\0'; ++length) {
        if (length == MAX_PATH - 1) {
            RtlSetLastWin32Error(ERROR_FILENAME_EXCED_RANGE);
            return NULL;
        }
        wide_name[length] = (WCHAR)(BYTE)lpModuleName[length];
    }
    wide_name[length] = L'\0';
    return GetModuleHandleW(wide_name);
}
