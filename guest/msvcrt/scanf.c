/* The scanf family (sscanf, fscanf, scanf) with msvcrt's conversions: d i u o x X p n c s [
 * e E f g G, the size prefixes h hh l ll L I64 I32, '*' to skip an assignment, and widths.
 * Numbers are gathered into a text buffer of at most the width's characters and converted
 * with _strtoi64/_strtoui64/strtod, so they round exactly as those do. The result is the
 * number of assignments, or EOF when the input ends before the first conversion. */
#include "msvcrt_private.h"

int64_t _strtoi64(const char* s, char** end, int base);
uint64_t _strtoui64(const char* s, char** end, int base);
double strtod(const char* s, char** end);
int fgetc(FILE* f);
int ungetc(int c, FILE* f);

/* Where characters come from: a string, or a stream. */
typedef struct {
    const char* text;
    FILE* stream;
    int consumed;
    int pending; /* a character read and pushed back, or -2 */
    int eof;     /* the input has ended */
} scan_input;

static int next(scan_input* in) {
    int c;
    if (in->pending != -2) {
        c = in->pending;
        in->pending = -2;
    } else if (in->stream != NULL) {
        c = fgetc(in->stream);
    } else {
        c = *in->text ? (unsigned char)*in->text++ : EOF;
    }
    if (c != EOF) {
        in->consumed++;
    } else {
        in->eof = 1;
    }
    return c;
}

static void back(scan_input* in, int c) {
    if (c != EOF) {
        in->pending = c;
        in->consumed--;
    }
}

/* Gives a pending character back to the stream when the scan ends. */
static void finish(scan_input* in) {
    if (in->stream != NULL && in->pending != -2 && in->pending != EOF) {
        ungetc(in->pending, in->stream);
    }
}

