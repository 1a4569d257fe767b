/* RtlRaiseException: a software exception raised from the caller's own state.
 *
 * As on Windows x64, the CONTEXT is the caller's state as if RtlRaiseException had just
 * returned: RIP its return address, RSP the caller's stack pointer after the return, the
 * non-volatile registers as the caller left them. ExceptionAddress becomes that RIP. The
 * exception is then dispatched first-chance by ntoy_raise_with_context, which each side
 * defines: ntdll's hands it to the kernel (NtRaiseException, FirstChance TRUE), as a fault is
 * dispatched; ntoskrnl's walks the kernel stack's frames itself. A handler that continues
 * resumes the CONTEXT, so the call returns to its caller.
 *
 * The capture is assembly because C cannot see its caller's registers. Shared by ntdll.dll
 * and ntoskrnl.exe. */
#include "ntoy/nt_status.h"
#include "ntoy/ntdll_exports.h"

#define FRAME_BYTES 0x4F8 /* 0x20 home space, the CONTEXT, 8 to keep RSP 16-byte aligned */
#define CONTEXT_AT 0x20

#include "unwind.h"

#define NTOY_STRINGIFY_VALUE(x) #x
#define NTOY_STRINGIFY(x) NTOY_STRINGIFY_VALUE(x)
#define CTX(offset) NTOY_STRINGIFY(CONTEXT_AT + offset) "(%rsp)"

_Static_assert(offsetof(CONTEXT, Rax) == 0x78 && offsetof(CONTEXT, Rip) == 0xF8 &&
                   offsetof(CONTEXT, u.FltSave) == 0x100 && offsetof(CONTEXT, EFlags) == 0x44,
               "the offsets the capture below writes");
_Static_assert(CONTEXT_AT + sizeof(CONTEXT) + 8 == FRAME_BYTES, "frame layout");

__asm__("\t.text\n"
        "\t.p2align 4\n"
        "\t.globl RtlRaiseException\n"
        "\t.def RtlRaiseException; .scl 2; .type 32; .endef\n"
        "\t.seh_proc RtlRaiseException\n"
        "RtlRaiseException:\n"
        "\tsubq $" NTOY_STRINGIFY(FRAME_BYTES) ", %rsp\n"
        "\t.seh_stackalloc " NTOY_STRINGIFY(FRAME_BYTES) "\n"
        "\t.seh_endprologue\n"
        "\tmovq %rax, " CTX(0x78) "\n"
        "\tmovq %rcx, " CTX(0x80) "\n"
        "\tmovq %rdx, " CTX(0x88) "\n"
        "\tmovq %rbx, " CTX(0x90) "\n"
        "\tmovq %rbp, " CTX(0xA0) "\n"
        "\tmovq %rsi, " CTX(0xA8) "\n"
        "\tmovq %rdi, " CTX(0xB0) "\n"
        "\tmovq %r8, " CTX(0xB8) "\n"
        "\tmovq %r9, " CTX(0xC0) "\n"
        "\tmovq %r10, " CTX(0xC8) "\n"
        "\tmovq %r11, " CTX(0xD0) "\n"
        "\tmovq %r12, " CTX(0xD8) "\n"
        "\tmovq %r13, " CTX(0xE0) "\n"
        "\tmovq %r14, " CTX(0xE8) "\n"
        "\tmovq %r15, " CTX(0xF0) "\n"
        /* The caller's RSP once this returns, and the return address as RIP. */
        "\tleaq " NTOY_STRINGIFY(FRAME_BYTES + 8) "(%rsp), %rax\n"
        "\tmovq %rax, " CTX(0x98) "\n"
        "\tmovq " NTOY_STRINGIFY(FRAME_BYTES) "(%rsp), %rax\n"
        "\tmovq %rax, " CTX(0xF8) "\n"
        "\tpushfq\n"
        "\tpopq %rax\n"
        "\tmovl %eax, " CTX(0x44) "\n"
        "\tmovw %cs, " CTX(0x38) "\n"
        "\tmovw %ds, " CTX(0x3A) "\n"
        "\tmovw %es, " CTX(0x3C) "\n"
        "\tmovw %fs, " CTX(0x3E) "\n"
        "\tmovw %gs, " CTX(0x40) "\n"
        "\tmovw %ss, " CTX(0x42) "\n"
        "\tfxsave " CTX(0x100) "\n"
        "\tstmxcsr " CTX(0x34) "\n"
        /* CONTEXT_FULL | CONTEXT_SEGMENTS, as RtlCaptureContext gives. */
        "\tmovl $0x10000F, " CTX(0x30) "\n"
        "\tmovq " CTX(0x78) ", %rax\n"
        "\tleaq " CTX(0) ", %rdx\n"
        "\tcall ntoy_raise_with_context\n"
        "\tud2\n"
        "\t.seh_endproc\n");
