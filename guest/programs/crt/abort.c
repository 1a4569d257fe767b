/* abort(): msvcrt's message on stderr, then SIGABRT's handler; when the handler returns,
 * the process still ends, with exit code 3. (Whether stdout's buffer is flushed on the way is
 * not checked: abort does not flush, and what Windows' DLL detach does with it is not
 * documented.) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static void on_abort(int number) {
    fprintf(stderr, "SIGABRT handler called with %d\n", number);
    fflush(stderr);
}

int main(void) {
    printf("this stays in the buffer\n");
    signal(SIGABRT, on_abort);
    abort();
}
