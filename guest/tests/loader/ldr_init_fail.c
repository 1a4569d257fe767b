/* ldr_init_fail.dll: its DllMain refuses DLL_PROCESS_ATTACH. Loaded with the process
 * (ldr_init_fail_static.exe), the process cannot start: it ends with STATUS_DLL_INIT_FAILED.
 * Loaded with LoadLibrary (ldr_dynamic.exe), LoadLibrary fails with ERROR_DLL_INIT_FAILED,
 * after DllMain has had its DLL_PROCESS_DETACH, and the DLL is gone. */
#include <windows.h>

#include "ldr_log.h"

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
    (void)instance;
    if (reason == DLL_PROCESS_ATTACH) {
        ldr_log(reserved != NULL ? "fail:attach(static)" : "fail:attach(dynamic)");
        return FALSE;
    }
    if (reason == DLL_PROCESS_DETACH) {
        ldr_log(reserved != NULL ? "fail:detach(exit)" : "fail:detach(free)");
    }
    return TRUE;
}

__declspec(dllexport) int init_fail_function(void) {
    return 1;
}
