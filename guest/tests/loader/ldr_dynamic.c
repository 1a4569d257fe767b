/* Dynamic loading: LoadLibrary, GetProcAddress (by name, by ordinal, through forwarders),
 * FreeLibrary and GetModuleHandle, with Windows' reference counting and error codes.
 * ldr_dyn.dll (and ldr_dyn_dep.dll, which it imports) are loaded only here; the DLLs record
 * their DllMain and TLS callback calls in ldr_log.dll's log, which this program imports. */
#include "../framework/ntoy_gs.h"
#include "../framework/ntoy_test.h"
#include "ldr_log.h"

typedef int (*IntFunction)(void);
typedef int (*AddFunction)(int);
typedef ULONGLONG* (*AddressFunction)(void);
typedef ULONG (*IndexFunction)(void);

/* Where EVENT starts in the log, or -1. */
static int log_position(const char* event) {
    const char* text = ldr_log_text();
    for (int i = 0; text[i] != '\0'; ++i) {
        int j = 0;
        while (event[j] != '\0' && text[i + j] == event[j]) {
            ++j;
        }
        if (event[j] == '\0' && (text[i + j] == ' ' || text[i + j] == '\0')) {
            return i;
        }
    }
    return -1;
}

static BOOL logged_in_order(const char* first, const char* second) {
    int a = log_position(first);
    int b = log_position(second);
    return a >= 0 && b >= 0 && a < b;
}

static BOOL is_free(const void* address) {
    MEMORY_BASIC_INFORMATION info;
    return VirtualQuery(address, &info, sizeof(info)) == sizeof(info) && info.State == MEM_FREE;
}

static void test_load_and_use(void) {
    CHECK_EQ("ldr_dyn.dll is not loaded before LoadLibrary",
             (ULONG_PTR)GetModuleHandleA("ldr_dyn.dll"), 0);
    SetLastError(0);
    HMODULE dyn = LoadLibraryA("ldr_dyn.dll");
    if (!CHECK_NE("LoadLibraryA(ldr_dyn.dll) succeeds", (ULONG_PTR)dyn, 0)) {
        return;
    }
    CHECK_EQ("GetModuleHandleA finds it", (ULONG_PTR)GetModuleHandleA("LDR_DYN"), (ULONG_PTR)dyn);
    HMODULE dep = GetModuleHandleA("ldr_dyn_dep.dll");
    CHECK_NE("its import ldr_dyn_dep.dll is loaded with it", (ULONG_PTR)dep, 0);
    CHECK_TRUE("DllMain: the dependency is attached first, lpReserved NULL",
               logged_in_order("dep:attach(dynamic)", "dyn:attach(dynamic)"));
    CHECK_TRUE("the TLS callback runs before DllMain",
               logged_in_order("dyn:tls-attach", "dyn:attach(dynamic)"));

    AddFunction add = (AddFunction)(void*)GetProcAddress(dyn, "dyn_add");
    if (CHECK_NE("GetProcAddress by name", (ULONG_PTR)add, 0)) {
        CHECK_DEC("its imports are bound: dyn_add(1) calls into ldr_dyn_dep", add(1), 43);
    }
    CHECK_EQ("GetProcAddress by ordinal 5 gives the same function",
             (ULONG_PTR)GetProcAddress(dyn, (LPCSTR)5), (ULONG_PTR)add);
    IntFunction by_ordinal = (IntFunction)(void*)GetProcAddress(dyn, MAKEINTRESOURCEA(9));
    if (CHECK_NE("GetProcAddress of an export with no name, by ordinal", (ULONG_PTR)by_ordinal,
                 0)) {
        CHECK_DEC("it runs", by_ordinal(), 9);
    }
    CHECK_EQ("a forwarder resolves to the target's export",
             (ULONG_PTR)GetProcAddress(dyn, "dyn_forwarded"),
             (ULONG_PTR)GetProcAddress(dep, "dep_value"));

    SetLastError(0);
    CHECK_EQ("GetProcAddress of a missing name fails", (ULONG_PTR)GetProcAddress(dyn, "absent"), 0);
    CHECK_DEC("... with ERROR_PROC_NOT_FOUND", GetLastError(), ERROR_PROC_NOT_FOUND);
    SetLastError(0);
    CHECK_EQ("names are case-sensitive", (ULONG_PTR)GetProcAddress(dyn, "DYN_ADD"), 0);
    CHECK_DEC("... ERROR_PROC_NOT_FOUND", GetLastError(), ERROR_PROC_NOT_FOUND);
    SetLastError(0);
    CHECK_EQ("GetProcAddress of a missing ordinal fails",
             (ULONG_PTR)GetProcAddress(dyn, MAKEINTRESOURCEA(999)), 0);
    CHECK_DEC("... with ERROR_INVALID_ORDINAL", GetLastError(), ERROR_INVALID_ORDINAL);

    AddressFunction tls_value =
        (AddressFunction)(void*)GetProcAddress(dyn, "dyn_tls_value_address");
    IndexFunction tls_index = (IndexFunction)(void*)GetProcAddress(dyn, "dyn_tls_index");
    if (CHECK_TRUE("TLS accessors found", tls_value != NULL && tls_index != NULL)) {
        CHECK_EQ("TLS of a DLL loaded at run time: initial value", *tls_value(), 0xD1A10ADull);
        /* TEB->ThreadLocalStoragePointer[index] is this thread's block of the DLL. */
        char* block = ((char**)ntoy_read_gs(0x58))[tls_index()];
        CHECK_TRUE("... in the thread's block at the DLL's index",
                   (char*)tls_value() >= block && (char*)tls_value() < block + 64);
    }

    /* A forwarder to a DLL nobody loaded yet: GetProcAddress loads it, and ldr_dyn.dll keeps
     * it loaded. */
    CHECK_EQ("ldr_far.dll is not loaded", (ULONG_PTR)GetModuleHandleA("ldr_far.dll"), 0);
    IntFunction far_value = (IntFunction)(void*)GetProcAddress(dyn, "dyn_forwarded_far");
    if (CHECK_NE("a forwarder to an unloaded DLL resolves", (ULONG_PTR)far_value, 0)) {
        CHECK_DEC("... to ldr_far!far_value", far_value(), 7);
    }
    HMODULE far_module = GetModuleHandleA("ldr_far.dll");
    CHECK_NE("... and loads ldr_far.dll", (ULONG_PTR)far_module, 0);

    /* Reference counting: a second load is the same module; it takes two frees. */
    CHECK_EQ("LoadLibraryW of a loaded DLL returns it", (ULONG_PTR)LoadLibraryW(L"ldr_dyn.DLL"),
             (ULONG_PTR)dyn);
    CHECK_DEC("FreeLibrary succeeds", FreeLibrary(dyn), TRUE);
    CHECK_EQ("one reference left: still loaded", (ULONG_PTR)GetModuleHandleA("ldr_dyn.dll"),
             (ULONG_PTR)dyn);
    CHECK_TRUE("... and not detached", log_position("dyn:detach(free)") < 0);
    CHECK_DEC("FreeLibrary of the last reference succeeds", FreeLibrary(dyn), TRUE);
    SetLastError(0);
    CHECK_EQ("then it is gone", (ULONG_PTR)GetModuleHandleA("ldr_dyn.dll"), 0);
    CHECK_DEC("... GetModuleHandle says ERROR_MOD_NOT_FOUND", GetLastError(), ERROR_MOD_NOT_FOUND);
    CHECK_TRUE("its image is unmapped", is_free(dyn));
    CHECK_TRUE("DLL_PROCESS_DETACH with lpReserved NULL, TLS callback first",
               logged_in_order("dyn:tls-detach", "dyn:detach(free)"));
    CHECK_TRUE("the DLL is detached before what it kept loaded",
               logged_in_order("dyn:detach(free)", "dep:detach(free)") &&
                   logged_in_order("dyn:detach(free)", "far:detach(free)"));
    CHECK_EQ("ldr_dyn_dep.dll went with it", (ULONG_PTR)GetModuleHandleA("ldr_dyn_dep.dll"), 0);
    CHECK_EQ("ldr_far.dll went with it", (ULONG_PTR)GetModuleHandleA("ldr_far.dll"), 0);
    CHECK_TRUE("their images are unmapped", is_free(dep) && is_free(far_module));
}

