/* <stdlib.h>'s conversions and algorithms with msvcrt's semantics: long is 32 bits; strtod
 * reads decimal only (no hex floats, INF or NAN, none of which msvcrt.dll's reads) and takes
 * 'd' as well as 'e' for the exponent, rounding correctly (float_digits.c); rand is msvcrt's
 * linear congruential generator, per thread. */
#include "msvcrt_private.h"

int isspace(int c);
int isdigit(int c);

#define LONG_MAX_ 0x7FFFFFFFL
#define LONG_MIN_ (-LONG_MAX_ - 1)

/* The value of digit C in any base up to 36, or 99. */
static int digit_value(int c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'Z') {
        return c - 'A' + 10;
    }
    return 99;
}

/* The shared parser: the magnitude (saturated at LIMIT, with *OVERFLOW set), the sign, and
 * where it stopped (the start when there were no digits). */
static uint64_t parse_integer(const char* s, char** end, int base, uint64_t limit, int* negative,
                              int* overflow) {
    const char* p = s;
    *negative = 0;
    *overflow = 0;
    if (end != NULL) {
        *end = (char*)s;
    }
    if (base < 0 || base == 1 || base > 36) {
        crt_errno = EINVAL;
        return 0;
    }
    while (isspace((unsigned char)*p)) {
        p++;
    }
    if (*p == '-' || *p == '+') {
        *negative = *p == '-';
        p++;
    }
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        if (digit_value((unsigned char)p[2]) < 16) {
            p += 2;
            base = 16;
        }
    }
    if (base == 0) {
        base = *p == '0' ? 8 : 10;
    }
    uint64_t value = 0;
    const char* first = p;
    for (;; p++) {
        int d = digit_value((unsigned char)*p);
        if (d >= base) {
            break;
        }
        if (value > (limit - (uint64_t)d) / (uint64_t)base) {
            *overflow = 1;
            value = limit;
        } else if (!*overflow) {
            value = value * (uint64_t)base + (uint64_t)d;
        }
    }
    if (p != first && end != NULL) {
        *end = (char*)p;
    }
    return value;
}

long strtol(const char* s, char** end, int base) {
    int negative, overflow;
    uint64_t magnitude = parse_integer(s, end, base, (uint64_t)LONG_MAX_ + 1, &negative, &overflow);
    if (!negative && magnitude > (uint64_t)LONG_MAX_) {
        overflow = 1;
    }
    if (overflow) {
        crt_errno = ERANGE;
        return negative ? LONG_MIN_ : LONG_MAX_;
    }
    return negative ? (long)(0 - magnitude) : (long)magnitude;
}

unsigned long strtoul(const char* s, char** end, int base) {
    int negative, overflow;
    uint64_t magnitude = parse_integer(s, end, base, 0xFFFFFFFFu, &negative, &overflow);
    if (overflow) {
        crt_errno = ERANGE;
        return 0xFFFFFFFFul;
    }
    return negative ? (unsigned long)(0 - (uint32_t)magnitude) : (unsigned long)magnitude;
}

int64_t _strtoi64(const char* s, char** end, int base) {
    int negative, overflow;
    uint64_t magnitude = parse_integer(s, end, base, (uint64_t)INT64_MAX + 1, &negative, &overflow);
    if (!negative && magnitude > (uint64_t)INT64_MAX) {
        overflow = 1;
    }
    if (overflow) {
        crt_errno = ERANGE;
        return negative ? INT64_MIN : INT64_MAX;
    }
    return negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
}

uint64_t _strtoui64(const char* s, char** end, int base) {
    int negative, overflow;
    uint64_t magnitude = parse_integer(s, end, base, UINT64_MAX, &negative, &overflow);
    if (overflow) {
        crt_errno = ERANGE;
        return UINT64_MAX;
    }
    return negative ? 0 - magnitude : magnitude;
}

int atoi(const char* s) {
    return (int)strtol(s, NULL, 10);
}

long atol(const char* s) {
    return strtol(s, NULL, 10);
}

int64_t _atoi64(const char* s) {
    return _strtoi64(s, NULL, 10);
}

double strtod(const char* s, char** end) {
    const char* p = s;
    if (end != NULL) {
        *end = (char*)s;
    }
    while (isspace((unsigned char)*p)) {
        p++;
    }
    int negative = 0;
    if (*p == '-' || *p == '+') {
        negative = *p == '-';
        p++;
    }
    /* Up to 800 significant digits are kept; past them only whether any is nonzero
     * matters, which a final 1 records. */
    char digits[801];
    int count = 0;
    int exponent = 0;
    int seen = 0;
    int dropped_nonzero = 0;
    for (; isdigit((unsigned char)*p); p++) {
        seen = 1;
        if (count == 0 && *p == '0') {
            continue;
        }
        if (count < 800) {
            digits[count++] = *p;
        } else {
            exponent++;
            dropped_nonzero |= *p != '0';
        }
    }
    if (*p == '.') {
        p++;
        for (; isdigit((unsigned char)*p); p++) {
            seen = 1;
            if (count == 0 && *p == '0') {
                exponent--;
                continue;
            }
            if (count < 800) {
                digits[count++] = *p;
                exponent--;
            } else {
                dropped_nonzero |= *p != '0';
            }
        }
    }
    if (!seen) {
        return 0.0;
    }
    if (*p == 'e' || *p == 'E' || *p == 'd' || *p == 'D') {
        const char* q = p + 1;
        int exponent_negative = 0;
        if (*q == '-' || *q == '+') {
            exponent_negative = *q == '-';
            q++;
        }
        if (isdigit((unsigned char)*q)) {
            int value = 0;
            for (; isdigit((unsigned char)*q); q++) {
                if (value < 100000) {
                    value = value * 10 + (*q - '0');
                }
            }
            exponent += exponent_negative ? -value : value;
            p = q;
        }
    }
    if (end != NULL) {
        *end = (char*)p;
    }
    if (dropped_nonzero) {
        digits[count++] = '1';
        exponent--;
    }
    double value = crt_decimal_to_double(digits, count, exponent);
    if (value == __builtin_inf() || (value == 0.0 && count > 0)) {
        crt_errno = ERANGE;
    }
    return negative ? -value : value;
}

