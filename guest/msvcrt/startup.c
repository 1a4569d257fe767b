/* Program start-up and shut-down as mingw-w64's crt2.o and Windows' msvcrt agree on them:
 * the command line split into argv by msvcrt's rules (__getmainargs, __wgetmainargs), the
 * environment (_environ, getenv, _putenv), the initialiser tables (_initterm), the exit
 * tables (_onexit, atexit, __dllonexit), exit/_exit/_cexit/_c_exit, signals, abort and
 * _amsg_exit. */
#include "msvcrt_private.h"

char* _acmdln;
WCHAR* _wcmdln;
int __argc;
char** __argv;
WCHAR** __wargv;
char** _environ;
WCHAR** _wenviron;
char** __initenv;
WCHAR** __winitenv;
int _commode;
int _fmode;
unsigned int __app_type;
static void* user_matherr;
extern int crt_exiting;

/* ---- The command line --------------------------------------------------------------------- */

/* msvcrt's parse_cmdline, once for each character width: counts (ARGV and ARGS NULL) or fills
 * the arguments and their text. The program name ends at white space outside quotes, and its
 * quotes are dropped; backslashes are literal. In the arguments, 2n backslashes before a
 * quote are n backslashes and the quote opens or closes quoting, 2n+1 are n and a literal
 * quote; "" inside quotes is a literal quote; other backslashes are literal. */
#define DEFINE_PARSER(NAME, CHAR_T)                                                            \
    static void NAME(const CHAR_T* p, CHAR_T** argv, CHAR_T* args, int* argc, size_t* chars) { \
        int count = 0;                                                                         \
        size_t n = 0;                                                                          \
        int inquote = 0;                                                                       \
        if (argv) {                                                                            \
            argv[count] = args + n;                                                            \
        }                                                                                      \
        count++;                                                                               \
        while (*p && (inquote || (*p != ' ' && *p != '\t'))) {                                 \
            if (*p == '"') {                                                                   \
                inquote = !inquote;                                                            \
            } else {                                                                           \
                if (args) {                                                                    \
                    args[n] = *p;                                                              \
                }                                                                              \
                n++;                                                                           \
            }                                                                                  \
            p++;                                                                               \
        }                                                                                      \
        if (args) {                                                                            \
            args[n] = 0;                                                                       \
        }                                                                                      \
        n++;                                                                                   \
        inquote = 0;                                                                           \
        for (;;) {                                                                             \
            while (*p == ' ' || *p == '\t') {                                                  \
                p++;                                                                           \
            }                                                                                  \
            if (*p == 0) {                                                                     \
                break;                                                                         \
            }                                                                                  \
            if (argv) {                                                                        \
                argv[count] = args + n;                                                        \
            }                                                                                  \
            count++;                                                                           \
            for (;;) {                                                                         \
                int copy = 1;                                                                  \
                unsigned slashes = 0;                                                          \
                while (*p == '\\') {                                                           \
                    p++;                                                                       \
                    slashes++;                                                                 \
                }                                                                              \
                if (*p == '"') {                                                               \
                    if (slashes % 2 == 0) {                                                    \
                        if (inquote && p[1] == '"') {                                          \
                            p++;                                                               \
                        } else {                                                               \
                            copy = 0;                                                          \
                            inquote = !inquote;                                                \
                        }                                                                      \
                    }                                                                          \
                    slashes /= 2;                                                              \
                }                                                                              \
                for (; slashes > 0; slashes--) {                                               \
                    if (args) {                                                                \
                        args[n] = '\\';                                                        \
                    }                                                                          \
                    n++;                                                                       \
                }                                                                              \
                if (*p == 0 || (!inquote && (*p == ' ' || *p == '\t'))) {                      \
                    break;                                                                     \
                }                                                                              \
                if (copy) {                                                                    \
                    if (args) {                                                                \
                        args[n] = *p;                                                          \
                    }                                                                          \
                    n++;                                                                       \
                }                                                                              \
                p++;                                                                           \
            }                                                                                  \
            if (args) {                                                                        \
                args[n] = 0;                                                                   \
            }                                                                                  \
            n++;                                                                               \
        }                                                                                      \
        if (argv) {                                                                            \
            argv[count] = NULL;                                                                \
        }                                                                                      \
        *argc = count;                                                                         \
        *chars = n;                                                                            \
    }

