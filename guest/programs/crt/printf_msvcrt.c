/* msvcrt's own printf, not mingw's: built with -D__USE_MINGW_ANSI_STDIO=0, so printf is the
 * DLL's. The expected output (tests/guest/expected/crt/printf_msvcrt.txt) is what Windows'
 * msvcrt.dll prints, which differs from C99 in places, each on its own line below:
 *   - %p: 16 upper-case hex digits, no 0x;
 *   - exponents have three digits: 1.000000e+001;
 *   - at most 17 significant digits, then zeros; rounding to the precision is half-up on
 *     those digits, so %.0f of 0.5 is 1 and of 2.5 is 3;
 *   - infinity and NaN are 1.#INF, 1.#QNAN and -1.#IND, with msvcrt's rounding of those
 *     strings (%.2f of infinity is 1.#J);
 *   - z and hh are not sizes: "%zu" prints "zu", "%hhd" is a short.
 * Uncertain, from documentation and Wine's tests rather than a run on Windows: the "%#x" of
 * 0 (printed "0" here, as C says) and that hh reads as h. */
#include <stdio.h>

int main(void) {
    int count = 0;
    printf("%d|%5d|%-5d|%05d|%+d|% d|%.3d|%5.3d\n", 42, 42, 42, 42, 42, 42, 7, 7);
    printf("%i|%u|%x|%X|%#x|%#X|%o|%#o|%#x\n", -42, 3000000000u, 0xbeef, 0xbeef, 255, 255, 8, 8, 0);
    printf("%I64d|%I64u|%I64x|%lld|%I32d|%Id\n", -1234567890123LL, 18446744073709551615ULL,
           0xdeadbeefcafeULL, 9223372036854775807LL, -1, (long long)-2);
    printf("%hd|%hu|%ld|%lu|%hhd\n", 70000, 70000, -7L, 4294967295ul, 300);
    printf("%zu|%jd\n", (size_t)5, (long long)6);
    printf("%p|%20p|%-20p|\n", (void*)0x140001000, (void*)0x1234, (void*)0xabc);
    printf("%s|%10s|%-10s|%.2s|%c|%3c|%-3c|%%\n", "abc", "right", "left", "truncate", 'z', 'y',
           'x');
    printf("%s|%S|%ls|%C|%lc\n", (char*)0, L"wide", L"also wide", L'W', L'w');
    printf("%*d|%-*d|%.*f|%*.*s|\n", 5, 1, 5, 2, 2, 3.14159, 6, 2, "abcdef");
    printf("%f|%e|%E|%g|%G\n", 3.14159, 3.14159, 3.14159, 3.14159, 1e-10);
    printf("%.0f|%.0f|%.0f|%.1f|%.2f|%.3f\n", 0.5, 1.5, 2.5, 0.25, 2.675, 1.0005);
    printf("%.20f|%.17g|%.25e\n", 0.1, 0.1, 1.0 / 3);
    printf("%.0f\n", 1e300);
    printf("%g|%g|%g|%g|%g|%g|%#g|%#.3g\n", 100000.0, 1000000.0, 0.0001, 0.00001, 0.0, 123456789.0,
           1.0, 2.0);
    printf("%10.4f|%-10.2e|%010.3f|%+.1f|% .2f|%#.0f\n", 3.14159, 314.159, -3.14159, 2.0, 2.0, 3.0);
    printf("%e|%g|%.3e|%f\n", 5e-324, 1.7976931348623157e308, 0.0, -0.0);
    volatile double zero = 0.0; /* computed when the program runs, by the CPU */
    double inf = 1.0 / zero;
    double indefinite = zero / zero;
    printf("%f|%.0f|%.1f|%.2f|%.3f|%e|%g\n", inf, inf, inf, inf, inf, inf, inf);
    printf("%f|%g|%f|%e\n", -inf, -inf, indefinite, -indefinite);
    printf("%y|%k%n|\n", &count);
    printf("count=%d\n", count);
    int n = printf("%s", "twelve chars");
    printf("|%d\n", n);
    char buffer[8];
    n = _snprintf(buffer, sizeof buffer, "%s", "0123456789");
    printf("_snprintf truncated: %d [%.8s]\n", n, buffer);
    n = _snprintf(buffer, sizeof buffer, "%s", "0123456");
    printf("_snprintf fits: %d [%s]\n", n, buffer);
    n = sprintf(buffer, "%d", -123456);
    printf("sprintf: %d [%s]\n", n, buffer);
    return 0;
}
