/* Imports a kernel32 function that ntoy's kernel32 does not export (lstrlenA): the loader
 * must refuse the image, naming the import as KERNEL32.dll!lstrlenA. Real Windows runs it. */
#include <windows.h>

int start(void) {
    return lstrlenA("four") == 4 ? 0 : 1;
}
