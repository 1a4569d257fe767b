/* The exception dispatcher's entry, shared by ntdll.dll (KiUserExceptionDispatcher) and
 * ntoskrnl.exe (NtoyKernelExceptionDispatcher): where the kernel resumes a thread that took an
 * exception, with the thread's state pushed onto its stack:
 *
 *     RSP + 0x000  CONTEXT           (0x4D0 bytes; RSP is 16-byte aligned)
 *     RSP + 0x4F0  EXCEPTION_RECORD  (0x98 bytes)
 *
 * which is the Windows x64 frame (the 0x20 bytes between them are Windows' CONTEXT_EX
 * area). The entry copies the exception's RIP and RSP into that area as a machine frame
 * (RIP at +0x4D0, RSP at +0x4E8), which its unwind info names (UWOP_PUSH_MACHFRAME), so that
 * an unwind started by a handler (RtlUnwindEx) goes on from here into the frames of the code
 * that took the exception. The entry is assembly because nothing here was called: there is
 * no return address and the alignment is the kernel's. It passes the two records to
 * ntoy_dispatch_exception, which each side defines, and which does not return.
 *
 * Include once, with NTOY_EXCEPTION_ENTRY defined to the entry's name (a string). */
#include "unwind.h"

#define NTOY_DISPATCHER_RECORD_OFFSET 0x4F0
_Static_assert(NTOY_DISPATCHER_RECORD_OFFSET >= sizeof(CONTEXT), "record overlaps the context");
_Static_assert(NTOY_DISPATCHER_RECORD_OFFSET % 16 == 0, "record misaligned");
_Static_assert(offsetof(CONTEXT, Rbx) == 0x90 && offsetof(CONTEXT, Rbp) == 0xA0 &&
                   offsetof(CONTEXT, Rsi) == 0xA8 && offsetof(CONTEXT, Rdi) == 0xB0 &&
                   offsetof(CONTEXT, R12) == 0xD8 && offsetof(CONTEXT, R15) == 0xF0 &&
                   offsetof(CONTEXT, u.FltSave.XmmRegisters[6]) == 0x200,
               "the CONTEXT offsets the entry below loads");

#define NTOY_STRINGIFY_VALUE(x) #x
#define NTOY_STRINGIFY(x) NTOY_STRINGIFY_VALUE(x)

__attribute__((noreturn, used)) void ntoy_dispatch_exception(PEXCEPTION_RECORD record,
                                                             PCONTEXT context);

/* The C dispatcher gets 32 bytes of home space below the context; RSP stays 16-byte aligned
 * at the call, so the callee sees the usual RSP = 8 (mod 16). */
__asm__("\t.text\n"
        "\t.p2align 4\n"
        "\t.globl " NTOY_EXCEPTION_ENTRY "\n"
        "\t.def " NTOY_EXCEPTION_ENTRY "; .scl 2; .type 32; .endef\n"
        "\t.seh_proc " NTOY_EXCEPTION_ENTRY "\n"
        NTOY_EXCEPTION_ENTRY ":\n"
        "\t.seh_pushframe\n"
        "\t.seh_stackalloc 0x4D0\n"
        "\tcld\n"
        /* The non-volatile registers take the exception's values, as the Windows kernel
         * leaves them here: the unwind info names only the machine frame, so an unwind
         * through this frame gets them from the frames below, as they were at this call. */
        "\tmovq 0x90(%rsp), %rbx\n"
        "\tmovq 0xA0(%rsp), %rbp\n"
        "\tmovq 0xA8(%rsp), %rsi\n"
        "\tmovq 0xB0(%rsp), %rdi\n"
        "\tmovq 0xD8(%rsp), %r12\n"
        "\tmovq 0xE0(%rsp), %r13\n"
        "\tmovq 0xE8(%rsp), %r14\n"
        "\tmovq 0xF0(%rsp), %r15\n"
        "\tmovaps 0x200(%rsp), %xmm6\n"
        "\tmovaps 0x210(%rsp), %xmm7\n"
        "\tmovaps 0x220(%rsp), %xmm8\n"
        "\tmovaps 0x230(%rsp), %xmm9\n"
        "\tmovaps 0x240(%rsp), %xmm10\n"
        "\tmovaps 0x250(%rsp), %xmm11\n"
        "\tmovaps 0x260(%rsp), %xmm12\n"
        "\tmovaps 0x270(%rsp), %xmm13\n"
        "\tmovaps 0x280(%rsp), %xmm14\n"
        "\tmovaps 0x290(%rsp), %xmm15\n"
        "\tmovq 0xF8(%rsp), %rax\n"
        "\tmovq %rax, 0x4D0(%rsp)\n"
        "\tmovq 0x98(%rsp), %rax\n"
        "\tmovq %rax, 0x4E8(%rsp)\n"
        "\tleaq " NTOY_STRINGIFY(NTOY_DISPATCHER_RECORD_OFFSET) "(%rsp), %rcx\n"
        "\tmovq %rsp, %rdx\n"
        "\tsubq $0x20, %rsp\n"
        "\t.seh_stackalloc 0x20\n"
        "\t.seh_endprologue\n"
        "\tcall ntoy_dispatch_exception\n"
        "\tud2\n"
        "\t.seh_endproc\n");
