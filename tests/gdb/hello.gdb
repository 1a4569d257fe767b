# Attach, break at the entry point, step, read registers and memory, ask the kernel about
# the page, and run to the end.
# gdb: Reading symbols from .*hello\.exe
# gdb: Breakpoint 1 at 0x140001000
# gdb: ^Breakpoint 1, 0x0*140001000 in start \(\)
# gdb: ^rip +0x140001000 +0x140001000 <start>
# gdb: ^0x0*140001001 in start \(\)
# gdb: ^rip +0x140001001 +0x140001001 <start\+1>
# gdb: ^0x140001001 <start\+1>:(\s+0x[0-9a-f]{2}){4}$
# gdb: VA 0000000140001000
# gdb: PXE at .*PTE at
# gdb: pfn .*-UREV
# gdb: ^rsp +0x[0-9a-f]+
# gdb: ^eflags +0x[0-9a-f]+ +\[ .*IF.* \]
# gdb: ^cs +0x33
# gdb: ^gs_base +0x[0-9a-f]+
# gdb: ^mxcsr +0x[0-9a-f]+ +\[.*\]
# gdb: ^xmm0 +\{v4_float
# gdb: ^monitor runs ntoy's kernel debugger extensions
# gdb: ^  !address \[VA\|-summary\] +the region around VA
# gdb: ^  !peb \[VA\] +the process environment block
# gdb: ^\[Inferior 1 \(Remote target\) exited normally\]
# stdout: ^Hello from ntoy guest!$
# stderr: ^ntoy: listening for gdb on 127\.0\.0\.1:[0-9]+$
break *$entry
continue
info registers rip
stepi
info registers rip
x/4xb $rip
monitor !pte 0x140001000
info registers
info registers mxcsr
info registers xmm0
monitor help
continue
