/* One system-call stub per entry of ntoy/syscalls.h, in the x64 NT form:
 *
 *     mov r10, rcx     ; syscall overwrites rcx with the return address
 *     mov eax, number
 *     syscall
 *     ret
 *
 * Each stub is exported as NtXxx and, as in Windows, also as ZwXxx at the same address. The
 * export directives go into .drectve next to the code, so the table stays the only list: a new
 * entry there is a new stub with both exports and needs no other edit (not even ntdll.def).
 *
 * The table spells names NtXxx and the preprocessor cannot drop a prefix from a token, so the
 * Zw alias is spelled by the assembler: .irpc walks the name's characters and emits all but
 * the first two after "Zw", giving the linker directive "-export:ZwXxx=NtXxx". */
#include "ntoy/syscalls.h"

/* One assembler line per source line; clang-format would split them. */
/* clang-format off */
#define NTOY_SYSCALL_STUB(number, name, argument_count)             \
    __asm__("\t.text\n"                                             \
            "\t.p2align 4\n"                                        \
            "\t.globl " #name "\n"                                  \
            "\t.def " #name "; .scl 2; .type 32; .endef\n"          \
            #name ":\n"                                             \
            "\tmovq %rcx, %r10\n"                                   \
            "\tmovl $" #number ", %eax\n"                           \
            "\tsyscall\n"                                           \
            "\tret\n"                                               \
            "\t.section .drectve\n"                                 \
            "\t.ascii \" -export:" #name " -export:Zw\"\n"          \
            "\t.set ntoy_name_index, 0\n"                           \
            "\t.irpc name_char, " #name "\n"                        \
            "\t.if ntoy_name_index >= 2\n"                          \
            "\t.ascii \"\\name_char\"\n"                            \
            "\t.endif\n"                                            \
            "\t.set ntoy_name_index, ntoy_name_index + 1\n"         \
            "\t.endr\n"                                             \
            "\t.ascii \"=" #name "\"\n"                             \
            "\t.text\n");
/* clang-format on */

NTOY_SYSCALLS(NTOY_SYSCALL_STUB)