DEFINE_PARSER(parse_narrow, char)
DEFINE_PARSER(parse_wide, WCHAR)

/* Both arrays in one block: the pointers, then the text. NULL if out of memory. */
static char** split_narrow(const char* line, int* argc) {
    size_t chars;
    parse_narrow(line, NULL, NULL, argc, &chars);
    char** argv = malloc((size_t)(*argc + 1) * sizeof(char*) + chars);
    if (argv != NULL) {
        parse_narrow(line, argv, (char*)(argv + *argc + 1), argc, &chars);
    }
    return argv;
}

static WCHAR** split_wide(const WCHAR* line, int* argc) {
    size_t chars;
    parse_wide(line, NULL, NULL, argc, &chars);
    WCHAR** argv = malloc((size_t)(*argc + 1) * sizeof(WCHAR*) + chars * sizeof(WCHAR));
    if (argv != NULL) {
        parse_wide(line, argv, (WCHAR*)(argv + *argc + 1), argc, &chars);
    }
    return argv;
}

void _amsg_exit(int number);

/* mingw's crt2.o calls this before main. Wildcards are not expanded (EXPAND_WILDCARDS is
 * mingw's _dowildcard, 0 unless the program asks): ntoy has no directory listing calls. */
int __getmainargs(int* argc, char*** argv, char*** envp, int expand_wildcards, void* startup_info) {
    (void)expand_wildcards;
    (void)startup_info;
    if (__argv == NULL) {
        __argv = split_narrow(_acmdln, &__argc);
        if (__argv == NULL) {
            _amsg_exit(8); /* R6008: not enough space for arguments */
        }
    }
    *argc = __argc;
    *argv = __argv;
    *envp = _environ;
    __initenv = _environ;
    return 0;
}

static WCHAR** wide_environment(void) {
    WCHAR* block = GetEnvironmentStringsW();
    size_t count = 0;
    for (WCHAR* s = block; s != NULL && *s; s += wcslen(s) + 1) {
        count += *s != '=';
    }
    WCHAR** table = malloc((count + 1) * sizeof(WCHAR*));
    if (table == NULL) {
        return NULL;
    }
    size_t i = 0;
    for (WCHAR* s = block; s != NULL && *s; s += wcslen(s) + 1) {
        if (*s != '=') {
            size_t bytes = (wcslen(s) + 1) * sizeof(WCHAR);
            table[i] = malloc(bytes);
            if (table[i] != NULL) {
                memcpy(table[i++], s, bytes);
            }
        }
    }
    table[i] = NULL;
    return table;
}

int __wgetmainargs(int* argc, WCHAR*** argv, WCHAR*** envp, int expand_wildcards,
                   void* startup_info) {
    (void)expand_wildcards;
    (void)startup_info;
    if (__wargv == NULL) {
        __wargv = split_wide(_wcmdln, &__argc);
        if (__wargv == NULL) {
            _amsg_exit(8);
        }
    }
    if (_wenviron == NULL) {
        _wenviron = wide_environment();
        if (_wenviron == NULL) {
            _amsg_exit(9); /* R6009: not enough space for environment */
        }
    }
    *argc = __argc;
    *argv = __wargv;
    *envp = _wenviron;
    __winitenv = _wenviron;
    return 0;
}

/* ---- The environment --------------------------------------------------------------------- */

/* _environ: copies of the process's variables, without the "=C:=C:\" kind, which msvcrt
 * hides. */
void crt_environment_init(void) {
    _acmdln = GetCommandLineA();
    _wcmdln = GetCommandLineW();
    char* block = GetEnvironmentStrings();
    size_t count = 0;
    for (char* s = block; s != NULL && *s; s += strlen(s) + 1) {
        count += *s != '=';
    }
    _environ = malloc((count + 1) * sizeof(char*));
    if (_environ == NULL) {
        return;
    }
    size_t i = 0;
    for (char* s = block; s != NULL && *s; s += strlen(s) + 1) {
        if (*s != '=') {
            size_t bytes = strlen(s) + 1;
            _environ[i] = malloc(bytes);
            if (_environ[i] != NULL) {
                memcpy(_environ[i++], s, bytes);
            }
        }
    }
    _environ[i] = NULL;
    __initenv = _environ;
}

