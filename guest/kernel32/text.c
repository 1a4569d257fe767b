/* UTF-8 and UTF-16 for kernel32's file and console functions: the ANSI file names are
 * UTF-8, and the console on the host is UTF-8. */
#include "path.h"

BOOL ntoy_utf8_to_wide(LPCSTR text, PWSTR out, SIZE_T capacity) {
    const unsigned char* p = (const unsigned char*)text;
    SIZE_T n = 0;
    while (*p != 0) {
        unsigned int c;
        int extra;
        if (*p < 0x80) {
            c = *p;
            extra = 0;
        } else if ((*p & 0xE0) == 0xC0) {
            c = *p & 0x1F;
            extra = 1;
        } else if ((*p & 0xF0) == 0xE0) {
            c = *p & 0x0F;
            extra = 2;
        } else if ((*p & 0xF8) == 0xF0) {
            c = *p & 0x07;
            extra = 3;
        } else {
            RtlSetLastWin32Error(ERROR_NO_UNICODE_TRANSLATION);
            return FALSE;
        }
        ++p;
        for (int i = 0; i < extra; ++i, ++p) {
            if ((*p & 0xC0) != 0x80) {
                RtlSetLastWin32Error(ERROR_NO_UNICODE_TRANSLATION);
                return FALSE;
            }
            c = (c << 6) | (*p & 0x3F);
        }
        static const unsigned int minimum[4] = {0, 0x80, 0x800, 0x10000};
        if (c < minimum[extra] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
            RtlSetLastWin32Error(ERROR_NO_UNICODE_TRANSLATION);
            return FALSE;
        }
        SIZE_T units = c >= 0x10000 ? 2 : 1;
        if (n + units >= capacity) {
            RtlSetLastWin32Error(ERROR_FILENAME_EXCED_RANGE);
            return FALSE;
        }
        if (c >= 0x10000) {
            out[n++] = (WCHAR)(0xD800 + ((c - 0x10000) >> 10));
            out[n++] = (WCHAR)(0xDC00 + ((c - 0x10000) & 0x3FF));
        } else {
            out[n++] = (WCHAR)c;
        }
    }
    out[n] = L'\0';
    return TRUE;
}

SIZE_T ntoy_wide_to_utf8_n(LPCWSTR text, SIZE_T count, LPSTR out, SIZE_T capacity) {
    SIZE_T n = 0;
    for (SIZE_T i = 0; i < count; ++i) {
        unsigned int c = text[i];
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < count && text[i + 1] >= 0xDC00 &&
            text[i + 1] <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (text[i + 1] - 0xDC00);
            ++i;
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            c = 0xFFFD;
        }
        unsigned char bytes[4];
        int length;
        if (c < 0x80) {
            bytes[0] = (unsigned char)c;
            length = 1;
        } else if (c < 0x800) {
            bytes[0] = (unsigned char)(0xC0 | (c >> 6));
            bytes[1] = (unsigned char)(0x80 | (c & 0x3F));
            length = 2;
        } else if (c < 0x10000) {
            bytes[0] = (unsigned char)(0xE0 | (c >> 12));
            bytes[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            bytes[2] = (unsigned char)(0x80 | (c & 0x3F));
            length = 3;
        } else {
            bytes[0] = (unsigned char)(0xF0 | (c >> 18));
            bytes[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
            bytes[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            bytes[3] = (unsigned char)(0x80 | (c & 0x3F));
            length = 4;
        }
        if (out != NULL && n + (SIZE_T)length <= capacity) {
            for (int k = 0; k < length; ++k) {
                out[n + (SIZE_T)k] = (CHAR)bytes[k];
            }
        }
        n += (SIZE_T)length;
    }
    return n;
}

SIZE_T ntoy_wide_to_utf8(LPCWSTR text, LPSTR out, SIZE_T capacity) {
    SIZE_T count = 0;
    while (text[count] != L'\0') {
        ++count;
    }
    SIZE_T n = ntoy_wide_to_utf8_n(text, count, NULL, 0);
    if (out != NULL && n < capacity) {
        ntoy_wide_to_utf8_n(text, count, out, capacity);
        out[n] = '\0';
    }
    return n;
}
