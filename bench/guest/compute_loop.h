/* The compute benchmark's machine code: one function, `u64 loop(u64 n)`, that runs n
 * iterations of register-only arithmetic and returns a checksum. The same bytes run in a
 * guest under ntoy, under bare Unicorn, natively and under qemu-x86_64, so the comparison is
 * of engines, not of compilers. Windows x64 convention: n arrives in rcx; the bare-Unicorn
 * and ELF runners put it there too. */
#ifndef NTOY_BENCH_COMPUTE_LOOP_H
#define NTOY_BENCH_COMPUTE_LOOP_H

static const unsigned char kComputeLoop[] = {
    0x31, 0xC0,                   /*     xor  eax, eax          */
    0xBA, 0x01, 0x00, 0x00, 0x00, /*     mov  edx, 1            */
    0x48, 0x85, 0xC9,             /*     test rcx, rcx          */
    0x74, 0x12,                   /*     jz   done              */
    /* loop: */
    0x48, 0x01, 0xD0,       /*     add  rax, rdx          */
    0x48, 0x8D, 0x14, 0x52, /*     lea  rdx, [rdx+rdx*2]  */
    0x48, 0x31, 0xC2,       /*     xor  rdx, rax          */
    0x48, 0xFF, 0xC9,       /*     dec  rcx               */
    0x75, 0xF1,             /*     jnz  loop              */
    0x90, 0x90, 0x90,       /*     (padding)              */
    /* done: */
    0xC3, /*     ret                    */
};

#endif
