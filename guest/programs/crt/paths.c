/* What a program learns of where it is: argv[0], the command line, its own module's path and
 * a system DLL's. Windows shows DOS paths; ntoy must never show the host's. */
#include <stdio.h>
#include <windows.h>

int main(int argc, char** argv) {
    char buffer[MAX_PATH];
    printf("argc=%d argv[0]=%s\n", argc, argv[0]);
    printf("command line=%s\n", GetCommandLineA());
    GetModuleFileNameA(NULL, buffer, sizeof buffer);
    printf("module=%s\n", buffer);
    GetModuleFileNameA(GetModuleHandleA("kernel32.dll"), buffer, sizeof buffer);
    printf("kernel32=%s\n", buffer);
    return 0;
}
