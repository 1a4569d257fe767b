/* <stdio.h> streams over the descriptor layer, buffered as msvcrt buffers them:
 *   - a stream gets a 4096-byte buffer on its first read or write, except stdout and stderr
 *     on a character device (a console), which stay unbuffered; there each call (printf,
 *     fputs, puts, fwrite) reaches the device in one write, as msvcrt's temporary buffering
 *     does;
 *   - everywhere else, stderr included, output is fully buffered: it goes out when the buffer
 *     fills, on fflush, and at exit (exit, returning from main, or ExitProcess through
 *     DLL_PROCESS_DETACH), in the order of the stream table (stdout before stderr);
 *   - setvbuf's _IOLBF is full buffering, as in msvcrt;
 *   - fflush on an input stream drops what is buffered, as msvcrt documents.
 * Streams are _iob's 20 entries first, then ones allocated from the heap, up to 512. */
#include "msvcrt_private.h"

FILE _iob[CRT_IOB_ENTRIES];

#define STREAM_MAX 512
static FILE* streams[STREAM_MAX]; /* [i] is &_iob[i] below CRT_IOB_ENTRIES */

int crt_fd_is_text(int fd);

FILE* __iob_func(void) {
    return _iob;
}

void crt_stdio_init(void) {
    for (int i = 0; i < CRT_IOB_ENTRIES; i++) {
        streams[i] = &_iob[i];
        _iob[i]._file = -1;
    }
    _iob[0]._flag = _IOREAD;
    _iob[0]._file = 0;
    _iob[1]._flag = _IOWRT;
    _iob[1]._file = 1;
    _iob[2]._flag = _IOWRT;
    _iob[2]._file = 2;
}

static int is_buffered(const FILE* f) {
    return (f->_flag & (_IOMYBUF | _IOYOURBUF)) != 0;
}

/* Gives F its buffer unless it is to stay unbuffered; see the top of the file. */
static void ensure_buffer(FILE* f) {
    if (is_buffered(f) || (f->_flag & _IONBF)) {
        return;
    }
    if ((f == &_iob[1] || f == &_iob[2]) && _isatty(f->_file)) {
        return;
    }
    char* buffer = malloc(CRT_BUFSIZ);
    if (buffer == NULL) {
        f->_flag |= _IONBF; /* msvcrt falls back to the one-character buffer */
        return;
    }
    f->_base = buffer;
    f->_bufsiz = CRT_BUFSIZ;
    f->_ptr = buffer;
    f->_cnt = 0;
    f->_flag |= _IOMYBUF;
}

/* Writes out what F's buffer holds; 0 or EOF. */
static int flush_output(FILE* f) {
    int result = 0;
    if ((f->_flag & _IOWRT) && is_buffered(f)) {
        int pending = (int)(f->_ptr - f->_base);
        if (pending > 0 && _write(f->_file, f->_base, (unsigned)pending) != pending) {
            f->_flag |= _IOERR;
            result = EOF;
        }
    }
    f->_ptr = f->_base;
    f->_cnt = 0;
    if (f->_flag & _IORW) {
        f->_flag &= ~(_IOWRT | _IOREAD);
    }
    return result;
}

/* Makes F ready to write; 0, or EOF if it cannot be written. */
static int start_writing(FILE* f) {
    if (f->_flag & _IOREAD) {
        if (!(f->_flag & _IORW)) {
            f->_flag |= _IOERR;
            return EOF;
        }
        f->_ptr = f->_base;
        f->_cnt = 0;
        f->_flag &= ~(_IOREAD | _IOEOF);
    }
    if (!(f->_flag & (_IOWRT | _IORW))) {
        f->_flag |= _IOERR;
        return EOF;
    }
    f->_flag |= _IOWRT;
    ensure_buffer(f);
    return 0;
}

/* The heart of output, with F locked: COUNT bytes, through the buffer if F has one. Returns
 * the bytes accepted. */
