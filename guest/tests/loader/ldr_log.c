/* ldr_log.dll: the event log the loader tests share. Every test DLL imports it, so it is
 * attached first and detached last; its DllMain records its own attach, and at its detach
 * (the last one of the process) prints the whole log on one line:
 *
 *     log: log:attach(static) ... log:detach
 *
 * where the test checks the order of everything that happened. */
#include <windows.h>

#include "common/print.h"

static char text[2048];
static DWORD length;

__declspec(dllexport) void ldr_log(const char* event) {
    if (length != 0 && length < sizeof(text) - 1) {
        text[length++] = ' ';
    }
    while (*event != '\0' && length < sizeof(text) - 1) {
        text[length++] = *event++;
    }
    text[length] = '\0';
}

__declspec(dllexport) const char* ldr_log_text(void) {
    return text;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
    (void)instance;
    if (reason == DLL_PROCESS_ATTACH) {
        ldr_log(reserved != NULL ? "log:attach(static)" : "log:attach(dynamic)");
    } else if (reason == DLL_PROCESS_DETACH) {
        ldr_log(reserved != NULL ? "log:detach(exit)" : "log:detach(free)");
        print_str("log: ");
        print_str(text);
        print_str("\n");
    }
    return TRUE;
}
