/* The printf family's formatter, as msvcrt.dll formats (not C99 where they differ):
 *   - flags - + space # 0; width and precision, either may be *; a negative * width means
 *     left-justified, a negative * precision means none;
 *   - sizes h, l, L, ll, I (pointer-sized), I32, I64; w for wide. 'hh' is 'h' twice (a
 *     short); z, j and t are not sizes to msvcrt, so "%zu" prints "zu";
 *   - d i u o x X c C s S n p e E f g G and %%; any other conversion character is printed as
 *     itself;
 *   - %p is 16 upper-case hex digits, no 0x;
 *   - floating point has at most 17 significant digits, correctly rounded from the exact
 *     value; a request for more pads with zeros, and the rounding to the requested precision
 *     is half-up on those 17 digits (so "%.0f" of 0.5 is "1"). Exponents have at least three
 *     digits ("1.000000e+001"). Infinity and NaN go through the same digit pipeline as the
 *     strings "1#INF", "1#QNAN", "1#SNAN" and "1#IND", which is how msvcrt arrives at
 *     "1.#INF00" for %f and "1.#J" for "%.2f".
 * Output goes through a crt_sink, so one formatter serves files and strings. */
#include "msvcrt_private.h"

#define F_LEFT 0x01
#define F_PLUS 0x02
#define F_SPACE 0x04
#define F_ALT 0x08
#define F_ZERO 0x10

enum size { SIZE_INT, SIZE_SHORT, SIZE_LONGLONG, SIZE_WIDE, SIZE_NARROW };

typedef struct {
    crt_sink* sink;
    int count;
    int failed;
} out;

static void emit(out* o, const char* text, size_t length) {
    if (o->failed || length == 0) {
        return;
    }
    if (o->sink->put(o->sink, text, length) < 0) {
        o->failed = 1;
        return;
    }
    o->count += (int)length;
}

static void repeat(out* o, char c, int n) {
    char block[32];
    for (int i = 0; i < 32; i++) {
        block[i] = c;
    }
    while (n > 0) {
        int chunk = n > 32 ? 32 : n;
        emit(o, block, (size_t)chunk);
        n -= chunk;
    }
}

/* A field: PREFIX (sign or 0x) then BODY, padded to WIDTH with spaces, or with zeros between
 * prefix and body. */
static void field(out* o, int flags, int width, const char* prefix, int prefix_length,
                  const char* body, int body_length) {
    int padding = width - prefix_length - body_length;
    if (padding < 0) {
        padding = 0;
    }
    if (!(flags & (F_LEFT | F_ZERO))) {
        repeat(o, ' ', padding);
    }
    emit(o, prefix, (size_t)prefix_length);
    if ((flags & (F_LEFT | F_ZERO)) == F_ZERO) {
        repeat(o, '0', padding);
    }
    emit(o, body, (size_t)body_length);
    if (flags & F_LEFT) {
        repeat(o, ' ', padding);
    }
}

static void format_integer(out* o, int flags, int width, int precision, uint64_t magnitude,
                           int negative, int is_signed, int radix, int upper, int pointer) {
    char digits[80];
    int n = 0;
    const char* alphabet = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int nonzero = magnitude != 0;
    while (magnitude != 0) {
        digits[sizeof digits - 1 - n++] = alphabet[magnitude % (unsigned)radix];
        magnitude /= (unsigned)radix;
    }
    if (precision < 0) {
        precision = 1;
    } else {
        flags &= ~F_ZERO; /* a precision turns zero padding off */
    }
    while (n < precision && n < (int)sizeof digits - 1) {
        digits[sizeof digits - 1 - n++] = '0';
    }
    if (radix == 8 && (flags & F_ALT) && (n == 0 || digits[sizeof digits - n] != '0')) {
        digits[sizeof digits - 1 - n++] = '0';
    }
    char prefix[2];
    int prefix_length = 0;
    if (is_signed) {
        if (negative) {
            prefix[prefix_length++] = '-';
        } else if (flags & F_PLUS) {
            prefix[prefix_length++] = '+';
        } else if (flags & F_SPACE) {
            prefix[prefix_length++] = ' ';
        }
    } else if (radix == 16 && (flags & F_ALT) && (nonzero || pointer)) {
        prefix[prefix_length++] = '0';
        prefix[prefix_length++] = upper ? 'X' : 'x';
    }
    field(o, flags, width, prefix, prefix_length, digits + sizeof digits - n, n);
}