static size_t stream_write(FILE* f, const char* data, size_t count) {
    if (start_writing(f) < 0) {
        return 0;
    }
    if (!is_buffered(f)) {
        size_t done = 0;
        while (done < count) {
            unsigned chunk = count - done > 0x40000000 ? 0x40000000 : (unsigned)(count - done);
            int written = _write(f->_file, data + done, chunk);
            if (written <= 0) {
                f->_flag |= _IOERR;
                break;
            }
            done += (size_t)written;
        }
        return done;
    }
    size_t done = 0;
    while (done < count) {
        int room = f->_bufsiz - (int)(f->_ptr - f->_base);
        if (room == 0) {
            if (flush_output(f) < 0) {
                return done;
            }
            f->_flag |= _IOWRT;
            continue;
        }
        size_t chunk = count - done < (size_t)room ? count - done : (size_t)room;
        memcpy(f->_ptr, data + done, chunk);
        f->_ptr += chunk;
        done += chunk;
    }
    f->_cnt = f->_bufsiz - (int)(f->_ptr - f->_base);
    return done;
}

int fflush(FILE* f) {
    if (f == NULL) {
        return _flushall() < 0 ? EOF : 0;
    }
    crt_lock_stream(f);
    int result = 0;
    if (f->_flag & _IOWRT) {
        result = flush_output(f);
    } else if (f->_flag & _IOREAD) {
        f->_ptr = f->_base; /* an input stream's buffer is dropped */
        f->_cnt = 0;
    }
    crt_unlock_stream(f);
    return result;
}

/* Flushes every open stream; returns how many are open, as msvcrt's _flushall does. */
int _flushall(void) {
    int open = 0;
    _lock(CRT_LOCK_IOB);
    for (int i = 0; i < STREAM_MAX; i++) {
        FILE* f = streams[i];
        if (f != NULL && (f->_flag & (_IOREAD | _IOWRT | _IORW))) {
            open++;
            if (f->_flag & _IOWRT) {
                crt_lock_stream(f);
                flush_output(f);
                crt_unlock_stream(f);
            }
        }
    }
    _unlock(CRT_LOCK_IOB);
    return open;
}

void crt_stdio_flush_all(void) {
    _flushall();
}

/* ---- Output ------------------------------------------------------------------------------ */

int fputc(int c, FILE* f) {
    char byte = (char)c;
    crt_lock_stream(f);
    size_t done = stream_write(f, &byte, 1);
    crt_unlock_stream(f);
    return done == 1 ? (unsigned char)byte : EOF;
}

int putc(int c, FILE* f) {
    return fputc(c, f);
}

int _fputchar(int c) {
    return fputc(c, &_iob[1]);
}

int putchar(int c) {
    return fputc(c, &_iob[1]);
}

/* msvcrt's internal buffer-full routine, which its putc macro of old called. */
int _flsbuf(int c, FILE* f) {
    return fputc(c, f);
}

size_t fwrite(const void* data, size_t size, size_t count, FILE* f) {
    size_t total = size * count;
    if (size == 0 || count == 0) {
        return 0;
    }
    crt_lock_stream(f);
    size_t done = stream_write(f, data, total);
    crt_unlock_stream(f);
    return done / size;
}

int fputs(const char* s, FILE* f) {
    size_t n = strlen(s);
    crt_lock_stream(f);
    size_t done = stream_write(f, s, n);
    crt_unlock_stream(f);
    return done == n ? 0 : EOF;
}

/* One write for the line and its newline, as msvcrt's temporary buffer makes it. */
int puts(const char* s) {
    FILE* f = &_iob[1];
    size_t n = strlen(s);
    crt_lock_stream(f);
    int result = 0;
    if (is_buffered(f) || n > 4000) {
        if (stream_write(f, s, n) != n || stream_write(f, "\n", 1) != 1) {
            result = EOF;
        }
    } else {
        char line[4096];
        memcpy(line, s, n);
        line[n] = '\n';
        if (stream_write(f, line, n + 1) != n + 1) {
            result = EOF;
        }
    }
    crt_unlock_stream(f);
    return result;
}

/* printf into a stream: straight into its buffer, or, on an unbuffered stream, gathered in
 * chunks so that a call reaches the device in as few writes as msvcrt's would. */
