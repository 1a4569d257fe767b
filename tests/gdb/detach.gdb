# gdb lets go: the guest runs to its end without it.
# gdb: ^Breakpoint 1, 0x0*140001000 in start \(\)
# gdb: ^\[Inferior 1 \(Remote target\) detached\]
# stdout: ^Hello from ntoy guest!$
break *$entry
continue
detach