static int is_space(int c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static int is_digit_in(int c, int base) {
    if (c >= '0' && c <= '9') {
        return c - '0' < base;
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 10 < base;
    }
    if (c >= 'A' && c <= 'Z') {
        return c - 'A' + 10 < base;
    }
    return 0;
}

/* Gathers an integer's characters in BASE (0: by prefix, as %i) into TEXT; returns the count,
 * with *BASE set to the base used. */
static int gather_integer(scan_input* in, int width, int* base, char* text, int size) {
    int n = 0;
    int c = next(in);
    if ((c == '+' || c == '-') && n < width) {
        text[n++] = (char)c;
        c = next(in);
    }
    if ((*base == 0 || *base == 16) && c == '0' && n < width) {
        text[n++] = (char)c;
        c = next(in);
        if ((c == 'x' || c == 'X') && n < width) {
            text[n++] = (char)c;
            c = next(in);
            *base = 16;
        } else if (*base == 0) {
            *base = 8;
        }
    }
    if (*base == 0) {
        *base = 10;
    }
    while (n < width && n < size - 1 && is_digit_in(c, *base)) {
        text[n++] = (char)c;
        c = next(in);
    }
    back(in, c);
    text[n] = 0;
    return n;
}

static int gather_float(scan_input* in, int width, char* text, int size) {
    int n = 0;
    int c = next(in);
    int digits = 0;
    if ((c == '+' || c == '-') && n < width) {
        text[n++] = (char)c;
        c = next(in);
    }
    while (n < width && n < size - 1 && c >= '0' && c <= '9') {
        text[n++] = (char)c;
        c = next(in);
        digits++;
    }
    if (n < width && n < size - 1 && c == '.') {
        text[n++] = (char)c;
        c = next(in);
        while (n < width && n < size - 1 && c >= '0' && c <= '9') {
            text[n++] = (char)c;
            c = next(in);
            digits++;
        }
    }
    if (digits > 0 && n < width && n < size - 1 && (c == 'e' || c == 'E')) {
        text[n++] = (char)c;
        c = next(in);
        if (n < width && n < size - 1 && (c == '+' || c == '-')) {
            text[n++] = (char)c;
            c = next(in);
        }
        while (n < width && n < size - 1 && c >= '0' && c <= '9') {
            text[n++] = (char)c;
            c = next(in);
        }
    }
    back(in, c);
    text[n] = 0;
    return digits > 0 ? n : 0;
}

static void store_integer(void* target, int size, uint64_t value) {
    switch (size) {
        case 1:
            *(char*)target = (char)value;
            break;
        case 2:
            *(short*)target = (short)value;
            break;
        case 8:
            *(int64_t*)target = (int64_t)value;
            break;
        default:
            *(int*)target = (int)value;
            break;
    }
}

static int scan(scan_input* in, const char* format, va_list args) {
    int assigned = 0;
    int converted = 0;
    int failed_input = 0;
    for (const char* p = format; *p; p++) {
        if (is_space((unsigned char)*p)) {
            int c;
            do {
                c = next(in);
            } while (is_space(c));
            back(in, c);
            continue;
        }
        if (*p != '%' || p[1] == '%') {
            if (*p == '%') {
                p++;
            }
            int c = next(in);
            if (c != (unsigned char)*p) {
                failed_input = c == EOF;
                back(in, c);
                break;
            }
            continue;
        }
        p++;
        int skip = 0;
        if (*p == '*') {
            skip = 1;
            p++;
        }
        int width = 0;
        while (*p >= '0' && *p <= '9') {
            width = width * 10 + (*p++ - '0');
        }
        int size = 4;
        int is_double = 0;
        if (*p == 'h') {
            size = p[1] == 'h' ? (p++, 1) : 2;
            p++;
        } else if (*p == 'l') {
            if (p[1] == 'l') {
                size = 8;
                p++;
            } else {
                is_double = 1; /* long is 4 bytes; %lf is a double */
            }
            p++;
        } else if (*p == 'L') {
            is_double = 1;
            size = 8;
            p++;
        } else if (p[0] == 'I' && p[1] == '6' && p[2] == '4') {
            size = 8;
            p += 3;
        } else if (p[0] == 'I' && p[1] == '3' && p[2] == '2') {
            p += 3;
        } else if (*p == 'I') {
            size = 8;
            p++;
        }
        char conversion = *p;
        if (conversion == 0) {
            break;
        }
        if (conversion == 'n') {
            if (!skip) {
                store_integer(va_arg(args, void*), size, (uint64_t)in->consumed);
            }
            continue;
        }
        if (conversion != 'c' && conversion != '[') {
            int c;
            do {
                c = next(in);
            } while (is_space(c));
            back(in, c);
        }
        if (width == 0) {
            width = conversion == 'c' ? 1 : 0x7FFFFFFF;
        }
        char text[512];
        if (conversion == 'd' || conversion == 'i' || conversion == 'u' || conversion == 'o' ||
            conversion == 'x' || conversion == 'X' || conversion == 'p') {
            int base = conversion == 'd' || conversion == 'u' ? 10
                       : conversion == 'i'                    ? 0
                       : conversion == 'o'                    ? 8
                                                              : 16;
            if (conversion == 'p') {
                size = 8;
            }
            int n = gather_integer(in, width, &base, text, sizeof text);
            char* end = text;
            uint64_t value = (text[0] == '-') ? (uint64_t)_strtoi64(text, &end, base)
                                              : _strtoui64(text, &end, base);
            if (n == 0 || end == text) {
                failed_input = n == 0 && in->eof;
                break;
            }
            if (!skip) {
                store_integer(va_arg(args, void*), size, value);
                assigned++;
            }
        } else if (conversion == 'e' || conversion == 'E' || conversion == 'f' ||
                   conversion == 'g' || conversion == 'G' || conversion == 'a') {
            if (gather_float(in, width, text, sizeof text) == 0) {
                failed_input = in->eof;
                break;
            }
            double value = strtod(text, NULL);
            if (!skip) {
                if (is_double) {
                    *va_arg(args, double*) = value;
                } else {
                    *va_arg(args, float*) = (float)value;
                }
                assigned++;
            }
        } else if (conversion == 'c' || conversion == 's' || conversion == '[') {
            unsigned char set[256];
            if (conversion == '[') {
                const char* q = p + 1;
                int negate = 0;
                if (*q == '^') {
                    negate = 1;
                    q++;
                }
                memset(set, negate, sizeof set);
                if (*q == ']') {
                    set[']'] = (unsigned char)!negate;
                    q++;
                }
                for (; *q && *q != ']'; q++) {
                    if (q[1] == '-' && q[2] && q[2] != ']') {
                        for (int c = (unsigned char)q[0]; c <= (unsigned char)q[2]; c++) {
                            set[c] = (unsigned char)!negate;
                        }
                        q += 2;
                    } else {
                        set[(unsigned char)*q] = (unsigned char)!negate;
                    }
                }
                if (*q == 0) {
                    break;
                }
                p = q;
            }
            char* out = skip ? NULL : va_arg(args, char*);
            int n = 0;
            int c = EOF;
            while (n < width) {
                c = next(in);
                if (c == EOF || (conversion == 's' && is_space(c)) ||
                    (conversion == '[' && !set[c])) {
                    break;
                }
                if (out != NULL) {
                    out[n] = (char)c;
                }
                n++;
                c = -3;
            }
            if (c != -3) {
                back(in, c);
            }
            if (n == 0 || (conversion == 'c' && n < width)) {
                failed_input = c == EOF;
                if (n == 0) {
                    break;
                }
            }
            if (out != NULL) {
                if (conversion != 'c') {
                    out[n] = 0;
                }
                assigned++;
            }
        } else {
            break; /* an unknown conversion ends the scan */
        }
        converted++;
    }
    finish(in);
    return (failed_input && converted == 0 && assigned == 0) ? EOF : assigned;
}

int vsscanf(const char* text, const char* format, va_list args) {
    if (text == NULL || format == NULL) {
        crt_errno = EINVAL;
        return EOF;
    }
    scan_input in = {text, NULL, 0, -2, 0};
    return scan(&in, format, args);
}

int sscanf(const char* text, const char* format, ...) {
    va_list args;
    va_start(args, format);
    int result = vsscanf(text, format, args);
    va_end(args);
    return result;
}

int vfscanf(FILE* stream, const char* format, va_list args) {
    if (stream == NULL || format == NULL) {
        crt_errno = EINVAL;
        return EOF;
    }
    crt_lock_stream(stream);
    scan_input in = {NULL, stream, 0, -2, 0};
    int result = scan(&in, format, args);
    crt_unlock_stream(stream);
    return result;
}

int fscanf(FILE* stream, const char* format, ...) {
    va_list args;
    va_start(args, format);
    int result = vfscanf(stream, format, args);
    va_end(args);
    return result;
}

int scanf(const char* format, ...) {
    va_list args;
    va_start(args, format);
    int result = vfscanf(&_iob[0], format, args);
    va_end(args);
    return result;
}