/* ---- Floating point --------------------------------------------------------------------- */

/* Significant characters of a double as msvcrt produces them, and the decimal exponent of the
 * first. The specials are strings with one integer character. */
typedef struct {
    char digit[24];
    int count;
    int exponent;
} decimal;

static void to_decimal(double value, decimal* d) {
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    int biased = (int)((bits >> 52) & 0x7FF);
    uint64_t mantissa = bits & ((1ull << 52) - 1);
    const char* special = NULL;
    if (biased == 0x7FF) {
        if (mantissa == 0) {
            special = "1#INF";
        } else if ((bits >> 63) && mantissa == (1ull << 51)) {
            special = "1#IND"; /* the default NaN x64 arithmetic produces */
        } else if (mantissa & (1ull << 51)) {
            special = "1#QNAN";
        } else {
            special = "1#SNAN";
        }
    }
    if (special != NULL) {
        d->count = (int)strlen(special);
        memcpy(d->digit, special, (size_t)d->count);
        d->exponent = 0;
        return;
    }
    if (biased == 0 && mantissa == 0) {
        d->digit[0] = '0';
        d->count = 1;
        d->exponent = 0;
        return;
    }
    bits &= ~(1ull << 63);
    memcpy(&value, &bits, sizeof value);
    d->count = crt_double_digits(value, 17, d->digit, &d->exponent);
}

/* Rounds D to KEEP significant characters, half-up (any character at or above '5' rounds up,
 * as msvcrt's _fptostr compares). KEEP may be zero or negative: all digits are dropped, and
 * what is left is 0 or a 1 one place up. */
static void round_decimal(decimal* d, int keep) {
    if (keep >= d->count) {
        return;
    }
    if (keep < 0) {
        d->digit[0] = '0';
        d->count = 1;
        d->exponent = 0;
        return;
    }
    int up = d->digit[keep] >= '5';
    d->count = keep;
    if (up) {
        int i = keep - 1;
        while (i >= 0 && d->digit[i] == '9') {
            d->digit[i--] = '0';
        }
        if (i >= 0) {
            d->digit[i]++;
        } else {
            memmove(d->digit + 1, d->digit, (size_t)keep);
            d->digit[0] = '1';
            d->count = keep + 1;
            d->exponent++;
        }
    }
    if (d->count == 0) {
        d->digit[0] = '0';
        d->count = 1;
        d->exponent = 0;
    }
    while (d->count > 1 && d->digit[d->count - 1] == '0') {
        d->count--;
    }
}

/* The significant character at decimal position POWER (10^POWER), '0' outside. */
static char digit_at(const decimal* d, int power) {
    int index = d->exponent - power;
    return (index >= 0 && index < d->count) ? d->digit[index] : '0';
}

/* Fixed notation with PRECISION fraction digits into TEXT; returns the length. */
static int fixed_text(const decimal* d, int precision, int alt, char* text) {
    int n = 0;
    int top = d->exponent > 0 ? d->exponent : 0;
    for (int p = top; p >= 0; p--) {
        text[n++] = digit_at(d, p);
    }
    if (precision > 0 || alt) {
        text[n++] = '.';
    }
    for (int p = 1; p <= precision; p++) {
        text[n++] = digit_at(d, -p);
    }
    return n;
}

