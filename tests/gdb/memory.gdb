# Memory writes with X (binary: the bytes "#$}*" need escaping) and with M, reads and
# writes of memory that is not there, a register the kernel owns, and an exit code.
# gdb: ^0x10:\s+Cannot access memory at address 0x10
# gdb: ^0x[0-9a-f]+:\s+0x23\s+0x24\s+0x7d\s+0x2a$
# gdb: ^0x[0-9a-f]+:\s+0x07\s+0x24
# gdb: Cannot access memory at address 0x10
# gdb: Could not write register "cs"; remote failure reply 'E01'
# gdb: ^\[Inferior 1 \(Remote target\) exited with code 052\]
# stderr: cannot write cs: the kernel owns the segment selectors
x/4xb 0x10
set {unsigned int}($rsp - 0x100) = 0x2a7d2423
x/4xb $rsp - 0x100
set remote binary-download-packet off
set *(char *)($rsp - 0x100) = 7
x/2xb $rsp - 0x100
set *(char *)0x10 = 1
set $cs = 0
continue