int _strnicmp(const char* a, const char* b, size_t count);

/* The index of NAME (LENGTH characters) in _environ, compared without case as Windows does;
 * -1 if absent. */
static int find_variable(const char* name, size_t length) {
    for (int i = 0; _environ != NULL && _environ[i] != NULL; i++) {
        if (_strnicmp(_environ[i], name, length) == 0 && _environ[i][length] == '=') {
            return i;
        }
    }
    return -1;
}

char* getenv(const char* name) {
    size_t length = strlen(name);
    _lock(CRT_LOCK_ENV);
    int i = find_variable(name, length);
    char* value = i < 0 ? NULL : _environ[i] + length + 1;
    _unlock(CRT_LOCK_ENV);
    return value;
}

/* "NAME=value" sets, "NAME=" removes; the process's environment follows. */
int _putenv(const char* assignment) {
    const char* equals = strchr(assignment, '=');
    if (equals == NULL || equals == assignment) {
        crt_errno = EINVAL;
        return -1;
    }
    size_t length = (size_t)(equals - assignment);
    int removing = equals[1] == 0;
    char* copy = malloc(strlen(assignment) + 1);
    if (copy == NULL) {
        crt_errno = ENOMEM;
        return -1;
    }
    memcpy(copy, assignment, strlen(assignment) + 1);
    _lock(CRT_LOCK_ENV);
    int i = find_variable(assignment, length);
    if (i >= 0) {
        free(_environ[i]);
        if (removing) {
            for (; _environ[i] != NULL; i++) {
                _environ[i] = _environ[i + 1];
            }
        } else {
            _environ[i] = copy;
            copy = NULL;
        }
    } else if (!removing) {
        int count = 0;
        while (_environ != NULL && _environ[count] != NULL) {
            count++;
        }
        char** grown = realloc(_environ, (size_t)(count + 2) * sizeof(char*));
        if (grown == NULL) {
            _unlock(CRT_LOCK_ENV);
            free(copy);
            crt_errno = ENOMEM;
            return -1;
        }
        grown[count] = copy;
        grown[count + 1] = NULL;
        _environ = grown;
        copy = NULL;
    }
    _unlock(CRT_LOCK_ENV);
    /* The process's own block follows, for children and GetEnvironmentVariable. */
    char* name = copy != NULL ? copy : malloc(length + 1);
    if (name != NULL) {
        memcpy(name, assignment, length);
        name[length] = 0;
        SetEnvironmentVariableA(name, removing ? NULL : equals + 1);
        free(name);
    }
    return 0;
}

/* ---- Initialisers and exit handlers ------------------------------------------------------- */

typedef void (*crt_pvfv)(void);
typedef int (*crt_onexit_t)(void);

void _initterm(crt_pvfv* begin, crt_pvfv* end) {
    for (; begin < end; begin++) {
        if (*begin != NULL) {
            (*begin)();
        }
    }
}

static crt_onexit_t* exit_table;
static int exit_count;
static int exit_capacity;

crt_onexit_t _onexit(crt_onexit_t function) {
    _lock(CRT_LOCK_EXIT);
    if (exit_count == exit_capacity) {
        int capacity = exit_capacity == 0 ? 32 : exit_capacity * 2;
        crt_onexit_t* grown = realloc(exit_table, (size_t)capacity * sizeof *grown);
        if (grown == NULL) {
            _unlock(CRT_LOCK_EXIT);
            return NULL;
        }
        exit_table = grown;
        exit_capacity = capacity;
    }
    exit_table[exit_count++] = function;
    _unlock(CRT_LOCK_EXIT);
    return function;
}

int atexit(void (*function)(void)) {
    return _onexit((crt_onexit_t)(void*)function) != NULL ? 0 : -1;
}

/* A DLL's own exit table, which the DLL runs itself: FUNCTION is appended to the array
 * between *BEGIN and *END, which grows on the heap. */
