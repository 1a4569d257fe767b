/* KiUserApcDispatcher: where the kernel delivers a user APC (the contract is in
 * ntoy/process_layout.h). RSP points to the interrupted thread's CONTEXT, 16-byte aligned;
 * RCX is the routine and RDX, R8, R9 its three arguments. The routine runs on the stack below
 * the context, then NtContinue(context, TRUE) resumes it, after the kernel has delivered the
 * next queued APC the same way if there is one. Assembly, because nothing here was called:
 * there is no return address and the alignment is the kernel's. */
#include "ntoy/ntdll_exports.h"

__attribute__((noreturn, used)) void ntoy_apc_continue_failed(NTSTATUS status);

/* The routine gets 32 bytes of home space below the context; RSP stays 16-byte aligned at
 * the call, so the callee sees the usual RSP = 8 (mod 16). */
__asm__(
    "\t.text\n"
    "\t.p2align 4\n"
    "\t.globl KiUserApcDispatcher\n"
    "\t.def KiUserApcDispatcher; .scl 2; .type 32; .endef\n"
    "KiUserApcDispatcher:\n"
    "\tcld\n"
    "\tmovq %rcx, %rax\n"
    "\tmovq %rdx, %rcx\n"
    "\tmovq %r8, %rdx\n"
    "\tmovq %r9, %r8\n"
    "\tsubq $0x20, %rsp\n"
    "\tcall *%rax\n"
    "\tleaq 0x20(%rsp), %rcx\n"
    "\tmovl $1, %edx\n"
    "\tcall NtContinue\n"
    "\tmovl %eax, %ecx\n"
    "\tcall ntoy_apc_continue_failed\n"
    "\tud2\n");

/* Only a context the kernel refuses gets here; nothing can resume the thread. */
void ntoy_apc_continue_failed(NTSTATUS status) {
    for (;;) {
        NtTerminateProcess(NtCurrentProcess(), status);
    }
}
