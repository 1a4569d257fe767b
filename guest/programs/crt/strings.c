/* <string.h>, <ctype.h> and <stdlib.h> as msvcrt gives them: string functions, case-blind
 * compares, conversions with their end pointers and errno, msvcrt's strerror texts, its rand
 * sequence (the LCG seed * 214013 + 2531011, bits 16-30), qsort and bsearch. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_value(const void* a, const void* b) {
    int x = *(const int*)a, y = *(const int*)b;
    return (x > y) - (x < y);
}

static int by_name(const void* a, const void* b) {
    return strcmp(*(const char* const*)a, *(const char* const*)b);
}

int main(void) {
    char buffer[64];
    strcpy(buffer, "Hello");
    strcat(buffer, ", world");
    printf("[%s] len %u\n", buffer, (unsigned)strlen(buffer));
    printf("strchr: [%s] strrchr: [%s] strstr: [%s]\n", strchr(buffer, 'o'), strrchr(buffer, 'o'),
           strstr(buffer, "wor"));
    printf("strcmp: %d %d %d\n", strcmp("abc", "abd") < 0, strcmp("b", "a") > 0, strcmp("x", "x"));
    printf("strncmp: %d _stricmp: %d _strnicmp: %d\n", strncmp("abcdef", "abcxyz", 3),
           _stricmp("HeLLo", "hello"), _strnicmp("ABCd", "abcE", 3));
    printf("strspn: %u strcspn: %u strpbrk: [%s]\n", (unsigned)strspn("123abc", "0123456789"),
           (unsigned)strcspn("abc,def", ",;"), strpbrk("key=value", "=:"));
    char tokens[] = " one, two ,,three ";
    for (char* t = strtok(tokens, " ,"); t != NULL; t = strtok(NULL, " ,")) {
        printf("token [%s]\n", t);
    }
    char* dup = _strdup("duplicate");
    printf("_strdup: [%s]\n", dup);
    free(dup);
    memset(buffer, 'x', 5);
    buffer[5] = 0;
    printf("memset: [%s] memcmp: %d memchr: [%s]\n", buffer, memcmp("ab", "ac", 2) < 0,
           (char*)memchr("find me", 'm', 7));
    char overlap[] = "abcdefgh";
    memmove(overlap + 2, overlap, 5);
    printf("memmove: [%s]\n", overlap);
    strncpy(buffer, "xy", 5);
    printf("strncpy pads: %d %d %d\n", buffer[2], buffer[3], buffer[4]);

    printf("ctype: %d%d%d%d%d%d%d %c%c\n", !!isalpha('a'), !!isdigit('7'), !!isspace('\t'),
           !!isupper('a'), !!isxdigit('F'), !!ispunct('!'), !!isprint('\t'), toupper('q'),
           tolower('Q'));

    /* Each conversion before the printf that shows its end pointer: argument evaluation
     * order is unspecified. */
    char* end;
    long number = strtol("  -1234xyz", &end, 10);
    printf("strtol: %ld [%s]\n", number, end);
    printf("strtol hex: %ld, base 0: %ld %ld %ld\n", strtol("ff", NULL, 16),
           strtol("0x1F", NULL, 0), strtol("017", NULL, 0), strtol("17", NULL, 0));
    errno = 0;
    long big = strtol("99999999999", &end, 10);
    printf("strtol overflow: %ld errno %d (%s)\n", big, errno, errno == ERANGE ? "ERANGE" : "?");
    printf("strtoul: %lu, of -1: %lu\n", strtoul("4000000000", NULL, 10), strtoul("-1", NULL, 10));
    printf("atoi: %d atol: %ld _atoi64: %lld\n", atoi(" 42abc"), atol("-17"),
           _atoi64("-9223372036854775807"));
    double real = strtod("3.25e2rest", &end);
    printf("strtod: %.17g [%s]\n", real, end);
    printf("strtod: %.17g %.17g %.17g\n", strtod("0.1", NULL), strtod("1e23", NULL),
           strtod("2.2250738585072011e-308", NULL));
    real = strtod("abc", &end);
    printf("atof: %g no digits: %g [%s]\n", atof("-1.5E3"), real, end);
    errno = 0;
    double huge = strtod("1e400", NULL);
    printf("strtod overflow: %s errno %s\n", huge > 1e308 ? "inf" : "finite",
           errno == ERANGE ? "ERANGE" : "0");

    for (int e = 0; e <= 3; e++) {
        printf("strerror(%d): %s\n", e, strerror(e));
    }
    printf("strerror(ENOMEM): %s\n", strerror(ENOMEM));
    printf("strerror(ERANGE): %s\n", strerror(ERANGE));
    printf("strerror(100): %s\n", strerror(100));

    printf("rand:");
    for (int i = 0; i < 5; i++) {
        printf(" %d", rand());
    }
    srand(42);
    printf("\nrand after srand(42):");
    for (int i = 0; i < 5; i++) {
        printf(" %d", rand());
    }
    printf("\n");

    printf("abs: %d labs: %ld div: %d r %d ldiv: %ld r %ld\n", abs(-5), labs(-6L), div(17, 5).quot,
           div(17, 5).rem, ldiv(-17L, 5L).quot, ldiv(-17L, 5L).rem);

    int values[] = {42, -7, 19, 0, 1000, 3, -250, 8, 77, 5, 64, 1};
    size_t count = sizeof values / sizeof values[0];
    qsort(values, count, sizeof values[0], by_value);
    printf("qsort:");
    for (size_t i = 0; i < count; i++) {
        printf(" %d", values[i]);
    }
    int key = 77;
    int* found = bsearch(&key, values, count, sizeof values[0], by_value);
    key = 78;
    printf("\nbsearch 77: index %d, 78: %s\n", (int)(found - values),
           bsearch(&key, values, count, sizeof values[0], by_value) ? "found" : "absent");
    const char* names[] = {"pear", "apple", "fig", "banana", "cherry"};
    qsort(names, 5, sizeof names[0], by_name);
    printf("names: %s %s %s %s %s\n", names[0], names[1], names[2], names[3], names[4]);
    return 0;
}
