/* <ctype.h> and <wctype.h> in the C locale, which is the only locale this msvcrt has: the
 * classification table msvcrt exports (_ctype, with _pctype pointing one past its EOF entry)
 * and the functions that read it. Bytes 0x80-0xFF belong to no class, as in msvcrt's C
 * locale; wide characters above 0xFF likewise. */
#include "msvcrt_private.h"

#define UP 0x01
#define LO 0x02
#define DI 0x04
#define SP 0x08
#define PU 0x10
#define CT 0x20
#define BL 0x40
#define HX 0x80
#define AL 0x100

/* Entry 0 is EOF (-1); entry c+1 is character c. */
const unsigned short _ctype[257] = {
    0,
    /* 0x00-0x08 */ CT,
    CT,
    CT,
    CT,
    CT,
    CT,
    CT,
    CT,
    CT,
    /* \t: no _BLANK in msvcrt's table */ CT | SP,
    /* \n \v \f \r */ CT | SP,
    CT | SP,
    CT | SP,
    CT | SP,
    /* 0x0E-0x1F */ CT,
    CT,
    CT,
    CT,
    CT,
    CT,
    CT,
    CT,
    CT,
    CT,
    CT,
    CT,
    CT,
    CT,
    CT,
    CT,
    CT,
    CT,
    /* space */ SP | BL,
    /* !"#$%&'()*+,-./ */ PU,
    PU,
    PU,
    PU,
    PU,
    PU,
    PU,
    PU,
    PU,
    PU,
    PU,
    PU,
    PU,
    PU,
    PU,
    /* 0-9 */ DI | HX,
    DI | HX,
    DI | HX,
    DI | HX,
    DI | HX,
    DI | HX,
    DI | HX,
    DI | HX,
    DI | HX,
    DI | HX,
    /* :;<=>?@ */ PU,
    PU,
    PU,
    PU,
    PU,
    PU,
    PU,
    /* A-F */ AL | UP | HX,
    AL | UP | HX,
    AL | UP | HX,
    AL | UP | HX,
    AL | UP | HX,
    AL | UP | HX,
    /* G-Z */ AL | UP,
    AL | UP,
    AL | UP,
    AL | UP,
    AL | UP,
    AL | UP,
    AL | UP,
    AL | UP,
    AL | UP,
    AL | UP,
    AL | UP,
    AL | UP,
    AL | UP,
    AL | UP,
    AL | UP,
    AL | UP,
    AL | UP,
    AL | UP,
    AL | UP,
    AL | UP,
    /* [\]^_` */ PU,
    PU,
    PU,
    PU,
    PU,
    PU,
    /* a-f */ AL | LO | HX,
    AL | LO | HX,
    AL | LO | HX,
    AL | LO | HX,
    AL | LO | HX,
    AL | LO | HX,
    /* g-z */ AL | LO,
    AL | LO,
    AL | LO,
    AL | LO,
    AL | LO,
    AL | LO,
    AL | LO,
    AL | LO,
    AL | LO,
    AL | LO,
    AL | LO,
    AL | LO,
    AL | LO,
    AL | LO,
    AL | LO,
    AL | LO,
    AL | LO,
    AL | LO,
    AL | LO,
    AL | LO,
    /* {|}~ */ PU,
    PU,
    PU,
    PU,
    /* DEL */ CT,
    /* 0x80-0xFF: zero */
};

const unsigned short* _pctype = _ctype + 1;
int __mb_cur_max = 1;

const unsigned short** __pctype_func(void) {
    return &_pctype;
}

int* ___mb_cur_max_func(void) {
    return &__mb_cur_max;
}

/* msvcrt indexes the table with any int in -1..255; others have no class. */
int _isctype(int c, int mask) {
    if (c < -1 || c > 255) {
        return 0;
    }
    return _ctype[c + 1] & mask;
}

int isalpha(int c) {
    return _isctype(c, AL | UP | LO);
}
int isupper(int c) {
    return _isctype(c, UP);
}
int islower(int c) {
    return _isctype(c, LO);
}
int isdigit(int c) {
    return _isctype(c, DI);
}
int isxdigit(int c) {
    return _isctype(c, HX);
}
int isspace(int c) {
    return _isctype(c, SP);
}
int ispunct(int c) {
    return _isctype(c, PU);
}
int isalnum(int c) {
    return _isctype(c, AL | UP | LO | DI);
}
int isprint(int c) {
    return _isctype(c, BL | PU | AL | UP | LO | DI);
}
int isgraph(int c) {
    return _isctype(c, PU | AL | UP | LO | DI);
}
int iscntrl(int c) {
    return _isctype(c, CT);
}
int __isascii(int c) {
    return (unsigned)c < 0x80;
}
int __iscsym(int c) {
    return isalnum(c) || c == '_';
}
int __iscsymf(int c) {
    return isalpha(c) || c == '_';
}
int __toascii(int c) {
    return c & 0x7F;
}

int toupper(int c) {
    return (c >= 'a' && c <= 'z') ? c - ('a' - 'A') : c;
}
int tolower(int c) {
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}
/* The unchecked forms: msvcrt adds or subtracts whatever the argument is. */
int _toupper(int c) {
    return c - ('a' - 'A');
}
int _tolower(int c) {
    return c + ('a' - 'A');
}

/* ---- Wide characters: the table above for 0-255, nothing beyond --------------------------- */

typedef unsigned short wint_t;

int iswctype(wint_t c, unsigned short mask) {
    return c < 256 ? (_ctype[c + 1] & mask) : 0;
}
int iswalpha(wint_t c) {
    return iswctype(c, AL | UP | LO);
}
int iswupper(wint_t c) {
    return iswctype(c, UP);
}
int iswlower(wint_t c) {
    return iswctype(c, LO);
}
int iswdigit(wint_t c) {
    return iswctype(c, DI);
}
int iswxdigit(wint_t c) {
    return iswctype(c, HX);
}
int iswspace(wint_t c) {
    return iswctype(c, SP);
}
int iswpunct(wint_t c) {
    return iswctype(c, PU);
}
int iswalnum(wint_t c) {
    return iswctype(c, AL | UP | LO | DI);
}
int iswprint(wint_t c) {
    return iswctype(c, BL | PU | AL | UP | LO | DI);
}
int iswgraph(wint_t c) {
    return iswctype(c, PU | AL | UP | LO | DI);
}
int iswcntrl(wint_t c) {
    return iswctype(c, CT);
}
wint_t towupper(wint_t c) {
    return (c >= 'a' && c <= 'z') ? (wint_t)(c - ('a' - 'A')) : c;
}
wint_t towlower(wint_t c) {
    return (c >= 'A' && c <= 'Z') ? (wint_t)(c + ('a' - 'A')) : c;
}
