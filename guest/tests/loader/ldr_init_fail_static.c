/* Imports ldr_init_fail.dll, whose DllMain refuses to attach: the process never reaches
 * start and ends with STATUS_DLL_INIT_FAILED (0xC0000142), as on Windows. */
#include <windows.h>

__declspec(dllimport) int init_fail_function(void);

int start(void) {
    return init_fail_function() + 100;
}
