/* The heap through msvcrt: qsort over a malloc'd array, a linked list built and freed node by
 * node, and one block grown with realloc to 100 MB while VirtualQuery watches the memory
 * under it: every byte of the block must be committed read-write memory, and the contents
 * must survive each move. What is printed does not depend on where the heap puts things, so
 * Windows prints the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

static int ascending(const void* a, const void* b) {
    unsigned x = *(const unsigned*)a, y = *(const unsigned*)b;
    return (x > y) - (x < y);
}

typedef struct node {
    struct node* next;
    int value;
    char name[20];
} node;

/* Whether [p, p+size) is committed read-write memory, region by region. */
static int committed_read_write(const char* p, size_t size) {
    const char* end = p + size;
    while (p < end) {
        MEMORY_BASIC_INFORMATION info;
        if (VirtualQuery(p, &info, sizeof info) != sizeof info || info.State != MEM_COMMIT ||
            info.Protect != PAGE_READWRITE) {
            return 0;
        }
        p = (const char*)info.BaseAddress + info.RegionSize;
    }
    return 1;
}

int main(void) {
    /* 100,000 numbers from msvcrt's own generator's recurrence, sorted. */
    size_t count = 100000;
    unsigned* numbers = malloc(count * sizeof *numbers);
    unsigned seed = 12345;
    for (size_t i = 0; i < count; i++) {
        seed = seed * 214013u + 2531011u;
        numbers[i] = seed >> 8;
    }
    qsort(numbers, count, sizeof *numbers, ascending);
    int sorted = 1;
    unsigned long long sum = 0;
    for (size_t i = 0; i < count; i++) {
        sorted &= i == 0 || numbers[i - 1] <= numbers[i];
        sum += numbers[i];
    }
    printf("qsort of %u numbers: %s, sum %llu, first %u, last %u\n", (unsigned)count,
           sorted ? "sorted" : "NOT SORTED", sum, numbers[0], numbers[count - 1]);
    free(numbers);

    node* head = NULL;
    for (int i = 0; i < 10000; i++) {
        node* n = malloc(sizeof *n);
        n->value = i;
        snprintf(n->name, sizeof n->name, "node %d", i);
        n->next = head;
        head = n;
    }
    long long total = 0;
    int length = 0;
    for (node* n = head; n != NULL; n = n->next) {
        total += n->value;
        length++;
    }
    printf("list: %d nodes, values sum to %lld, head is \"%s\"\n", length, total, head->name);
    while (head != NULL) {
        node* next = head->next;
        free(head);
        head = next;
    }
    printf("list freed\n");

    int* zeros = calloc(1000, sizeof *zeros);
    int all_zero = 1;
    for (int i = 0; i < 1000; i++) {
        all_zero &= zeros[i] == 0;
    }
    printf("calloc: %s\n", all_zero ? "all zero" : "NOT ZERO");
    free(zeros);

    size_t size = 4096;
    unsigned char* block = malloc(size);
    memset(block, 0xA5, size);
    while (size < 100u * 1024 * 1024) {
        size_t old = size;
        size *= 2;
        if (size > 100u * 1024 * 1024) {
            size = 100u * 1024 * 1024;
        }
        unsigned char* grown = realloc(block, size);
        if (grown == NULL) {
            printf("realloc to %u bytes failed\n", (unsigned)size);
            return 1;
        }
        block = grown;
        int kept = block[0] == 0xA5 && block[old / 2] == 0xA5 && block[old - 1] == 0xA5;
        memset(block + old, 0xA5, size - old);
        printf("realloc to %9u bytes: contents kept %s, committed read-write %s\n", (unsigned)size,
               kept ? "yes" : "NO", committed_read_write((char*)block, size) ? "yes" : "NO");
    }
    free(block);
    printf("done\n");
    return 0;
}
