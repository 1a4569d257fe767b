/* <string.h>: the byte-string and memory functions, with msvcrt's names and semantics
 * (_strdup and _stricmp as well as the C ones). Built with -fno-builtin so that gcc does not
 * compile these loops back into calls to themselves. */
#include "msvcrt_private.h"

void* memset(void* to, int value, size_t count) {
    void* cursor = to;
    __asm__ volatile("rep stosb" : "+D"(cursor), "+c"(count) : "a"(value) : "memory");
    return to;
}

void* memcpy(void* to, const void* from, size_t count) {
    void* cursor = to;
    __asm__ volatile("rep movsb" : "+D"(cursor), "+S"(from), "+c"(count) : : "memory");
    return to;
}

void* memmove(void* to, const void* from, size_t count) {
    unsigned char* t = to;
    const unsigned char* f = from;
    if (t <= f || t >= f + count) {
        return memcpy(to, from, count);
    }
    /* The destination starts inside the source: copy from the end. */
    while (count > 0) {
        count--;
        t[count] = f[count];
    }
    return to;
}

int memcmp(const void* a, const void* b, size_t count) {
    const unsigned char* x = a;
    const unsigned char* y = b;
    for (size_t i = 0; i < count; i++) {
        if (x[i] != y[i]) {
            return x[i] < y[i] ? -1 : 1;
        }
    }
    return 0;
}

void* memchr(const void* s, int c, size_t count) {
    const unsigned char* p = s;
    for (size_t i = 0; i < count; i++) {
        if (p[i] == (unsigned char)c) {
            return (void*)(p + i);
        }
    }
    return NULL;
}

size_t strlen(const char* s) {
    const char* p = s;
    while (*p) {
        p++;
    }
    return (size_t)(p - s);
}

int strcmp(const char* a, const char* b) {
    while (*a && *a == *b) {
        a++;
        b++;
    }
    unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
    return x < y ? -1 : x > y;
}

int strncmp(const char* a, const char* b, size_t count) {
    for (; count > 0; count--, a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x != y) {
            return x < y ? -1 : 1;
        }
        if (x == 0) {
            break;
        }
    }
    return 0;
}

char* strcpy(char* to, const char* from) {
    char* t = to;
    while ((*t++ = *from++) != 0) {
    }
    return to;
}

/* As C says: copies at most COUNT bytes and pads with NULs to COUNT. */
char* strncpy(char* to, const char* from, size_t count) {
    size_t i = 0;
    for (; i < count && from[i]; i++) {
        to[i] = from[i];
    }
    for (; i < count; i++) {
        to[i] = 0;
    }
    return to;
}

char* strcat(char* to, const char* from) {
    strcpy(to + strlen(to), from);
    return to;
}

char* strncat(char* to, const char* from, size_t count) {
    char* t = to + strlen(to);
    while (count-- > 0 && *from) {
        *t++ = *from++;
    }
    *t = 0;
    return to;
}

char* strchr(const char* s, int c) {
    for (;; s++) {
        if (*s == (char)c) {
            return (char*)s;
        }
        if (*s == 0) {
            return NULL;
        }
    }
}

char* strrchr(const char* s, int c) {
    const char* found = NULL;
    for (;; s++) {
        if (*s == (char)c) {
            found = s;
        }
        if (*s == 0) {
            return (char*)found;
        }
    }
}

char* strstr(const char* haystack, const char* needle) {
    size_t n = strlen(needle);
    if (n == 0) {
        return (char*)haystack;
    }
    for (; *haystack; haystack++) {
        if (*haystack == *needle && strncmp(haystack, needle, n) == 0) {
            return (char*)haystack;
        }
    }
    return NULL;
}

size_t strspn(const char* s, const char* accept) {
    size_t n = 0;
    while (s[n] && strchr(accept, s[n])) {
        n++;
    }
    return n;
}

size_t strcspn(const char* s, const char* reject) {
    size_t n = 0;
    while (s[n] && !strchr(reject, s[n])) {
        n++;
    }
    return n;
}

char* strpbrk(const char* s, const char* accept) {
    s += strcspn(s, accept);
    return *s ? (char*)s : NULL;
}