typedef struct {
    crt_sink sink;
    FILE* stream;
    char chunk[4096];
    size_t used;
    int failed;
} stream_sink;

static int stream_sink_drain(stream_sink* s) {
    if (s->used > 0 && stream_write(s->stream, s->chunk, s->used) != s->used) {
        s->failed = 1;
    }
    s->used = 0;
    return s->failed ? -1 : 0;
}

static int stream_put(crt_sink* sink, const char* text, size_t length) {
    stream_sink* s = (stream_sink*)sink;
    while (length > 0) {
        if (s->used == sizeof s->chunk && stream_sink_drain(s) < 0) {
            return -1;
        }
        size_t room = sizeof s->chunk - s->used;
        size_t n = length < room ? length : room;
        memcpy(s->chunk + s->used, text, n);
        s->used += n;
        text += n;
        length -= n;
    }
    return 0;
}

int vfprintf(FILE* f, const char* format, va_list args) {
    stream_sink s;
    s.sink.put = stream_put;
    s.stream = f;
    s.used = 0;
    s.failed = 0;
    crt_lock_stream(f);
    int result = crt_format(&s.sink, format, args);
    if (stream_sink_drain(&s) < 0) {
        result = -1;
    }
    crt_unlock_stream(f);
    return result;
}

int fprintf(FILE* f, const char* format, ...) {
    va_list args;
    va_start(args, format);
    int result = vfprintf(f, format, args);
    va_end(args);
    return result;
}

int vprintf(const char* format, va_list args) {
    return vfprintf(&_iob[1], format, args);
}

int printf(const char* format, ...) {
    va_list args;
    va_start(args, format);
    int result = vfprintf(&_iob[1], format, args);
    va_end(args);
    return result;
}

void perror(const char* message) {
    FILE* f = &_iob[2];
    crt_lock_stream(f);
    if (message != NULL && *message) {
        fputs(message, f);
        fputs(": ", f);
    }
    fputs(strerror(crt_errno), f);
    fputs("\n", f);
    crt_unlock_stream(f);
}

/* ---- Input ------------------------------------------------------------------------------- */

/* Every stream that reads gets a buffer (console input too) unless it is _IONBF. */
static void give_read_buffer(FILE* f) {
    if (is_buffered(f) || (f->_flag & _IONBF)) {
        return;
    }
    char* buffer = malloc(CRT_BUFSIZ);
    if (buffer == NULL) {
        f->_flag |= _IONBF;
        return;
    }
    f->_base = buffer;
    f->_ptr = buffer;
    f->_cnt = 0;
    f->_bufsiz = CRT_BUFSIZ;
    f->_flag |= _IOMYBUF;
}

/* Refills F's buffer; the next byte, or EOF. msvcrt's _filbuf. */
static int fill(FILE* f) {
    if (f->_flag & _IOWRT) {
        if (!(f->_flag & _IORW)) {
            f->_flag |= _IOERR;
            return EOF;
        }
        flush_output(f);
    }
    if (!(f->_flag & (_IOREAD | _IORW))) {
        f->_flag |= _IOERR;
        return EOF;
    }
    f->_flag |= _IOREAD;
    give_read_buffer(f);
    char* base = is_buffered(f) ? f->_base : (char*)&f->_charbuf;
    int size = is_buffered(f) ? f->_bufsiz : 1;
    int got = _read(f->_file, base, (unsigned)size);
    if (got <= 0) {
        f->_flag |= got == 0 ? _IOEOF : _IOERR;
        f->_cnt = 0;
        return EOF;
    }
    f->_ptr = base + 1;
    f->_cnt = got - 1;
    return (unsigned char)base[0];
}

int _filbuf(FILE* f) {
    return fill(f);
}

static int getc_locked(FILE* f) {
    if (f->_cnt > 0 && (f->_flag & _IOREAD)) {
        f->_cnt--;
        return (unsigned char)*f->_ptr++;
    }
    return fill(f);
}

int fgetc(FILE* f) {
    crt_lock_stream(f);
    int c = getc_locked(f);
    crt_unlock_stream(f);
    return c;
}

