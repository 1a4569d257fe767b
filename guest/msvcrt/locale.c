/* The C locale, the only one this msvcrt has: setlocale accepts "C" (and NULL, to ask) and
 * refuses every other name by returning NULL, as msvcrt does for a locale it cannot load.
 * Multibyte text is single-byte: the C locale's code page is 0 and MB_CUR_MAX is 1, and a
 * byte converts to the wide character of the same value. */
#include "msvcrt_private.h"

/* msvcrt.dll's struct lconv (no wide members). */
struct lconv {
    char* decimal_point;
    char* thousands_sep;
    char* grouping;
    char* int_curr_symbol;
    char* currency_symbol;
    char* mon_decimal_point;
    char* mon_thousands_sep;
    char* mon_grouping;
    char* positive_sign;
    char* negative_sign;
    char int_frac_digits;
    char frac_digits;
    char p_cs_precedes;
    char p_sep_by_space;
    char n_cs_precedes;
    char n_sep_by_space;
    char p_sign_posn;
    char n_sign_posn;
};

#define CHAR_MAX_ 127
static char point[] = ".";
static char empty[] = "";
static struct lconv c_locale = {
    point, empty,     empty,     empty,     empty,     empty,     empty,     empty,     empty,
    empty, CHAR_MAX_, CHAR_MAX_, CHAR_MAX_, CHAR_MAX_, CHAR_MAX_, CHAR_MAX_, CHAR_MAX_, CHAR_MAX_,
};

struct lconv* localeconv(void) {
    return &c_locale;
}

unsigned int __lc_codepage;
int __lc_collate_cp;
/* LC_ALL..LC_TIME's LCIDs; all 0 in the C locale. */
unsigned long __lc_handle[6];

unsigned int ___lc_codepage_func(void) {
    return __lc_codepage;
}

int ___lc_collate_cp_func(void) {
    return __lc_collate_cp;
}

unsigned long* ___lc_handle_func(void) {
    return __lc_handle;
}

#define LC_ALL 0
#define LC_MAX 5

char* setlocale(int category, const char* name) {
    static char c_name[] = "C";
    if (category < LC_ALL || category > LC_MAX) {
        return NULL;
    }
    if (name == NULL || (name[0] == 'C' && name[1] == 0)) {
        return c_name;
    }
    return NULL;
}

int strcmp(const char* a, const char* b);
char* strcpy(char* to, const char* from);
int wcscmp(const WCHAR* a, const WCHAR* b);

/* Collation in the C locale is byte order. */
int strcoll(const char* a, const char* b) {
    return strcmp(a, b);
}

size_t strxfrm(char* to, const char* from, size_t count) {
    size_t length = strlen(from);
    if (length < count) {
        strcpy(to, from);
    }
    return length;
}

int wcscoll(const WCHAR* a, const WCHAR* b) {
    return wcscmp(a, b);
}

size_t wcsxfrm(WCHAR* to, const WCHAR* from, size_t count) {
    size_t length = wcslen(from);
    if (length < count) {
        memcpy(to, from, (length + 1) * sizeof(WCHAR));
    }
    return length;
}

/* ---- Single-byte multibyte conversions --------------------------------------------------- */

int mblen(const char* s, size_t count) {
    if (s == NULL) {
        return 0; /* no shift states */
    }
    if (count == 0) {
        return -1;
    }
    return *s ? 1 : 0;
}

int mbtowc(WCHAR* to, const char* s, size_t count) {
    if (s == NULL) {
        return 0;
    }
    if (count == 0) {
        return -1;
    }
    if (to != NULL) {
        *to = (unsigned char)*s;
    }
    return *s ? 1 : 0;
}

int wctomb(char* to, WCHAR c) {
    if (to == NULL) {
        return 0;
    }
    if (c > 0xFF) {
        crt_errno = EILSEQ;
        return -1;
    }
    *to = (char)c;
    return 1;
}

size_t mbstowcs(WCHAR* to, const char* from, size_t count) {
    size_t length = strlen(from);
    if (to == NULL) {
        return length;
    }
    size_t i = 0;
    for (; i < count && from[i]; i++) {
        to[i] = (unsigned char)from[i];
    }
    if (i < count) {
        to[i] = 0;
    }
    return i;
}

size_t wcstombs(char* to, const WCHAR* from, size_t count) {
    size_t i = 0;
    for (; to == NULL || i < count; i++) {
        if (from[i] == 0) {
            if (to != NULL) {
                to[i] = 0;
            }
            return i;
        }
        if (from[i] > 0xFF) {
            crt_errno = EILSEQ;
            return (size_t)-1;
        }
        if (to != NULL) {
            to[i] = (char)from[i];
        }
    }
    return i;
}
