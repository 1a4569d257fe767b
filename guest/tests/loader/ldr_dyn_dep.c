/* ldr_dyn_dep.dll: imported by ldr_dyn.dll, so LoadLibrary("ldr_dyn.dll") loads it too, and
 * FreeLibrary of ldr_dyn.dll unloads it. */
#include <windows.h>

#include "ldr_log.h"

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
    (void)instance;
    if (reason == DLL_PROCESS_ATTACH) {
        ldr_log(reserved != NULL ? "dep:attach(static)" : "dep:attach(dynamic)");
    } else if (reason == DLL_PROCESS_DETACH) {
        ldr_log(reserved != NULL ? "dep:detach(exit)" : "dep:detach(free)");
    }
    return TRUE;
}

__declspec(dllexport) int dep_value(void) {
    return 42;
}