/* The position between calls is per thread, as in msvcrt. */
char* strtok(char* s, const char* delimiters) {
    crt_thread_data* thread = crt_thread();
    if (s == NULL) {
        s = thread->strtok_next;
        if (s == NULL) {
            return NULL;
        }
    }
    s += strspn(s, delimiters);
    if (*s == 0) {
        thread->strtok_next = NULL;
        return NULL;
    }
    char* end = s + strcspn(s, delimiters);
    if (*end) {
        *end = 0;
        thread->strtok_next = end + 1;
    } else {
        thread->strtok_next = NULL;
    }
    return s;
}

char* _strdup(const char* s) {
    if (s == NULL) {
        return NULL;
    }
    size_t n = strlen(s) + 1;
    char* copy = malloc(n);
    if (copy != NULL) {
        memcpy(copy, s, n);
    }
    return copy;
}

/* The C locale's case folding: msvcrt compares the lower-case forms. */
static int fold(int c) {
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

int _strnicmp(const char* a, const char* b, size_t count) {
    for (; count > 0; count--, a++, b++) {
        int x = fold((unsigned char)*a), y = fold((unsigned char)*b);
        if (x != y) {
            return x - y;
        }
        if (x == 0) {
            break;
        }
    }
    return 0;
}

int _stricmp(const char* a, const char* b) {
    return _strnicmp(a, b, (size_t)-1);
}

char* _strlwr(char* s) {
    for (char* p = s; *p; p++) {
        *p = (char)fold((unsigned char)*p);
    }
    return s;
}

char* _strupr(char* s) {
    for (char* p = s; *p; p++) {
        if (*p >= 'a' && *p <= 'z') {
            *p = (char)(*p - ('a' - 'A'));
        }
    }
    return s;
}

char* _strrev(char* s) {
    size_t n = strlen(s);
    for (size_t i = 0; i < n / 2; i++) {
        char c = s[i];
        s[i] = s[n - 1 - i];
        s[n - 1 - i] = c;
    }
    return s;
}

/* ---- Wide strings (UTF-16 units) -------------------------------------------------------- */

size_t wcslen(const WCHAR* s) {
    const WCHAR* p = s;
    while (*p) {
        p++;
    }
    return (size_t)(p - s);
}

size_t wcsnlen(const WCHAR* s, size_t max) {
    size_t n = 0;
    while (n < max && s[n]) {
        n++;
    }
    return n;
}

int wcscmp(const WCHAR* a, const WCHAR* b) {
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a < *b ? -1 : *a > *b;
}

int wcsncmp(const WCHAR* a, const WCHAR* b, size_t count) {
    for (; count > 0; count--, a++, b++) {
        if (*a != *b) {
            return *a < *b ? -1 : 1;
        }
        if (*a == 0) {
            break;
        }
    }
    return 0;
}

WCHAR* wcscpy(WCHAR* to, const WCHAR* from) {
    WCHAR* t = to;
    while ((*t++ = *from++) != 0) {
    }
    return to;
}

WCHAR* wcsncpy(WCHAR* to, const WCHAR* from, size_t count) {
    size_t i = 0;
    for (; i < count && from[i]; i++) {
        to[i] = from[i];
    }
    for (; i < count; i++) {
        to[i] = 0;
    }
    return to;
}

WCHAR* wcscat(WCHAR* to, const WCHAR* from) {
    wcscpy(to + wcslen(to), from);
    return to;
}

WCHAR* wcschr(const WCHAR* s, WCHAR c) {
    for (;; s++) {
        if (*s == c) {
            return (WCHAR*)s;
        }
        if (*s == 0) {
            return NULL;
        }
    }
}

WCHAR* wcsrchr(const WCHAR* s, WCHAR c) {
    const WCHAR* found = NULL;
    for (;; s++) {
        if (*s == c) {
            found = s;
        }
        if (*s == 0) {
            return (WCHAR*)found;
        }
    }
}

WCHAR* wcsstr(const WCHAR* haystack, const WCHAR* needle) {
    size_t n = wcslen(needle);
    if (n == 0) {
        return (WCHAR*)haystack;
    }
    for (; *haystack; haystack++) {
        if (wcsncmp(haystack, needle, n) == 0) {
            return (WCHAR*)haystack;
        }
    }
    return NULL;
}

WCHAR* _wcsdup(const WCHAR* s) {
    if (s == NULL) {
        return NULL;
    }
    size_t n = (wcslen(s) + 1) * sizeof(WCHAR);
    WCHAR* copy = malloc(n);
    if (copy != NULL) {
        memcpy(copy, s, n);
    }
    return copy;
}
