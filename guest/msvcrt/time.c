/* <time.h> as x64 msvcrt.dll has it: time_t is 64-bit, so time, gmtime, localtime and mktime
 * are the same functions as _time64, _gmtime64, _localtime64 and _mktime64, valid from 1970
 * to the end of 3000 (UTC). Local time is UTC shifted by GetTimeZoneInformation's bias
 * (daylight saving time applies when the zone reports it is in effect); the TZ variable,
 * which msvcrt's _tzset would also read, is not consulted. strftime and wcsftime format in
 * the "C" locale, the only one this msvcrt has; an unknown conversion produces nothing, as in
 * msvcrt.dll. clock() counts milliseconds since the library started. */
#include "msvcrt_private.h"

struct tm {
    int tm_sec;
    int tm_min;
    int tm_hour;
    int tm_mday;
    int tm_mon;
    int tm_year;
    int tm_wday;
    int tm_yday;
    int tm_isdst;
};

typedef struct {
    unsigned short wYear, wMonth, wDayOfWeek, wDay, wHour, wMinute, wSecond, wMilliseconds;
} SYSTEMTIME;
typedef struct {
    long Bias;
    WCHAR StandardName[32];
    SYSTEMTIME StandardDate;
    long StandardBias;
    WCHAR DaylightName[32];
    SYSTEMTIME DaylightDate;
    long DaylightBias;
} TIME_ZONE_INFORMATION;
#define TIME_ZONE_ID_DAYLIGHT 2
#define TIME_ZONE_ID_INVALID 0xFFFFFFFFUL

IMPORT void WINAPI GetSystemTimeAsFileTime(FILETIME* time);
IMPORT DWORD WINAPI GetTimeZoneInformation(TIME_ZONE_INFORMATION* zone);
IMPORT unsigned long long WINAPI GetTickCount64(void);

#define EPOCH_AS_FILETIME 116444736000000000LL
#define MAX_TIME 32535215999LL /* 3000-12-31 23:59:59 UTC, msvcrt's _MAX__TIME64_T */

static unsigned long long clock_start;

void crt_time_init(void) {
    clock_start = GetTickCount64();
}

int64_t crt_filetime_to_time(const FILETIME* time) {
    int64_t value = ((int64_t)time->dwHighDateTime << 32) | time->dwLowDateTime;
    return value == 0 ? 0 : (value - EPOCH_AS_FILETIME) / 10000000;
}

int64_t _time64(int64_t* out) {
    FILETIME now;
    GetSystemTimeAsFileTime(&now);
    int64_t seconds = crt_filetime_to_time(&now);
    if (out != NULL) {
        *out = seconds;
    }
    return seconds;
}

int64_t time(int64_t* out) {
    return _time64(out);
}

long clock(void) {
    return (long)(GetTickCount64() - clock_start);
}

double difftime(int64_t end, int64_t start) {
    return (double)(end - start);
}

/* ---- Broken-down time -------------------------------------------------------------------- */

