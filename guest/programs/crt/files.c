/* fopen as a default-built program uses it: write a file, read it back line by line, append
 * to it, open it read-write, and fail to open a file that is not there (errno ENOENT). The
 * file lives in the current directory, which ntoy confines to its --root (docs/files.md), and
 * is deleted at the end. Prints what Windows' msvcrt prints. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <windows.h>

#define NAME "crt_files_test.txt"

static void show(const char* title) {
    char line[64];
    FILE* f = fopen(NAME, "r");
    printf("%s:", title);
    if (f == NULL) {
        printf(" cannot open\n");
        return;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        printf(" [%s]", line);
    }
    printf("\n");
    fclose(f);
}

int main(void) {
    FILE* f = fopen(NAME, "w");
    if (f == NULL) {
        printf("fopen w failed: errno %d\n", errno);
        return 1;
    }
    fprintf(f, "first %d\n", 1);
    fputs("second\n", f);
    printf("fclose: %d\n", fclose(f));
    show("written");

    f = fopen(NAME, "a");
    fprintf(f, "third\n");
    fclose(f);
    show("appended");

    /* Text mode wrote "\r\n": the bytes say so in binary mode. */
    f = fopen(NAME, "rb");
    char bytes[64];
    size_t n = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    printf("binary size %u, byte 7 is %d\n", (unsigned)n, bytes[7]);

    f = fopen(NAME, "r+");
    fputs("FIRST", f);
    fclose(f);
    show("overwritten");

    f = fopen(NAME, "w");
    fclose(f);
    show("truncated");

    errno = 0;
    f = fopen("no_such_file.txt", "r");
    printf("missing: %s, errno %d (ENOENT is %d)\n", f == NULL ? "NULL" : "opened", errno, ENOENT);
    errno = 0;
    f = fopen(NAME, "q");
    printf("bad mode: %s, errno %d (EINVAL is %d)\n", f == NULL ? "NULL" : "opened", errno, EINVAL);

    printf("deleted: %d\n", DeleteFileA(NAME) ? 1 : 0);
    show("after delete");
    return 0;
}