crt_onexit_t __dllonexit(crt_onexit_t function, crt_onexit_t** begin, crt_onexit_t** end) {
    _lock(CRT_LOCK_EXIT);
    size_t count = (size_t)(*end - *begin);
    crt_onexit_t* grown = realloc(*begin, (count + 1) * sizeof *grown);
    if (grown == NULL) {
        _unlock(CRT_LOCK_EXIT);
        return NULL;
    }
    grown[count] = function;
    *begin = grown;
    *end = grown + count + 1;
    _unlock(CRT_LOCK_EXIT);
    return function;
}

/* The handlers last-registered first; one registered while they run runs next. */
void crt_run_exit_handlers(void) {
    _lock(CRT_LOCK_EXIT);
    while (exit_count > 0) {
        crt_onexit_t function = exit_table[--exit_count];
        function();
    }
    _unlock(CRT_LOCK_EXIT);
}

void _cexit(void) {
    crt_run_exit_handlers();
    _flushall();
}

void _c_exit(void) {}

__attribute__((noreturn)) void exit(int code) {
    _cexit();
    crt_exiting = 1;
    ExitProcess((unsigned)code);
}

/* No handlers and no flushing, as in msvcrt. */
__attribute__((noreturn)) void _exit(int code) {
    crt_exiting = 1;
    ExitProcess((unsigned)code);
}

void __set_app_type(int type) {
    __app_type = (unsigned)type;
}

/* Kept for msvcrt's math error reporting (_matherr); the math functions here raise none. */
void __setusermatherr(void* handler) {
    user_matherr = handler;
}

/* msvcrt's fatal run-time error: the banner "runtime error R60nn" on stderr, exit code 255. */
__attribute__((noreturn)) void _amsg_exit(int number) {
    char text[] = "\nruntime error R60nn\n";
    text[18] = (char)('0' + number / 10 % 10);
    text[19] = (char)('0' + number % 10);
    _write(2, text, sizeof text - 1);
    _exit(255);
}

/* ---- Signals ------------------------------------------------------------------------------ */

#define SIGINT 2
#define SIGILL 4
#define SIGABRT_COMPAT 6
#define SIGFPE 8
#define SIGSEGV 11
#define SIGTERM 15
#define SIGBREAK 21
#define SIGABRT 22
#define SIG_DFL ((crt_signal_handler)0)
#define SIG_IGN ((crt_signal_handler)1)
#define SIG_ERR ((crt_signal_handler)-1)
#define FPE_EXPLICITGEN 0x8C

typedef void (*crt_signal_handler)(int);
static crt_signal_handler handlers[SIGABRT + 1];

static int valid_signal(int number) {
    switch (number) {
        case SIGINT:
        case SIGILL:
        case SIGFPE:
        case SIGSEGV:
        case SIGTERM:
        case SIGBREAK:
        case SIGABRT:
            return 1;
        default:
            return 0;
    }
}

crt_signal_handler signal(int number, crt_signal_handler handler) {
    if (number == SIGABRT_COMPAT) {
        number = SIGABRT;
    }
    if (!valid_signal(number)) {
        crt_errno = EINVAL;
        return SIG_ERR;
    }
    crt_signal_handler old = handlers[number];
    handlers[number] = handler;
    return old;
}

/* The default action of every signal ends the process with exit code 3; a handler is reset
 * to the default before it runs, as in msvcrt. */
int raise(int number) {
    if (number == SIGABRT_COMPAT) {
        number = SIGABRT;
    }
    if (!valid_signal(number)) {
        crt_errno = EINVAL;
        return -1;
    }
    crt_signal_handler handler = handlers[number];
    if (handler == SIG_IGN) {
        return 0;
    }
    if (handler == SIG_DFL) {
        _exit(3);
    }
    handlers[number] = SIG_DFL;
    if (number == SIGFPE) {
        ((void (*)(int, int))(void*)handler)(number, FPE_EXPLICITGEN);
    } else {
        handler(number);
    }
    return 0;
}

/* Windows' msvcrt.dll prints this on a console program's stderr, then raises SIGABRT; if the
 * program handles that and returns, the process still ends, with exit code 3. */
__attribute__((noreturn)) void abort(void) {
    static const char message[] =
        "\nThis application has requested the Runtime to terminate it in an unusual way.\n"
        "Please contact the application's support team for more information.\n";
    fflush(&_iob[2]);
    _write(2, message, sizeof message - 1);
    raise(SIGABRT);
    _exit(3);
}
