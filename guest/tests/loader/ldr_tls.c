/* ldr_tls.dll: a DLL with static TLS (initialised data, zero fill, a callback) and a DllMain,
 * both recording what they are called with in ldr_log.dll's log as tls:... events. */
#define NTOY_TLS_ZERO_FILL 64
#include "../framework/ntoy_tls.h"
#include "ldr_log.h"

NTOY_TLS_VARIABLE ULONGLONG tls_dll_value = 0x7157D11ull;
NTOY_TLS_VARIABLE char tls_dll_text[8] = "dll tls";

static PVOID callback_module;

static VOID NTAPI tls_callback(PVOID module, DWORD reason, PVOID reserved) {
    (void)reserved;
    callback_module = module;
    ldr_log(reason == DLL_PROCESS_ATTACH   ? "tls:tls-attach"
            : reason == DLL_PROCESS_DETACH ? "tls:tls-detach"
                                           : "tls:tls-other");
}
NTOY_TLS_CALLBACK(tls_callback_entry) = tls_callback;

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
    (void)instance;
    if (reason == DLL_PROCESS_ATTACH) {
        ldr_log(reserved != NULL ? "tls:attach(static)" : "tls:attach(dynamic)");
    } else if (reason == DLL_PROCESS_DETACH) {
        ldr_log(reserved != NULL ? "tls:detach(exit)" : "tls:detach(free)");
    }
    return TRUE;
}

/* This thread's copy of tls_dll_value. */
__declspec(dllexport) ULONGLONG* tls_dll_value_address(void) {
    return &NTOY_TLS(tls_dll_value);
}

__declspec(dllexport) const char* tls_dll_text_address(void) {
    return NTOY_TLS(tls_dll_text);
}

__declspec(dllexport) ULONG tls_dll_index(void) {
    return _tls_index;
}

__declspec(dllexport) PVOID tls_dll_callback_module(void) {
    return callback_module;
}

/* Whether the zero fill after this thread's copy of the template is all zero. */
__declspec(dllexport) BOOL tls_dll_zero_fill_is_zero(void) {
    const char* fill = NTOY_TLS_BLOCK() + NTOY_TLS_TEMPLATE_SIZE;
    for (int i = 0; i < NTOY_TLS_ZERO_FILL; ++i) {
        if (fill[i] != 0) {
            return FALSE;
        }
    }
    return TRUE;
}