int getc(FILE* f) {
    return fgetc(f);
}

int getchar(void) {
    return fgetc(&_iob[0]);
}

int _fgetchar(void) {
    return fgetc(&_iob[0]);
}

int ungetc(int c, FILE* f) {
    if (c == EOF) {
        return EOF;
    }
    crt_lock_stream(f);
    if (!(f->_flag & (_IOREAD | _IORW)) || ((f->_flag & _IOWRT) && !(f->_flag & _IORW))) {
        crt_unlock_stream(f);
        return EOF;
    }
    if (f->_flag & _IOWRT) {
        flush_output(f);
    }
    f->_flag |= _IOREAD;
    give_read_buffer(f);
    char* base = is_buffered(f) ? f->_base : (char*)&f->_charbuf;
    if (f->_cnt <= 0) {
        f->_ptr = base; /* nothing unread: the character is all there is */
        f->_cnt = 0;
    } else if (f->_ptr == base) {
        crt_unlock_stream(f);
        return EOF; /* no room before the unread data */
    } else {
        f->_ptr--;
    }
    *f->_ptr = (char)c;
    f->_cnt++;
    f->_flag &= ~_IOEOF;
    crt_unlock_stream(f);
    return (unsigned char)c;
}

char* fgets(char* s, int size, FILE* f) {
    if (size <= 0) {
        return NULL;
    }
    crt_lock_stream(f);
    int n = 0;
    while (n < size - 1) {
        int c = getc_locked(f);
        if (c == EOF) {
            break;
        }
        s[n++] = (char)c;
        if (c == '\n') {
            break;
        }
    }
    crt_unlock_stream(f);
    if (n == 0) {
        return NULL;
    }
    s[n] = 0;
    return s;
}

size_t fread(void* data, size_t size, size_t count, FILE* f) {
    size_t total = size * count;
    if (size == 0 || count == 0) {
        return 0;
    }
    char* to = data;
    size_t done = 0;
    crt_lock_stream(f);
    while (done < total) {
        if (f->_cnt > 0 && (f->_flag & _IOREAD)) {
            size_t n = total - done < (size_t)f->_cnt ? total - done : (size_t)f->_cnt;
            memcpy(to + done, f->_ptr, n);
            f->_ptr += n;
            f->_cnt -= (int)n;
            done += n;
            continue;
        }
        int c = fill(f);
        if (c == EOF) {
            break;
        }
        to[done++] = (char)c;
    }
    crt_unlock_stream(f);
    return done / size;
}

int feof(FILE* f) {
    return f->_flag & _IOEOF;
}

int ferror(FILE* f) {
    return f->_flag & _IOERR;
}

void clearerr(FILE* f) {
    crt_lock_stream(f);
    f->_flag &= ~(_IOERR | _IOEOF);
    crt_unlock_stream(f);
}

int _fileno(FILE* f) {
    return f->_file;
}

int setvbuf(FILE* f, char* buffer, int mode, size_t size) {
    if ((mode != _IONBF && mode != _IOFBF && mode != _IOLBF) ||
        (mode != _IONBF && (size < 2 || size > 0x7FFFFFFF))) {
        crt_errno = EINVAL;
        return -1;
    }
    crt_lock_stream(f);
    flush_output(f);
    if (f->_flag & _IOMYBUF) {
        free(f->_base);
    }
    f->_flag &= ~(_IOMYBUF | _IOYOURBUF | _IONBF);
    f->_base = NULL;
    f->_ptr = NULL;
    f->_cnt = 0;
    f->_bufsiz = 0;
    int result = 0;
    if (mode == _IONBF) {
        f->_flag |= _IONBF;
    } else {
        size &= ~(size_t)1; /* msvcrt rounds the size down to even */
        if (buffer == NULL) {
            buffer = malloc(size);
            if (buffer == NULL) {
                result = -1;
            } else {
                f->_flag |= _IOMYBUF;
            }
        } else {
            f->_flag |= _IOYOURBUF;
        }
        if (buffer != NULL) {
            f->_base = buffer;
            f->_ptr = buffer;
            f->_bufsiz = (int)size;
        }
    }
    crt_unlock_stream(f);
    return result;
}