/* Exponent notation: d.ddd then e+ddd (three exponent digits at least). */
static int exponent_text(const decimal* d, int precision, int alt, char e, char* text) {
    int n = 0;
    text[n++] = d->digit[0];
    if (precision > 0 || alt) {
        text[n++] = '.';
    }
    for (int i = 1; i <= precision; i++) {
        text[n++] = i < d->count ? d->digit[i] : '0';
    }
    int exponent = d->digit[0] == '0' ? 0 : d->exponent;
    text[n++] = e;
    text[n++] = exponent < 0 ? '-' : '+';
    if (exponent < 0) {
        exponent = -exponent;
    }
    text[n++] = (char)('0' + exponent / 100);
    text[n++] = (char)('0' + exponent / 10 % 10);
    text[n++] = (char)('0' + exponent % 10);
    return n;
}

/* Drops trailing zeros of the fraction, and the point if nothing is left after it. */
static int strip_zeros(char* text, int n, int mantissa_end) {
    int has_point = 0;
    for (int i = 0; i < mantissa_end; i++) {
        has_point |= text[i] == '.';
    }
    if (!has_point) {
        return n;
    }
    int end = mantissa_end;
    while (text[end - 1] == '0') {
        end--;
    }
    if (text[end - 1] == '.') {
        end--;
    }
    memmove(text + end, text + mantissa_end, (size_t)(n - mantissa_end));
    return n - (mantissa_end - end);
}

static void format_double(out* o, int flags, int width, int precision, char conversion,
                          double value) {
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    int negative = (int)(bits >> 63);
    if (precision < 0) {
        precision = 6;
    }
    /* The text may be long: "%.500f" of 1e308. Past 1100 characters of precision msvcrt
     * prints only zeros anyway; the buffer is sized for the largest this allows. */
    if (precision > 1100) {
        precision = 1100;
    }
    char text[1500];
    int n;
    decimal d;
    to_decimal(value, &d);
    char lower = (char)(conversion | 0x20);
    int upper = conversion != lower;
    if (lower == 'f') {
        round_decimal(&d, d.exponent + 1 + precision);
        n = fixed_text(&d, precision, flags & F_ALT, text);
    } else if (lower == 'e') {
        round_decimal(&d, precision + 1);
        n = exponent_text(&d, precision, flags & F_ALT, upper ? 'E' : 'e', text);
    } else {
        if (precision == 0) {
            precision = 1;
        }
        round_decimal(&d, precision);
        int exponent = d.digit[0] == '0' ? 0 : d.exponent;
        int mantissa_end;
        if (exponent < -4 || exponent >= precision) {
            n = exponent_text(&d, precision - 1, flags & F_ALT, upper ? 'E' : 'e', text);
            mantissa_end = n - 5;
        } else {
            n = fixed_text(&d, precision - 1 - exponent, flags & F_ALT, text);
            mantissa_end = n;
        }
        if (!(flags & F_ALT)) {
            n = strip_zeros(text, n, mantissa_end);
        }
    }
    char prefix[1];
    int prefix_length = 0;
    if (negative) {
        prefix[prefix_length++] = '-';
    } else if (flags & F_PLUS) {
        prefix[prefix_length++] = '+';
    } else if (flags & F_SPACE) {
        prefix[prefix_length++] = ' ';
    }
    field(o, flags, width, prefix, prefix_length, text, n);
}

/* ---- Strings ------------------------------------------------------------------------------ */

/* A wide character in the C locale: 0-255 are the byte itself, others cannot be converted. */
static int narrow(WCHAR c, char* byte) {
    if (c > 0xFF) {
        return 0;
    }
    *byte = (char)c;
    return 1;
}

static void format_string(out* o, int flags, int width, int precision, const void* s, int wide) {
    if (s == NULL) {
        s = wide ? (const void*)L"(null)" : "(null)";
    }
    if (!wide) {
        const char* text = s;
        int n = 0;
        while ((precision < 0 || n < precision) && text[n]) {
            n++;
        }
        field(o, flags & ~F_ZERO, width, "", 0, text, n);
        return;
    }
    const WCHAR* w = s;
    int n = 0;
    while ((precision < 0 || n < precision) && w[n]) {
        n++;
    }
    int padding = width > n ? width - n : 0;
    if (!(flags & F_LEFT)) {
        repeat(o, ' ', padding);
    }
    for (int i = 0; i < n; i++) {
        char byte;
        if (!narrow(w[i], &byte)) {
            o->failed = 1; /* msvcrt's wctomb fails, and so does the call */
            return;
        }
        emit(o, &byte, 1);
    }
    if (flags & F_LEFT) {
        repeat(o, ' ', padding);
    }
}

