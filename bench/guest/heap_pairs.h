/* The heap benchmark's work, shared by the guest (HeapAlloc/HeapFree on the process heap) and
 * the host's reference (glibc malloc/free): N pairs of one allocation and one free over a
 * table of 256 live blocks, mixed small sizes (16 to 527 bytes) from a fixed xorshift
 * sequence, each block touched so that no compiler can drop the pair. The includer defines
 * HEAP_PAIRS_ALLOC(size) and HEAP_PAIRS_FREE(block). Returns a checksum of the bytes read. */
#ifndef NTOY_BENCH_HEAP_PAIRS_H
#define NTOY_BENCH_HEAP_PAIRS_H

#define HEAP_PAIRS_SLOTS 256

static inline unsigned long long heap_pairs(unsigned long long n) {
    unsigned char* slots[HEAP_PAIRS_SLOTS] = {0};
    unsigned long long state = 0x9E3779B97F4A7C15ull, sum = 0;
    for (unsigned long long i = 0; i < n; ++i) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        unsigned slot = (unsigned)(state % HEAP_PAIRS_SLOTS);
        if (slots[slot] != 0) {
            sum += slots[slot][0];
            HEAP_PAIRS_FREE(slots[slot]);
        }
        unsigned char* block = (unsigned char*)HEAP_PAIRS_ALLOC(16 + (state >> 32) % 512);
        if (block == 0)
            return 0;
        block[0] = (unsigned char)i;
        slots[slot] = block;
    }
    for (unsigned i = 0; i < HEAP_PAIRS_SLOTS; ++i) {
        if (slots[i] != 0) {
            sum += slots[i][0];
            HEAP_PAIRS_FREE(slots[i]);
        }
    }
    return sum + 1;
}

#endif