double atof(const char* s) {
    return strtod(s, NULL);
}

/* ---- Number to text ---------------------------------------------------------------------- */

static char* unsigned_to_text(uint64_t value, char* buffer, int radix, int negative) {
    char digits[72];
    int n = 0;
    if (radix < 2 || radix > 36) {
        buffer[0] = 0;
        return buffer;
    }
    do {
        int d = (int)(value % (unsigned)radix);
        digits[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        value /= (unsigned)radix;
    } while (value != 0);
    char* p = buffer;
    if (negative) {
        *p++ = '-';
    }
    while (n > 0) {
        *p++ = digits[--n];
    }
    *p = 0;
    return buffer;
}

/* msvcrt writes a negative value with a sign in base 10 only; other bases show the bits. */
char* _itoa(int value, char* buffer, int radix) {
    if (radix == 10 && value < 0) {
        return unsigned_to_text(0 - (uint64_t)(int64_t)value, buffer, radix, 1);
    }
    return unsigned_to_text((uint32_t)value, buffer, radix, 0);
}

char* _ltoa(long value, char* buffer, int radix) {
    return _itoa((int)value, buffer, radix);
}

char* _ultoa(unsigned long value, char* buffer, int radix) {
    return unsigned_to_text(value, buffer, radix, 0);
}

char* _i64toa(int64_t value, char* buffer, int radix) {
    if (radix == 10 && value < 0) {
        return unsigned_to_text(0 - (uint64_t)value, buffer, radix, 1);
    }
    return unsigned_to_text((uint64_t)value, buffer, radix, 0);
}

char* _ui64toa(uint64_t value, char* buffer, int radix) {
    return unsigned_to_text(value, buffer, radix, 0);
}

/* ---- Arithmetic -------------------------------------------------------------------------- */

int abs(int value) {
    return value < 0 ? -value : value;
}

long labs(long value) {
    return value < 0 ? -value : value;
}

int64_t _abs64(int64_t value) {
    return value < 0 ? -value : value;
}

typedef struct {
    int quot;
    int rem;
} div_t;

typedef struct {
    long quot;
    long rem;
} ldiv_t;

div_t div(int numerator, int denominator) {
    div_t result = {numerator / denominator, numerator % denominator};
    return result;
}

ldiv_t ldiv(long numerator, long denominator) {
    ldiv_t result = {numerator / denominator, numerator % denominator};
    return result;
}

/* ---- rand --------------------------------------------------------------------------------- */

void srand(unsigned int seed) {
    crt_thread()->rand_seed = seed;
}

int rand(void) {
    crt_thread_data* thread = crt_thread();
    thread->rand_seed = thread->rand_seed * 214013u + 2531011u;
    return (int)((thread->rand_seed >> 16) & 0x7FFF);
}

/* ---- Sorting and searching ---------------------------------------------------------------- */

typedef int (*compare_fn)(const void*, const void*);

static void swap_bytes(char* a, char* b, size_t size) {
    while (size-- > 0) {
        char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

/* Quicksort on the middle element, recursing into the smaller part so the stack stays
 * logarithmic, with insertion sort for short runs. Not stable, as msvcrt's is not. */
static void sort(char* base, size_t count, size_t size, compare_fn compare) {
    while (count > 8) {
        swap_bytes(base, base + (count / 2) * size, size); /* the pivot to the front */
        size_t low = 1, high = count - 1;
        for (;;) {
            while (low <= high && compare(base + low * size, base) < 0) {
                low++;
            }
            while (low <= high && compare(base + high * size, base) > 0) {
                high--;
            }
            if (low >= high) {
                break;
            }
            swap_bytes(base + low * size, base + high * size, size);
            low++;
            high--;
        }
        swap_bytes(base, base + high * size, size); /* the pivot to its place */
        size_t left = high, right = count - high - 1;
        if (left < right) {
            sort(base, left, size, compare);
            base += (high + 1) * size;
            count = right;
        } else {
            sort(base + (high + 1) * size, right, size, compare);
            count = left;
        }
    }
    for (size_t i = 1; i < count; i++) {
        for (size_t j = i; j > 0 && compare(base + (j - 1) * size, base + j * size) > 0; j--) {
            swap_bytes(base + (j - 1) * size, base + j * size, size);
        }
    }
}

void qsort(void* base, size_t count, size_t size, compare_fn compare) {
    if (count > 1 && size > 0) {
        sort(base, count, size, compare);
    }
}

void* bsearch(const void* key, const void* base, size_t count, size_t size, compare_fn compare) {
    const char* low = base;
    while (count > 0) {
        const char* middle = low + (count / 2) * size;
        int order = compare(key, middle);
        if (order == 0) {
            return (void*)middle;
        }
        if (order > 0) {
            low = middle + size;
            count -= count / 2 + 1;
        } else {
            count /= 2;
        }
    }
    return NULL;
}
