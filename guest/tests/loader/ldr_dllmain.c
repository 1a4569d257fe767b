/* DllMain and TLS as a program sees them. ldr_dllmain.exe imports ldr_tls.dll, which imports
 * ldr_log.dll; the executable has TLS of its own. Before the entry point each DLL is attached
 * (dependencies first, TLS callbacks before DllMain, lpReserved non-NULL for static loads),
 * then the executable's TLS callbacks run; at exit everything is detached in the reverse
 * order. Each module's TLS data is its own. The checks here cover what happens before and
 * during `start`; ldr_log.dll prints the whole sequence when it is detached, last, and the
 * test (tests/guest/CMakeLists.txt) matches that line. Windows calls the executable's TLS
 * callbacks at exit after the DLLs' (ntoy: first, in the reverse of the start order); the
 * rest is Windows' order. */
#include "../framework/ntoy_test.h"
#include "../framework/ntoy_tls.h"
#include "ldr_log.h"

__declspec(dllimport) ULONGLONG* tls_dll_value_address(void);
__declspec(dllimport) const char* tls_dll_text_address(void);
__declspec(dllimport) ULONG tls_dll_index(void);
__declspec(dllimport) PVOID tls_dll_callback_module(void);
__declspec(dllimport) BOOL tls_dll_zero_fill_is_zero(void);

NTOY_TLS_VARIABLE ULONGLONG exe_value = 0xE8E7A15ull;
NTOY_TLS_VARIABLE int exe_zero_initialised;

static PVOID exe_callback_module;
static DWORD exe_callback_reason = 0xFFFF;

static VOID NTAPI exe_tls_callback(PVOID module, DWORD reason, PVOID reserved) {
    (void)reserved;
    exe_callback_module = module;
    exe_callback_reason = reason;
    ldr_log(reason == DLL_PROCESS_ATTACH   ? "exe:tls-attach"
            : reason == DLL_PROCESS_DETACH ? "exe:tls-detach"
                                           : "exe:tls-other");
}
NTOY_TLS_CALLBACK(exe_tls_callback_entry) = exe_tls_callback;

int start(void) {
    CHECK_TRUE(
        "before start: log, then ldr_tls (its TLS callback first), then the "
        "executable's TLS callback",
        test_string_equal(ldr_log_text(),
                          "log:attach(static) tls:tls-attach "
                          "tls:attach(static) exe:tls-attach"));
    ldr_log("main");
    CHECK_EQ("exe TLS callback: the module is the executable", (ULONG_PTR)exe_callback_module,
             (ULONG_PTR)GetModuleHandleA(NULL));
    CHECK_EQ("exe TLS callback: DLL_PROCESS_ATTACH", exe_callback_reason, DLL_PROCESS_ATTACH);
    HMODULE tls_dll = GetModuleHandleA("ldr_tls.dll");
    CHECK_NE("ldr_tls.dll is loaded", (ULONG_PTR)tls_dll, 0);
    CHECK_EQ("DLL TLS callback: the module is the DLL", (ULONG_PTR)tls_dll_callback_module(),
             (ULONG_PTR)tls_dll);

    CHECK_NE("the executable and the DLL have different TLS indices", _tls_index, tls_dll_index());
    CHECK_NE("TEB->ThreadLocalStoragePointer is set", (ULONG_PTR)ntoy_tls_vector(), 0);
    CHECK_EQ("exe TLS: initial value", NTOY_TLS(exe_value), 0xE8E7A15ull);
    CHECK_EQ("exe TLS: zero-initialised variable", NTOY_TLS(exe_zero_initialised), 0);
    CHECK_NE("exe TLS: the thread's copy, not the template", (ULONG_PTR)&NTOY_TLS(exe_value),
             (ULONG_PTR)&exe_value);
    CHECK_EQ("DLL TLS: initial value", *tls_dll_value_address(), 0x7157D11ull);
    CHECK_TRUE("DLL TLS: initial text", test_string_equal(tls_dll_text_address(), "dll tls"));
    CHECK_TRUE("DLL TLS: the zero fill is zero", tls_dll_zero_fill_is_zero());

    /* Each module's data is its own: writing one leaves the other as it was. */
    NTOY_TLS(exe_value) = 1;
    *tls_dll_value_address() = 2;
    CHECK_EQ("exe TLS: written", NTOY_TLS(exe_value), 1);
    CHECK_EQ("DLL TLS: written separately", *tls_dll_value_address(), 2);
    CHECK_EQ("exe TLS: the template is unchanged", exe_value, 0xE8E7A15ull);
    return test_done();
}