void setbuf(FILE* f, char* buffer) {
    if (buffer == NULL) {
        setvbuf(f, NULL, _IONBF, 0);
    } else {
        setvbuf(f, buffer, _IOFBF, CRT_BUFSIZ);
    }
}

/* ---- Opening and closing ----------------------------------------------------------------- */

/* A free stream, locked in the table, with _flag still 0; NULL (EMFILE) when none is left. */
FILE* crt_stream_allocate(void) {
    FILE* found = NULL;
    _lock(CRT_LOCK_IOB);
    for (int i = 0; i < STREAM_MAX && found == NULL; i++) {
        if (streams[i] == NULL) {
            streams[i] = calloc(1, sizeof(FILE));
            if (streams[i] == NULL) {
                break;
            }
        }
        if (!(streams[i]->_flag & (_IOREAD | _IOWRT | _IORW))) {
            found = streams[i];
            memset(found, 0, sizeof *found);
            found->_file = -1;
            found->_flag = _IORW | _IOSTRG; /* taken; the caller sets the real flags */
        }
    }
    _unlock(CRT_LOCK_IOB);
    if (found == NULL) {
        crt_errno = EMFILE;
    }
    return found;
}

/* Parses an fopen mode: returns the stream flags (-1 and EINVAL if invalid), and says whether
 * it has '+' and whether the stream is text (t, b, or _fmode's default). */
int crt_parse_mode(const char* mode, int* plus, int* text) {
    int flags;
    switch (*mode) {
        case 'r':
            flags = _IOREAD;
            break;
        case 'w':
        case 'a':
            flags = _IOWRT;
            break;
        default:
            crt_errno = EINVAL;
            return -1;
    }
    extern int _fmode;
    *plus = 0;
    *text = !(_fmode & 0x8000);
    for (const char* p = mode + 1; *p; p++) {
        if (*p == '+') {
            *plus = 1;
            flags = _IORW;
        } else if (*p == 'b') {
            *text = 0;
        } else if (*p == 't') {
            *text = 1;
        }
    }
    return flags;
}

FILE* _fdopen(int fd, const char* mode) {
    int plus, text;
    int flags = crt_parse_mode(mode, &plus, &text);
    if (flags < 0) {
        return NULL;
    }
    if (_get_osfhandle(fd) == -1) {
        return NULL;
    }
    FILE* f = crt_stream_allocate();
    if (f == NULL) {
        return NULL;
    }
    f->_file = fd;
    f->_flag = flags;
    return f;
}

/* fopen as msvcrt: the mode's letter picks the _open flags, '+' makes it read-write, and
 * 't'/'b' (or _fmode) the translation; a failed open leaves errno from _open. */
FILE* fopen(const char* path, const char* mode) {
    int plus, text;
    int flags = crt_parse_mode(mode, &plus, &text);
    if (flags < 0) {
        return NULL;
    }
    int oflag = plus ? 2 /* O_RDWR */ : (*mode == 'r' ? 0 /* O_RDONLY */ : 1 /* O_WRONLY */);
    if (*mode == 'w') {
        oflag |= 0x0100 | 0x0200; /* O_CREAT | O_TRUNC */
    } else if (*mode == 'a') {
        oflag |= 0x0100 | 0x0008; /* O_CREAT | O_APPEND */
    }
    oflag |= text ? 0x4000 : 0x8000; /* O_TEXT or O_BINARY */
    const int fd = _open(path, oflag, 0x0100 | 0x0080 /* _S_IREAD | _S_IWRITE */);
    if (fd < 0) {
        return NULL;
    }
    FILE* f = _fdopen(fd, mode);
    if (f == NULL) {
        _close(fd);
    }
    return f;
}

