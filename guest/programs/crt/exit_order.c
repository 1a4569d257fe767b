/* How a program ends through msvcrt: atexit handlers run last-registered first after main
 * returns, a handler may still print, and stdout (fully buffered when it is not a console)
 * reaches the file before the process ends. */
#include <stdio.h>
#include <stdlib.h>

static void first(void) {
    printf("first registered, runs last\n");
}

static void second(void) {
    printf("second registered, runs second\n");
}

static void third(void) {
    printf("third registered, runs first\n");
}

int main(void) {
    atexit(first);
    atexit(second);
    atexit(third);
    printf("main returns 7\n");
    return 7;
}
