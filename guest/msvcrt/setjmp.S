/* _setjmp and longjmp with msvcrt's x64 _JUMP_BUFFER layout, which mingw's <setjmp.h> uses:
 * setjmp(b) is _setjmp(b, __builtin_frame_address(0)). The buffer holds Frame, the
 * callee-saved registers (rbx rsp rbp rsi rdi r12-r15), the return address, MXCSR, the x87
 * control word and xmm6-xmm15.
 *
 * longjmp restores them directly. Windows' msvcrt instead unwinds to Frame with RtlUnwindEx,
 * which also runs the __finally blocks of the frames it leaves; this ntdll has no unwinder
 * yet, so a longjmp across a __try/__finally skips the __finally. Plain C code, where
 * nothing runs in between, sees no difference. */
    .text

    .globl _setjmp
    .def _setjmp; .scl 2; .type 32; .endef
_setjmp:
    movq %rdx, 0x00(%rcx)        /* Frame */
    movq %rbx, 0x08(%rcx)
    leaq 8(%rsp), %rax            /* the caller's rsp once we return */
    movq %rax, 0x10(%rcx)
    movq %rbp, 0x18(%rcx)
    movq %rsi, 0x20(%rcx)
    movq %rdi, 0x28(%rcx)
    movq %r12, 0x30(%rcx)
    movq %r13, 0x38(%rcx)
    movq %r14, 0x40(%rcx)
    movq %r15, 0x48(%rcx)
    movq (%rsp), %rax             /* the return address */
    movq %rax, 0x50(%rcx)
    stmxcsr 0x58(%rcx)
    fnstcw 0x5c(%rcx)
    movdqu %xmm6, 0x60(%rcx)
    movdqu %xmm7, 0x70(%rcx)
    movdqu %xmm8, 0x80(%rcx)
    movdqu %xmm9, 0x90(%rcx)
    movdqu %xmm10, 0xa0(%rcx)
    movdqu %xmm11, 0xb0(%rcx)
    movdqu %xmm12, 0xc0(%rcx)
    movdqu %xmm13, 0xd0(%rcx)
    movdqu %xmm14, 0xe0(%rcx)
    movdqu %xmm15, 0xf0(%rcx)
    xorl %eax, %eax
    ret

    .globl longjmp
    .def longjmp; .scl 2; .type 32; .endef
longjmp:
    movl %edx, %eax
    testl %eax, %eax
    jnz 1f
    movl $1, %eax                 /* setjmp never returns 0 from a longjmp */
1:
    movq 0x08(%rcx), %rbx
    movq 0x18(%rcx), %rbp
    movq 0x20(%rcx), %rsi
    movq 0x28(%rcx), %rdi
    movq 0x30(%rcx), %r12
    movq 0x38(%rcx), %r13
    movq 0x40(%rcx), %r14
    movq 0x48(%rcx), %r15
    ldmxcsr 0x58(%rcx)
    fnclex
    fldcw 0x5c(%rcx)
    movdqu 0x60(%rcx), %xmm6
    movdqu 0x70(%rcx), %xmm7
    movdqu 0x80(%rcx), %xmm8
    movdqu 0x90(%rcx), %xmm9
    movdqu 0xa0(%rcx), %xmm10
    movdqu 0xb0(%rcx), %xmm11
    movdqu 0xc0(%rcx), %xmm12
    movdqu 0xd0(%rcx), %xmm13
    movdqu 0xe0(%rcx), %xmm14
    movdqu 0xf0(%rcx), %xmm15
    movq 0x10(%rcx), %rsp
    jmpq *0x50(%rcx)