static void test_failures(void) {
    SetLastError(0);
    CHECK_EQ("LoadLibraryA of a missing DLL fails", (ULONG_PTR)LoadLibraryA("ldr_absent.dll"), 0);
    CHECK_DEC("... ERROR_MOD_NOT_FOUND for a missing DLL", GetLastError(), ERROR_MOD_NOT_FOUND);
    SetLastError(0);
    CHECK_EQ("LoadLibraryA of a path outside the image folders fails",
             (ULONG_PTR)LoadLibraryA("..\\outside\\evil.dll"), 0);
    CHECK_DEC("... ERROR_MOD_NOT_FOUND for a path", GetLastError(), ERROR_MOD_NOT_FOUND);

    SetLastError(0);
    CHECK_EQ("LoadLibraryA of a DLL whose DllMain fails returns NULL",
             (ULONG_PTR)LoadLibraryA("ldr_init_fail.dll"), 0);
    CHECK_DEC("... with ERROR_DLL_INIT_FAILED", GetLastError(), ERROR_DLL_INIT_FAILED);
    CHECK_TRUE("... after DllMain had DLL_PROCESS_DETACH",
               logged_in_order("fail:attach(dynamic)", "fail:detach(free)"));
    CHECK_EQ("... and the DLL is gone", (ULONG_PTR)GetModuleHandleA("ldr_init_fail.dll"), 0);

    /* Modules loaded with the process stay, whatever FreeLibrary is told. */
    HMODULE kernel32 = GetModuleHandleA("kernel32.dll");
    CHECK_DEC("FreeLibrary of a DLL loaded with the process succeeds", FreeLibrary(kernel32), TRUE);
    CHECK_EQ("... and it stays", (ULONG_PTR)GetModuleHandleA("kernel32.dll"), (ULONG_PTR)kernel32);
}

int start(void) {
    test_load_and_use();
    test_failures();
    return test_done();
}
