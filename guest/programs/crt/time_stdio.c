/* msvcrt's <time.h>, sscanf, stream positioning and _fstat64, as a default-built program uses
 * them. Its stdout is compared byte for byte with tests/guest/expected/crt/time_stdio.txt;
 * nothing printed depends on the clock, the time zone or the working directory. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <wchar.h>

static void times(void) {
    /* 2024-02-29 13:05:09 UTC, a Thursday in a leap year. */
    time_t when = 1709211909;
    struct tm* utc = gmtime(&when);
    printf("gmtime %d-%02d-%02d %02d:%02d:%02d wday %d yday %d isdst %d\n", utc->tm_year + 1900,
           utc->tm_mon + 1, utc->tm_mday, utc->tm_hour, utc->tm_min, utc->tm_sec, utc->tm_wday,
           utc->tm_yday, utc->tm_isdst);
    char text[128];
    size_t n = strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %a %A %b %B %j %p %I %y %%", utc);
    printf("strftime [%s] %u\n", text, (unsigned)n);
    strftime(text, sizeof text, "%c|%x|%X|%U|%W|%w", utc);
    printf("strftime [%s]\n", text);
    strftime(text, sizeof text, "%#c|%#x|%#d|%#j", utc);
    printf("strftime [%s]\n", text);
    printf("strftime too small %u\n", (unsigned)strftime(text, 5, "%Y-%m-%d", utc));
    wchar_t wide[64];
    n = wcsftime(wide, 64, L"%d %B %Y", utc);
    printf("wcsftime [%ls] %u\n", wide, (unsigned)n);

    struct tm epoch = *gmtime(&(time_t){0});
    printf("epoch %d-%02d-%02d wday %d\n", epoch.tm_year + 1900, epoch.tm_mon + 1, epoch.tm_mday,
           epoch.tm_wday);
    printf("gmtime(-1) %s\n", gmtime(&(time_t){-1}) == NULL ? "NULL" : "not NULL");

    /* mktime undoes localtime in any zone, and normalises out-of-range fields. */
    struct tm local = *localtime(&when);
    printf("mktime round trip %s\n", mktime(&local) == when ? "yes" : "no");
    local.tm_mday += 1; /* 29 February + 1 day */
    time_t next = mktime(&local);
    printf("mktime next day +%lld s, month %d day %d yday %d\n", (long long)(next - when),
           local.tm_mon + 1, local.tm_mday, local.tm_yday);

    time_t now = time(NULL);
    time_t again;
    time(&again);
    printf("time() after 2020: %s, agrees: %s\n", now > 1577836800 ? "yes" : "no",
           again >= now ? "yes" : "no");
    printf("clock() %s\n", clock() >= 0 ? "non-negative" : "negative");
}

static void scanning(void) {
    int a = 0, b = 0, count = 0;
    unsigned x = 0;
    char word[16] = "", rest[16] = "";
    double d = 0;
    float f = 0;
    int r = sscanf("  42 -17 0x1F hello 3.5e2 2.25 tail", "%d %i %x %15s %lf %f %n%15s", &a, &b, &x,
                   word, &d, &f, &count, rest);
    printf("sscanf %d: %d %d %u %s %g %g %d %s\n", r, a, b, x, word, d, f, count, rest);
    char set[16] = "";
    r = sscanf("abc123def", "%[a-c]%*d%3c", set, word);
    word[3] = 0;
    printf("sscanf %d: [%s] [%s]\n", r, set, word);
    r = sscanf("12:34", "%d:%d", &a, &b);
    printf("sscanf %d: %d %d\n", r, a, b);
    r = sscanf("12 abc", "%d %d", &a, &b);
    printf("sscanf matching failure %d\n", r);
    r = sscanf("", "%d", &a);
    printf("sscanf empty %d\n", r);
    long long big = 0;
    r = sscanf("-9000000000", "%lld", &big);
    printf("sscanf %d: %lld\n", r, big);
}

static void positions(void) {
    const char* name = "time_stdio.tmp";
    FILE* f = fopen(name, "w+b");
    if (f == NULL) {
        printf("fopen failed\n");
        return;
    }
    fputs("0123456789abcdef", f);
    printf("ftell after write %ld\n", ftell(f));
    fseek(f, 4, SEEK_SET);
    int c = getc(f);
    printf("after fseek(4) getc '%c' ftell %ld\n", c, ftell(f));
    fpos_t mark;
    fgetpos(f, &mark);
    fseek(f, -3, SEEK_END);
    printf("fseek(-3, END) getc '%c'\n", getc(f));
    fsetpos(f, &mark);
    printf("fsetpos back getc '%c'\n", getc(f));
    fseek(f, 2, SEEK_CUR);
    printf("fseek(2, CUR) getc '%c'\n", getc(f));
    printf("fseek bad origin %d\n", fseek(f, 0, 7));
    fseek(f, 0, SEEK_END);
    fputs("XY", f);
    rewind(f);
    char line[32] = "";
    fgets(line, sizeof line, f);
    printf("after rewind [%s]\n", line);

    struct _stat64 st;
    fflush(f);
    int r = _fstat64(_fileno(f), &st);
    printf("_fstat64 %d: size %lld regular %s writable %s links %d\n", r, (long long)st.st_size,
           (st.st_mode & _S_IFMT) == _S_IFREG ? "yes" : "no",
           (st.st_mode & _S_IWRITE) ? "yes" : "no", st.st_nlink);
    fclose(f);

    /* Text mode: "\n" is "\r\n" in the file, and ftell counts the file's bytes. */
    f = fopen(name, "w");
    fputs("ab\ncd\n", f);
    printf("text ftell %ld\n", ftell(f));
    fclose(f);
    f = fopen(name, "r");
    char got[4] = "";
    for (int i = 0; i < 3; i++) {
        got[i] = (char)getc(f);
    }
    printf("text read [%s] ftell %ld\n", strcmp(got, "ab\n") == 0 ? "ab\\n" : got, ftell(f));
    fclose(f);
    remove(name);
    printf("_fstat64 bad fd %d\n", _fstat64(99, &st));
}

int main(void) {
    times();
    scanning();
    positions();
    return 0;
}
