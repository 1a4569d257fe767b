# gdb kills the guest: it ends with DBG_TERMINATE_PROCESS (0x40010004), status 4.
# gdb: ^Breakpoint 1, 0x0*140001000 in start \(\)
# gdb: \[Inferior 1 \(Remote target\) killed\]
break *$entry
continue
kill
