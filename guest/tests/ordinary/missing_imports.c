/* Imports two kernel32 functions ntoy's kernel32 does not export (Beep, GetComputerNameA):
 * the loader must refuse the image naming both in one line. Real Windows runs it. */
#include <windows.h>

int start(void) {
    char name[64];
    DWORD size = sizeof(name);
    return Beep(440, 1) && GetComputerNameA(name, &size) ? 0 : 1;
}
