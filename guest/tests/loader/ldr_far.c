/* ldr_far.dll: nothing imports it; ldr_dyn.dll forwards an export to it, so resolving that
 * export with GetProcAddress loads it, and it stays as long as ldr_dyn.dll does. */
#include <windows.h>

#include "ldr_log.h"

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
    (void)instance;
    if (reason == DLL_PROCESS_ATTACH) {
        ldr_log(reserved != NULL ? "far:attach(static)" : "far:attach(dynamic)");
    } else if (reason == DLL_PROCESS_DETACH) {
        ldr_log(reserved != NULL ? "far:detach(exit)" : "far:detach(free)");
    }
    return TRUE;
}

__declspec(dllexport) int far_value(void) {
    return 7;
}
