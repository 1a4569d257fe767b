/* ldr_dyn.dll: loaded only at run time (ldr_dynamic.exe). It imports ldr_dyn_dep.dll and
 * ldr_log.dll, has static TLS and a TLS callback, and exports by name, by ordinal only, and
 * through forwarders (ldr_dyn.def). */
#include "../framework/ntoy_tls.h"
#include "ldr_log.h"

__declspec(dllimport) int dep_value(void);

NTOY_TLS_VARIABLE ULONGLONG dyn_value = 0xD1A10ADull;

static VOID NTAPI dyn_tls_callback(PVOID module, DWORD reason, PVOID reserved) {
    (void)module;
    (void)reserved;
    ldr_log(reason == DLL_PROCESS_ATTACH   ? "dyn:tls-attach"
            : reason == DLL_PROCESS_DETACH ? "dyn:tls-detach"
                                           : "dyn:tls-other");
}
NTOY_TLS_CALLBACK(dyn_tls_callback_entry) = dyn_tls_callback;

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
    (void)instance;
    if (reason == DLL_PROCESS_ATTACH) {
        ldr_log(reserved != NULL ? "dyn:attach(static)" : "dyn:attach(dynamic)");
    } else if (reason == DLL_PROCESS_DETACH) {
        ldr_log(reserved != NULL ? "dyn:detach(exit)" : "dyn:detach(free)");
    }
    return TRUE;
}

/* Through its import of ldr_dyn_dep.dll. */
int dyn_add(int value) {
    return value + dep_value();
}

ULONGLONG* dyn_tls_value_address(void) {
    return &NTOY_TLS(dyn_value);
}

ULONG dyn_tls_index(void) {
    return _tls_index;
}

int dyn_only_by_ordinal(void) {
    return 9;
}
