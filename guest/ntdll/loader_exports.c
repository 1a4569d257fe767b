/* GetProcAddress's half in ntdll: an export of a loaded module, read from its export
 * directory in memory, by name (binary search of the sorted name table, case-sensitive, as
 * Windows) or by ordinal, following forwarders ("DLL.Name" or "DLL.#7") into the DLLs they
 * name, which the forwarding module then keeps loaded. */
#include "loader.h"
#include "ntoy/nt_status.h"
#include "ntoy/ntdll_exports.h"

#define MAX_FORWARDER_DEPTH 32

/* strcmp of the counted NAME against the NUL-terminated EXPORTED. */
static int compare_name(const ANSI_STRING* name, const CHAR* exported) {
    SIZE_T length = name->Length;
    for (SIZE_T i = 0; i < length; ++i) {
        BYTE a = (BYTE)name->Buffer[i];
        BYTE b = (BYTE)exported[i];
        if (a != b) {
            return a < b ? -1 : 1;
        }
    }
    return exported[length] == '\0' ? 0 : -1;
}

/* The decimal ordinal after '#' in a forwarder, or 0 if it is not one. */
static ULONG parse_ordinal(const CHAR* text) {
    ULONG value = 0;
    if (*text == '\0') {
        return 0;
    }
    for (; *text != '\0'; ++text) {
        if (*text < '0' || *text > '9' || value > 0xFFFF) {
            return 0;
        }
        value = value * 10 + (ULONG)(*text - '0');
    }
    return value <= 0xFFFF ? value : 0;
}

NTSTATUS ldrp_get_procedure_address(LoaderModule* module, const ANSI_STRING* name, ULONG ordinal,
                                    PVOID* address, ULONG depth) {
    NTSTATUS not_found = name != NULL ? STATUS_PROCEDURE_NOT_FOUND : STATUS_ORDINAL_NOT_FOUND;
    if (depth > MAX_FORWARDER_DEPTH) {
        return STATUS_INVALID_IMAGE_FORMAT;
    }
    BYTE* base = module->Entry.DllBase;
    ULONG directory_size = 0;
    const IMAGE_EXPORT_DIRECTORY* directory =
        ntoy_image_directory(base, IMAGE_DIRECTORY_ENTRY_EXPORT, &directory_size);
    if (directory == NULL) {
        return not_found;
    }
    const ULONG* functions = (const ULONG*)(base + directory->AddressOfFunctions);
    ULONG index;
    if (name != NULL) {
        const ULONG* names = (const ULONG*)(base + directory->AddressOfNames);
        const USHORT* name_ordinals = (const USHORT*)(base + directory->AddressOfNameOrdinals);
        ULONG low = 0;
        ULONG high = directory->NumberOfNames;
        while (low < high) {
            ULONG middle = low + (high - low) / 2;
            int order = compare_name(name, (const CHAR*)(base + names[middle]));
            if (order == 0) {
                low = middle;
                break;
            }
            if (order < 0) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        if (low >= directory->NumberOfNames ||
            compare_name(name, (const CHAR*)(base + names[low])) != 0) {
            return not_found;
        }
        index = name_ordinals[low];
    } else {
        if (ordinal < directory->Base) {
            return not_found;
        }
        index = ordinal - directory->Base;
    }
    if (index >= directory->NumberOfFunctions || functions[index] == 0) {
        return not_found;
    }

    const CHAR* target = (const CHAR*)(base + functions[index]);
    if (target < (const CHAR*)directory || target >= (const CHAR*)directory + directory_size) {
        *address = (PVOID)target;
        return STATUS_SUCCESS;
    }
    /* A forwarder: "DLL.Symbol", the DLL named without ".dll", split at the last dot. */
    const CHAR* dot = NULL;
    SIZE_T length = 0;
    for (; target[length] != '\0'; ++length) {
        if (target[length] == '.') {
            dot = target + length;
        }
    }
    if (dot == NULL || dot == target || dot[1] == '\0') {
        return STATUS_INVALID_IMAGE_FORMAT;
    }
    LoaderModule* forwarded_to = NULL;
    NTSTATUS status =
        ldrp_load_forwarder_target(module, target, (SIZE_T)(dot - target), &forwarded_to);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    const CHAR* symbol = dot + 1;
    if (symbol[0] == '#') {
        ULONG forwarded_ordinal = parse_ordinal(symbol + 1);
        if (forwarded_ordinal == 0) {
            return STATUS_INVALID_IMAGE_FORMAT;
        }
        return ldrp_get_procedure_address(forwarded_to, NULL, forwarded_ordinal, address,
                                          depth + 1);
    }
    SIZE_T symbol_length = (SIZE_T)(target + length - symbol);
    ANSI_STRING forwarded_name = {(USHORT)symbol_length, (USHORT)symbol_length, (CHAR*)symbol};
    return ldrp_get_procedure_address(forwarded_to, &forwarded_name, 0, address, depth + 1);
}