int fclose(FILE* f) {
    crt_lock_stream(f);
    int result = 0;
    if (!(f->_flag & (_IOREAD | _IOWRT | _IORW))) {
        crt_unlock_stream(f);
        crt_errno = EINVAL;
        return EOF;
    }
    if ((f->_flag & _IOWRT) && flush_output(f) < 0) {
        result = EOF;
    }
    if (_close(f->_file) < 0) {
        result = EOF;
    }
    if (f->_flag & _IOMYBUF) {
        free(f->_base);
    }
    f->_base = NULL;
    f->_ptr = NULL;
    f->_cnt = 0;
    f->_flag = 0;
    f->_file = -1;
    crt_unlock_stream(f);
    return result;
}

/* ---- Positioning ------------------------------------------------------------------------- */

#define SEEK_SET_ 0
#define SEEK_CUR_ 1
#define SEEK_END_ 2

/* Counts the '\n' in COUNT bytes at FROM: in a text stream each stands for "\r\n" in the file,
 * which is how msvcrt's ftell accounts for translated data in the buffer. */
static int64_t newlines(const char* from, int64_t count) {
    int64_t n = 0;
    for (int64_t i = 0; i < count; i++) {
        n += from[i] == '\n';
    }
    return n;
}

/* The file position of the stream's next character, with F locked; -1 and errno on failure. */
static int64_t tell_locked(FILE* f) {
    int64_t position = _lseeki64(f->_file, 0, SEEK_CUR_);
    if (position < 0) {
        return -1;
    }
    const int text = crt_fd_is_text(f->_file);
    if ((f->_flag & _IOWRT) && is_buffered(f)) {
        int64_t pending = f->_ptr - f->_base;
        position += pending + (text ? newlines(f->_base, pending) : 0);
    } else if ((f->_flag & _IOREAD) && f->_cnt > 0) {
        position -= f->_cnt + (text ? newlines(f->_ptr, f->_cnt) : 0);
    }
    return position < 0 ? 0 : position;
}

int64_t _ftelli64(FILE* f) {
    crt_lock_stream(f);
    int64_t position = tell_locked(f);
    crt_unlock_stream(f);
    return position;
}

long ftell(FILE* f) {
    int64_t position = _ftelli64(f);
    if (position > 0x7FFFFFFF) {
        crt_errno = EINVAL; /* does not fit a long */
        return -1;
    }
    return (long)position;
}

/* fseek as msvcrt's: a relative seek is made absolute from ftell's answer, pending output is
 * written, buffered input dropped, the end-of-file mark cleared, and a read-write stream may
 * then read or write. */
int _fseeki64(FILE* f, int64_t offset, int origin) {
    if (origin != SEEK_SET_ && origin != SEEK_CUR_ && origin != SEEK_END_) {
        crt_errno = EINVAL;
        return -1;
    }
    crt_lock_stream(f);
    if (!(f->_flag & (_IOREAD | _IOWRT | _IORW))) {
        crt_unlock_stream(f);
        crt_errno = EINVAL;
        return -1;
    }
    if (origin == SEEK_CUR_) {
        int64_t here = tell_locked(f);
        if (here < 0) {
            crt_unlock_stream(f);
            return -1;
        }
        offset += here;
        origin = SEEK_SET_;
    }
    int result = 0;
    if ((f->_flag & _IOWRT) && flush_output(f) < 0) {
        result = -1;
    }
    f->_ptr = f->_base;
    f->_cnt = 0;
    f->_flag &= ~_IOEOF;
    if (f->_flag & _IORW) {
        f->_flag &= ~(_IOREAD | _IOWRT);
    }
    if (result == 0 && _lseeki64(f->_file, offset, origin) < 0) {
        result = -1;
    }
    crt_unlock_stream(f);
    return result;
}

int fseek(FILE* f, long offset, int origin) {
    return _fseeki64(f, offset, origin);
}

void rewind(FILE* f) {
    _fseeki64(f, 0, SEEK_SET_);
    clearerr(f);
}

/* fpos_t is a 64-bit file position in msvcrt. */
int fgetpos(FILE* f, int64_t* position) {
    int64_t here = _ftelli64(f);
    if (here < 0) {
        return -1;
    }
    *position = here;
    return 0;
}

int fsetpos(FILE* f, const int64_t* position) {
    return _fseeki64(f, *position, SEEK_SET_);
}