/* ---- The format walk ---------------------------------------------------------------------- */

int crt_format(crt_sink* sink, const char* format, va_list args) {
    out o = {sink, 0, 0};
    va_list ap;
    va_copy(ap, args);
    const char* p = format;
    while (*p && !o.failed) {
        if (*p != '%') {
            const char* start = p;
            while (*p && *p != '%') {
                p++;
            }
            emit(&o, start, (size_t)(p - start));
            continue;
        }
        p++;
        int flags = 0;
        for (;; p++) {
            if (*p == '-') {
                flags |= F_LEFT;
            } else if (*p == '+') {
                flags |= F_PLUS;
            } else if (*p == ' ') {
                flags |= F_SPACE;
            } else if (*p == '#') {
                flags |= F_ALT;
            } else if (*p == '0') {
                flags |= F_ZERO;
            } else {
                break;
            }
        }
        int width = 0;
        if (*p == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                flags |= F_LEFT;
                width = -width;
            }
            p++;
        } else {
            while (*p >= '0' && *p <= '9') {
                width = width * 10 + (*p++ - '0');
            }
        }
        int precision = -1;
        if (*p == '.') {
            p++;
            precision = 0;
            if (*p == '*') {
                precision = va_arg(ap, int);
                if (precision < 0) {
                    precision = -1;
                }
                p++;
            } else {
                while (*p >= '0' && *p <= '9') {
                    precision = precision * 10 + (*p++ - '0');
                }
            }
        }
        enum size size = SIZE_INT;
        for (;;) {
            if (*p == 'h') {
                size = SIZE_SHORT;
                p++;
            } else if (*p == 'l' && p[1] == 'l') {
                size = SIZE_LONGLONG;
                p += 2;
            } else if (*p == 'l' || *p == 'w') {
                size = SIZE_WIDE; /* long is 32 bits: for integers the same as int */
                p++;
            } else if (*p == 'L') {
                p++; /* long double is double */
            } else if (*p == 'I' && p[1] == '6' && p[2] == '4') {
                size = SIZE_LONGLONG;
                p += 3;
            } else if (*p == 'I' && p[1] == '3' && p[2] == '2') {
                size = SIZE_INT;
                p += 3;
            } else if (*p == 'I') {
                size = SIZE_LONGLONG; /* pointer-sized */
                p++;
            } else {
                break;
            }
        }
        char conversion = *p;
        if (conversion == 0) {
            break;
        }
        p++;
        switch (conversion) {
            case 'd':
            case 'i': {
                int64_t value;
                if (size == SIZE_LONGLONG) {
                    value = va_arg(ap, int64_t);
                } else if (size == SIZE_SHORT) {
                    value = (short)va_arg(ap, int);
                } else {
                    value = va_arg(ap, int);
                }
                uint64_t magnitude = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
                format_integer(&o, flags, width, precision, magnitude, value < 0, 1, 10, 0, 0);
                break;
            }
            case 'u':
            case 'o':
            case 'x':
            case 'X': {
                uint64_t value;
                if (size == SIZE_LONGLONG) {
                    value = va_arg(ap, uint64_t);
                } else if (size == SIZE_SHORT) {
                    value = (unsigned short)va_arg(ap, int);
                } else {
                    value = va_arg(ap, unsigned int);
                }
                int radix = conversion == 'u' ? 10 : conversion == 'o' ? 8 : 16;
                format_integer(&o, flags, width, precision, value, 0, 0, radix, conversion == 'X',
                               0);
                break;
            }
            case 'p': {
                uint64_t value = (uint64_t)(uintptr_t)va_arg(ap, void*);
                format_integer(&o, flags, width, 16, value, 0, 0, 16, 1, 1);
                break;
            }
            case 'e':
            case 'E':
            case 'f':
            case 'g':
            case 'G':
                format_double(&o, flags, width, precision, conversion, va_arg(ap, double));
                break;
            case 'c':
            case 'C': {
                int wide = conversion == 'C' ? size != SIZE_SHORT : size == SIZE_WIDE;
                int value = va_arg(ap, int);
                char byte = (char)value;
                if (wide && !narrow((WCHAR)value, &byte)) {
                    o.failed = 1;
                    break;
                }
                field(&o, flags & ~F_ZERO, width, "", 0, &byte, 1);
                break;
            }
            case 's':
            case 'S': {
                int wide = conversion == 'S' ? size != SIZE_SHORT : size == SIZE_WIDE;
                format_string(&o, flags, width, precision, va_arg(ap, const void*), wide);
                break;
            }
            case 'n': {
                void* where = va_arg(ap, void*);
                if (size == SIZE_LONGLONG) {
                    *(int64_t*)where = o.count;
                } else if (size == SIZE_SHORT) {
                    *(short*)where = (short)o.count;
                } else {
                    *(int*)where = o.count;
                }
                break;
            }
            default:
                /* '%' itself, and characters msvcrt does not know, print as they are. */
                emit(&o, &conversion, 1);
                break;
        }
    }
    va_end(ap);
    return o.failed ? -1 : o.count;
}