static int is_leap(int64_t year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static const int month_start[2][13] = {
    {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365},
    {0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366},
};

/* Days from 1970-01-01 to the first of January of YEAR. */
static int64_t days_before_year(int64_t year) {
    int64_t y = year - 1;
    return (year - 1970) * 365 + (y / 4 - 1969 / 4) - (y / 100 - 1969 / 100) +
           (y / 400 - 1969 / 400);
}

/* Splits SECONDS (0 or more) since 1970 into OUT. */
static void split_time(int64_t seconds, struct tm* out) {
    int64_t days = seconds / 86400;
    int64_t rest = seconds % 86400;
    out->tm_hour = (int)(rest / 3600);
    out->tm_min = (int)(rest / 60 % 60);
    out->tm_sec = (int)(rest % 60);
    out->tm_wday = (int)((days + 4) % 7); /* 1970-01-01 was a Thursday */
    int64_t year = 1970 + days / 366;
    while (days_before_year(year + 1) <= days) {
        year++;
    }
    int yday = (int)(days - days_before_year(year));
    const int* starts = month_start[is_leap(year)];
    int month = 0;
    while (yday >= starts[month + 1]) {
        month++;
    }
    out->tm_year = (int)(year - 1900);
    out->tm_yday = yday;
    out->tm_mon = month;
    out->tm_mday = yday - starts[month] + 1;
    out->tm_isdst = 0;
}

/* The zone's offset in seconds (UTC = local + bias) and whether daylight time is in effect. */
static int64_t zone_bias(int* daylight) {
    TIME_ZONE_INFORMATION zone;
    DWORD id = GetTimeZoneInformation(&zone);
    *daylight = 0;
    if (id == TIME_ZONE_ID_INVALID) {
        return 0;
    }
    long bias = zone.Bias + zone.StandardBias;
    if (id == TIME_ZONE_ID_DAYLIGHT) {
        bias = zone.Bias + zone.DaylightBias;
        *daylight = 1;
    }
    return (int64_t)bias * 60;
}

struct tm* _gmtime64(const int64_t* time) {
    if (time == NULL || *time < 0 || *time > MAX_TIME) {
        crt_errno = EINVAL;
        return NULL;
    }
    struct tm* out = (struct tm*)crt_thread()->tm_buffer;
    split_time(*time, out);
    return out;
}

struct tm* gmtime(const int64_t* time) {
    return _gmtime64(time);
}

struct tm* _localtime64(const int64_t* time) {
    if (time == NULL || *time < 0 || *time > MAX_TIME) {
        crt_errno = EINVAL;
        return NULL;
    }
    int daylight;
    int64_t local = *time - zone_bias(&daylight);
    if (local < 0) {
        crt_errno = EINVAL;
        return NULL;
    }
    struct tm* out = (struct tm*)crt_thread()->tm_buffer;
    split_time(local, out);
    out->tm_isdst = daylight;
    return out;
}

struct tm* localtime(const int64_t* time) {
    return _localtime64(time);
}

/* Seconds since 1970 of the broken-down time T read as UTC, with every field normalised
 * first; T is rewritten with the normalised fields. */
static int64_t join_time(struct tm* t) {
    int64_t month = t->tm_mon;
    int64_t year = 1900 + (int64_t)t->tm_year + month / 12;
    month %= 12;
    if (month < 0) {
        month += 12;
        year--;
    }
    int64_t days = days_before_year(year) + month_start[is_leap(year)][month] + t->tm_mday - 1;
    return days * 86400 + (int64_t)t->tm_hour * 3600 + (int64_t)t->tm_min * 60 + t->tm_sec;
}

/* mktime: T is local time; its fields may be out of range and are normalised, and tm_wday
 * and tm_yday are set. -1 when the result is outside 1970..3000. */
int64_t _mktime64(struct tm* t) {
    int daylight;
    int64_t bias = zone_bias(&daylight);
    int64_t local = join_time(t);
    int64_t result = local + bias;
    if (local < 0 || result < 0 || result > MAX_TIME) {
        crt_errno = EINVAL;
        return -1;
    }
    split_time(local, t);
    t->tm_isdst = daylight;
    return result;
}

int64_t mktime(struct tm* t) {
    return _mktime64(t);
}

int64_t _mkgmtime64(struct tm* t) {
    int64_t result = join_time(t);
    if (result < 0 || result > MAX_TIME) {
        crt_errno = EINVAL;
        return -1;
    }
    split_time(result, t);
    return result;
}

/* ---- strftime ---------------------------------------------------------------------------- */

static const char* const day_names[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday"};
static const char* const month_names[12] = {"January",   "February", "March",    "April",
                                            "May",       "June",     "July",     "August",
                                            "September", "October",  "November", "December"};

typedef struct {
    char* out;
    size_t size;
    size_t used;
    int overflow;
} time_writer;

static void put_text(time_writer* w, const char* text, size_t length) {
    for (size_t i = 0; i < length; i++) {
        if (w->used + 1 >= w->size) {
            w->overflow = 1;
            return;
        }
        w->out[w->used++] = text[i];
    }
}

static void put_string(time_writer* w, const char* text) {
    put_text(w, text, strlen(text));
}

/* VALUE in at least DIGITS digits, zero-padded unless ALTERNATE ('#') drops the zeros. */
static void put_number(time_writer* w, int value, int digits, int alternate) {
    char text[16];
    int n = 0;
    unsigned v = value < 0 ? 0u : (unsigned)value;
    do {
        text[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (!alternate && n < digits) {
        text[n++] = '0';
    }
    char ordered[16];
    for (int i = 0; i < n; i++) {
        ordered[i] = text[n - 1 - i];
    }
    put_text(w, ordered, (size_t)n);
}

static void expand(time_writer* w, const char* format, const struct tm* t, const char* zone);

/* One conversion; unknown ones produce nothing. */
static void convert(time_writer* w, char c, int alternate, const struct tm* t, const char* zone) {
    switch (c) {
        case 'a':
            put_text(w, day_names[t->tm_wday % 7], 3);
            break;
        case 'A':
            put_string(w, day_names[t->tm_wday % 7]);
            break;
        case 'b':
            put_text(w, month_names[t->tm_mon % 12], 3);
            break;
        case 'B':
            put_string(w, month_names[t->tm_mon % 12]);
            break;
        case 'c':
            expand(w, alternate ? "%A, %B %#d, %Y %H:%M:%S" : "%m/%d/%y %H:%M:%S", t, zone);
            break;
        case 'd':
            put_number(w, t->tm_mday, 2, alternate);
            break;
        case 'H':
            put_number(w, t->tm_hour, 2, alternate);
            break;
        case 'I':
            put_number(w, t->tm_hour % 12 == 0 ? 12 : t->tm_hour % 12, 2, alternate);
            break;
        case 'j':
            put_number(w, t->tm_yday + 1, 3, alternate);
            break;
        case 'm':
            put_number(w, t->tm_mon + 1, 2, alternate);
            break;
        case 'M':
            put_number(w, t->tm_min, 2, alternate);
            break;
        case 'p':
            put_string(w, t->tm_hour < 12 ? "AM" : "PM");
            break;
        case 'S':
            put_number(w, t->tm_sec, 2, alternate);
            break;
        case 'U':
            put_number(w, (t->tm_yday + 7 - t->tm_wday) / 7, 2, alternate);
            break;
        case 'w':
            put_number(w, t->tm_wday, 1, alternate);
            break;
        case 'W':
            put_number(w, (t->tm_yday + 7 - (t->tm_wday + 6) % 7) / 7, 2, alternate);
            break;
        case 'x':
            expand(w, alternate ? "%A, %B %#d, %Y" : "%m/%d/%y", t, zone);
            break;
        case 'X':
            expand(w, "%H:%M:%S", t, zone);
            break;
        case 'y':
            put_number(w, (t->tm_year + 1900) % 100, 2, alternate);
            break;
        case 'Y':
            put_number(w, t->tm_year + 1900, 1, alternate);
            break;
        case 'z':
        case 'Z': /* msvcrt.dll writes the zone's name for both */
            put_string(w, zone);
            break;
        case '%':
            put_text(w, "%", 1);
            break;
        default:
            break;
    }
}

static void expand(time_writer* w, const char* format, const struct tm* t, const char* zone) {
    for (const char* p = format; *p && !w->overflow; p++) {
        if (*p != '%') {
            put_text(w, p, 1);
            continue;
        }
        int alternate = 0;
        if (p[1] == '#') {
            alternate = 1;
            p++;
        }
        if (p[1] == 0) {
            break;
        }
        p++;
        convert(w, *p, alternate, t, zone);
    }
}

/* The zone's name for %z and %Z, in ASCII. */
static void zone_name(const struct tm* t, char* name, size_t size) {
    TIME_ZONE_INFORMATION zone;
    size_t n = 0;
    if (GetTimeZoneInformation(&zone) != TIME_ZONE_ID_INVALID) {
        const WCHAR* wide = t->tm_isdst > 0 ? zone.DaylightName : zone.StandardName;
        for (; n + 1 < size && n < 32 && wide[n] != 0; n++) {
            name[n] = wide[n] < 0x80 ? (char)wide[n] : '?';
        }
    }
    name[n] = 0;
}

size_t strftime(char* out, size_t size, const char* format, const struct tm* t) {
    if (out == NULL || size == 0 || format == NULL || t == NULL) {
        crt_errno = EINVAL;
        return 0;
    }
    char zone[40];
    zone_name(t, zone, sizeof zone);
    time_writer w = {out, size, 0, 0};
    expand(&w, format, t, zone);
    if (w.overflow) {
        out[0] = 0;
        crt_errno = ERANGE;
        return 0;
    }
    out[w.used] = 0;
    return w.used;
}

/* wcsftime: the format in ASCII through strftime (the C locale's names are all ASCII), the
 * result widened. A format character outside ASCII is EILSEQ. */
size_t wcsftime(WCHAR* out, size_t size, const WCHAR* format, const struct tm* t) {
    if (out == NULL || size == 0 || format == NULL || t == NULL) {
        crt_errno = EINVAL;
        return 0;
    }
    size_t length = wcslen(format);
    char* narrow_format = malloc(length + 1);
    char* narrow_out = malloc(size);
    size_t result = 0;
    if (narrow_format == NULL || narrow_out == NULL) {
        crt_errno = ENOMEM;
    } else {
        size_t i = 0;
        for (; i < length && format[i] < 0x80; i++) {
            narrow_format[i] = (char)format[i];
        }
        narrow_format[i] = 0;
        if (i < length) {
            crt_errno = EILSEQ;
        } else {
            result = strftime(narrow_out, size, narrow_format, t);
            for (size_t j = 0; j <= result; j++) {
                out[j] = (unsigned char)narrow_out[j];
            }
        }
    }
    if (result == 0) {
        out[0] = 0;
    }
    free(narrow_format);
    free(narrow_out);
    return result;
}
