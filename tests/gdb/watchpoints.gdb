# Register writes (P), then write and read watchpoints (Z2, Z3) on the stack slot that
# `push rbx` fills and `pop rbx` reads: each is reported once its instruction is done, as on
# x86 hardware, so the write has happened and the pop has loaded rbx. The slot is cleared
# first: the loader has run on this stack before the entry point.
# gdb: ^Breakpoint 1, 0x0*140001000 in start \(\)
# gdb: ^\$1 = 0x1234$
# gdb: ^Hardware watchpoint 2: \*\(long \*\) ?\$slot
# gdb: ^Old value = 0$
# gdb: ^New value = 4660$
# gdb: ^=> 0x[0-9a-f]+ <start\+[0-9]+>:
# gdb: ^Hardware read watchpoint 3: \*\(long \*\) ?\$slot
# gdb: ^Value = 4660$
# gdb: ^\$2 = 0x1234$
# gdb: exited normally
break *$entry
continue
set $slot = $rsp - 16
set *(long *)$slot = 0
set $rbx = 0x1234
p/x $rbx
watch *(long *)$slot
continue
x/i $pc
delete 2
set $rbx = 0
rwatch *(long *)$slot
continue
p/x $rbx
delete
continue