/* ---- The string members of the family ----------------------------------------------------- */

typedef struct {
    crt_sink sink;
    char* buffer;
    size_t capacity; /* bytes that may be written; (size_t)-1 for sprintf */
    size_t length;   /* bytes produced, written or not */
} string_sink;

static int string_put(crt_sink* sink, const char* text, size_t length) {
    string_sink* s = (string_sink*)sink;
    for (size_t i = 0; i < length; i++, s->length++) {
        if (s->length < s->capacity) {
            s->buffer[s->length] = text[i];
        }
    }
    return 0;
}

/* Formats into BUFFER of CAPACITY bytes; returns the full length or -1 on a failed
 * conversion. */
static int format_string_sink(char* buffer, size_t capacity, size_t* produced, const char* format,
                              va_list args) {
    string_sink s = {{string_put}, buffer, capacity, 0};
    int result = crt_format(&s.sink, format, args);
    *produced = s.length;
    return result;
}

int vsprintf(char* buffer, const char* format, va_list args) {
    size_t produced;
    int result = format_string_sink(buffer, (size_t)-1, &produced, format, args);
    buffer[produced] = 0;
    return result;
}

int sprintf(char* buffer, const char* format, ...) {
    va_list args;
    va_start(args, format);
    int result = vsprintf(buffer, format, args);
    va_end(args);
    return result;
}

/* msvcrt's _vsnprintf: at most COUNT bytes; the NUL only if there is room for it; -1 when the
 * text did not fit. */
int _vsnprintf(char* buffer, size_t count, const char* format, va_list args) {
    size_t produced;
    int result = format_string_sink(buffer, count, &produced, format, args);
    if (result < 0) {
        return -1;
    }
    if (produced < count) {
        buffer[produced] = 0;
    }
    return produced > count ? -1 : (int)produced;
}

int _snprintf(char* buffer, size_t count, const char* format, ...) {
    va_list args;
    va_start(args, format);
    int result = _vsnprintf(buffer, count, format, args);
    va_end(args);
    return result;
}

int _vscprintf(const char* format, va_list args) {
    size_t produced;
    int result = format_string_sink(NULL, 0, &produced, format, args);
    return result < 0 ? -1 : (int)produced;
}

int _scprintf(const char* format, ...) {
    va_list args;
    va_start(args, format);
    int result = _vscprintf(format, args);
    va_end(args);
    return result;
}
