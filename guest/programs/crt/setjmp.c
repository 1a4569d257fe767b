/* setjmp and longjmp: a jump out of nested calls, back to the same point several times, the
 * value 0 arriving as 1, and local variables that are volatile keeping their changes. */
#include <setjmp.h>
#include <stdio.h>

static jmp_buf point;
static int depth_reached;

static void descend(int depth, int jump_at) {
    depth_reached = depth;
    if (depth == jump_at) {
        longjmp(point, depth * 10);
    }
    if (depth < 100) { /* always: the jump comes first */
        descend(depth + 1, jump_at);
    }
    printf("never printed\n");
}

int main(void) {
    volatile int rounds = 0;
    int value = setjmp(point);
    printf("setjmp returned %d (round %d, depth %d)\n", value, rounds, depth_reached);
    rounds++;
    if (rounds <= 3) {
        descend(1, rounds * 2);
    }
    if (rounds == 4) {
        longjmp(point, 0);
    }
    printf("after %d rounds\n", rounds);
    return 0;
}