/* ---- Wide characters on a byte stream ---------------------------------------------------- */
/* msvcrt's fgetwc and fputwc: a text stream holds multibyte characters in the current code
 * page (one byte each in the "C" locale), a binary stream two-byte UTF-16 units. Unlike
 * ungetc, ungetwc of a two-byte unit needs room for both bytes. */

#define WEOF_ 0xFFFF
int mbtowc(WCHAR* out, const char* from, size_t count);
int wctomb(char* out, WCHAR c);

unsigned short fgetwc(FILE* f) {
    crt_lock_stream(f);
    unsigned short result = WEOF_;
    if (!crt_fd_is_text(f->_file)) {
        int low = getc_locked(f);
        int high = low == EOF ? EOF : getc_locked(f);
        if (high != EOF) {
            result = (unsigned short)(low | (high << 8));
        }
    } else {
        /* The C locale's multibyte characters are single bytes (locale.c). */
        int c = getc_locked(f);
        if (c != EOF) {
            char byte = (char)c;
            WCHAR wide = 0;
            mbtowc(&wide, &byte, 1);
            result = wide;
        }
    }
    crt_unlock_stream(f);
    return result;
}

unsigned short getwc(FILE* f) {
    return fgetwc(f);
}

unsigned short fputwc(unsigned short c, FILE* f) {
    char bytes[8];
    size_t length;
    if (!crt_fd_is_text(f->_file)) {
        bytes[0] = (char)(c & 0xFF);
        bytes[1] = (char)(c >> 8);
        length = 2;
    } else {
        int n = wctomb(bytes, c);
        if (n <= 0) {
            crt_errno = EILSEQ;
            return WEOF_;
        }
        length = (size_t)n;
    }
    crt_lock_stream(f);
    size_t done = stream_write(f, bytes, length);
    crt_unlock_stream(f);
    return done == length ? c : WEOF_;
}

unsigned short putwc(unsigned short c, FILE* f) {
    return fputwc(c, f);
}

/* Pushes back the bytes of C, last byte first, so the next fgetwc reads C again. */
unsigned short ungetwc(unsigned short c, FILE* f) {
    if (c == WEOF_) {
        return WEOF_;
    }
    char bytes[8];
    int length;
    if (!crt_fd_is_text(f->_file)) {
        bytes[0] = (char)(c & 0xFF);
        bytes[1] = (char)(c >> 8);
        length = 2;
    } else {
        length = wctomb(bytes, c);
        if (length <= 0) {
            return WEOF_;
        }
    }
    crt_lock_stream(f);
    for (int i = length - 1; i >= 0; i--) {
        if (ungetc((unsigned char)bytes[i], f) == EOF) {
            crt_unlock_stream(f);
            return WEOF_;
        }
    }
    crt_unlock_stream(f);
    return c;
}

/* ---- Wide names -------------------------------------------------------------------------- */

int _wopen(const WCHAR* path, int oflag, ...);

/* _wfopen: fopen with a UTF-16 name and mode. */
FILE* _wfopen(const WCHAR* path, const WCHAR* mode) {
    char narrow[16];
    size_t n = 0;
    for (; mode[n] != 0; n++) {
        if (n + 1 >= sizeof narrow || mode[n] > 0x7F) {
            crt_errno = EINVAL;
            return NULL;
        }
        narrow[n] = (char)mode[n];
    }
    narrow[n] = 0;
    int plus, text;
    int flags = crt_parse_mode(narrow, &plus, &text);
    if (flags < 0) {
        return NULL;
    }
    int oflag = plus ? 2 : (*narrow == 'r' ? 0 : 1);
    if (*narrow == 'w') {
        oflag |= 0x0100 | 0x0200;
    } else if (*narrow == 'a') {
        oflag |= 0x0100 | 0x0008;
    }
    oflag |= text ? 0x4000 : 0x8000;
    const int fd = _wopen(path, oflag, 0x0100 | 0x0080);
    if (fd < 0) {
        return NULL;
    }
    FILE* f = _fdopen(fd, narrow);
    if (f == NULL) {
        _close(fd);
    }
    return f;
}
