/* The exact members of <math.h>: those whose result is fully determined (rounding to an
 * integer, sqrt, fmod, splitting and scaling), so that every implementation prints the same.
 * The transcendental functions (pow, sin, exp, log...) are not here: their last bits differ
 * between implementations, and a program that needs them gets a missing-import error rather
 * than an answer unlike msvcrt's. */
#include "msvcrt_private.h"

static uint64_t bits_of(double x) {
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static double from_bits(uint64_t b) {
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

double fabs(double x) {
    return from_bits(bits_of(x) & ~(1ull << 63));
}

/* X with its fraction cut off (towards zero). */
static double truncate(double x) {
    uint64_t b = bits_of(x);
    int exponent = (int)((b >> 52) & 0x7FF) - 1023;
    if (exponent >= 52) {
        return x; /* already an integer, or inf/NaN */
    }
    if (exponent < 0) {
        return from_bits(b & (1ull << 63)); /* +-0 */
    }
    return from_bits(b & ~((1ull << (52 - exponent)) - 1));
}

double floor(double x) {
    double t = truncate(x);
    return (t != x && x < 0) ? t - 1.0 : t;
}

double ceil(double x) {
    double t = truncate(x);
    return (t != x && x > 0) ? t + 1.0 : t;
}

double sqrt(double x) {
    double result;
    __asm__("sqrtsd %1, %0" : "=x"(result) : "x"(x));
    return result;
}

/* The x87's partial remainder is exact; it loops until the reduction is complete. */
double fmod(double x, double y) {
    long double a = x, b = y;
    unsigned short status;
    do {
        __asm__("fprem\n\tfnstsw %%ax" : "+t"(a), "=a"(status) : "u"(b));
    } while (status & 0x0400);
    return (double)a;
}

double modf(double x, double* integer) {
    uint64_t b = bits_of(x);
    int exponent = (int)((b >> 52) & 0x7FF);
    double t = truncate(x);
    *integer = t;
    if (exponent == 0x7FF) {
        /* inf: fraction +-0; NaN: NaN */
        return (b << 12) ? x : from_bits(b & (1ull << 63));
    }
    return from_bits(bits_of(x - t) | (b & (1ull << 63)));
}

double frexp(double x, int* exponent) {
    uint64_t b = bits_of(x);
    int e = (int)((b >> 52) & 0x7FF);
    *exponent = 0;
    if (e == 0x7FF || (b << 1) == 0) {
        return x;
    }
    if (e == 0) {                 /* subnormal: normalise first */
        x *= 18014398509481984.0; /* 2^54 */
        b = bits_of(x);
        e = (int)((b >> 52) & 0x7FF) - 54;
    }
    *exponent = e - 1022;
    return from_bits((b & ~(0x7FFull << 52)) | (1022ull << 52));
}

double ldexp(double x, int exponent) {
    /* Scaling in steps that stay exact until the last, which rounds once. */
    while (exponent > 1000) {
        x *= 0x1p1000;
        exponent -= 1000;
    }
    while (exponent < -1000) {
        x *= 0x1p-1000;
        exponent += 1000;
        if (exponent < -1000 && x == 0) {
            break;
        }
    }
    if (exponent < -1022) {
        /* Two steps, so that only the step into the subnormals rounds. */
        x *= 0x1p-1022;
        exponent += 1022;
    }
    uint64_t scale = (uint64_t)(exponent + 1023) << 52;
    x *= from_bits(scale);
    if (x == __builtin_inf() || x == -__builtin_inf()) {
        crt_errno = ERANGE;
    }
    return x;
}
