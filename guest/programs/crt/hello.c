/* An ordinary C program, built the default way (x86_64-w64-mingw32-gcc hello.c), as a user
 * would write it: printf, argv, the environment, malloc. mingw's headers route printf to its
 * own C99 formatter (__USE_MINGW_ANSI_STDIO), which writes through msvcrt's stdio, so the
 * output is C99's, line ends "\r\n" as msvcrt's text-mode stdout writes them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv, char** envp) {
    printf("Hello from a default-built program!\n");
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++) {
        printf("argv[%d]=[%s]\n", i, argv[i]);
    }
    printf("argv[argc] is %s\n", argv[argc] == NULL ? "NULL" : "set");
    printf("envp is %s\n", envp != NULL ? "an array" : "NULL");
    _putenv("NTOY_CRT_GREETING=hello, environment");
    printf("getenv: [%s]\n", getenv("NTOY_CRT_GREETING"));
    printf("getenv (other case): [%s]\n", getenv("ntoy_crt_greeting"));
    _putenv("NTOY_CRT_GREETING=");
    printf("after removal: %s\n", getenv("NTOY_CRT_GREETING") == NULL ? "gone" : "still there");

    printf("%d %5d|%-5d|%05d %+d % d\n", 42, 42, 42, 42, 42, 42);
    printf("%x %X %#x %o %#o %u\n", 48879, 48879, 255, 8, 8, 4294967295u);
    printf("%lld %llu %zu %hd %ld\n", -1234567890123LL, 18446744073709551615ULL, sizeof(long long),
           (short)-5, -7L);
    printf("%.3f %e %g %g %g\n", 3.14159, 314.159, 0.0001, 1e-5, 123456789.0);
    printf("%10.4f|%-10.2e|%+.1f|%.0f|%.0f\n", 3.14159, 314.159, 2.0, 0.4, 2.6);
    printf("%s|%10s|%-10s|%.2s|%c|%%\n", "abc", "right", "left", "truncate", 'z');
    fprintf(stderr, "this line goes to stderr\n");
    puts("puts adds a newline");
    putchar('!');
    putchar('\n');
    fputs("fputs does not\n", stdout);
    char buffer[64];
    int n = snprintf(buffer, sizeof buffer, "%d-%s-%05.1f", 7, "seven", 7.26);
    printf("snprintf: [%s] %d\n", buffer, n);
    char* copy = malloc(32);
    strcpy(copy, "a string on the heap");
    printf("%s (%zu bytes)\n", copy, strlen(copy));
    free(copy);
    fwrite("fwrite: 12345\n", 1, 14, stdout);
    return 0;
}
