# A guest that reads kernel memory and has no handler: gdb stops with SIGSEGV at the
# faulting instruction, before the process ends; continuing lets it end.
# gdb: ^Program received signal SIGSEGV, Segmentation fault\.
# gdb: ^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <start\+[0-9]+>
# gdb: ^=> 0x[0-9a-f]+ <start\+[0-9]+>:\s+mov +\(%rax\),
# gdb: ^rax +0xffff800000001000
# gdb: ^Program terminated with signal SIGSEGV, Segmentation fault\.
# stdout: reading kernel address
# stderr: unhandled exception 0xc0000005 \(STATUS_ACCESS_VIOLATION\) at rip 0x[0-9a-f]+: read of address 0xffff800000001000
continue
info registers rip
x/i $pc
info registers rax
continue
