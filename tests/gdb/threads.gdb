# thread_stop under gdb: at the breakpoint in rendezvous gdb lists the process's three
# threads (the child process is not gdb's), switches to a waiter, reads its registers and
# stack where they are saved and writes one there, comes back; a step of the waiter is
# refused (only the thread the guest stopped in steps); continuing runs every thread to the
# end.
# gdb: ^\[New Thread 1008\]
# gdb: ^\[New Thread 1012\]
# gdb: ^Thread 1 hit Breakpoint 1, 0x0*140001040 in rendezvous \(\)
# gdb: ^\* 1 +Thread 1004 \(Ready\) +0x0*140001040 in rendezvous \(\)
# gdb: ^  2 +Thread 1008 \(Waiting\) +0x0*18[0-9a-f]+ in NtWaitForSingleObject \(\)
# gdb: ^  3 +Thread 1012 \(Waiting\) +0x0*18[0-9a-f]+ in NtWaitForSingleObject \(\)
# gdb: ^\[Switching to thread 2 \(Thread 1008\)\]
# gdb: ^rip +0x18[0-9a-f]+ +0x18[0-9a-f]+ <NtWaitForSingleObject\+[0-9]+>
# gdb: ^#1 +0x0*1801[0-9a-f]+ in WaitForSingleObjectEx \(\)
# gdb: ^\$1 = 0x4e544f59
# gdb: ^\[Switching to thread 1 \(Thread 1004\)\]
# gdb: ^rip +0x140001040 +0x140001040 <rendezvous>
# gdb: ^\$2 = 0x[0-9a-f]+$
# gdb: ^\[Switching to thread 2 \(Thread 1008\)\]
# gdb: ^\$3 = 0x4e544f59
# gdb: Remote failure reply: E01
# gdb: ^\[Inferior 1 \(Remote target\) exited normally\]
# stdout: ^the waiters touched their pages$
# stderr: ^ntoy: gdb: only thread 1004, where the guest stopped, can step$
break rendezvous
continue
info threads
thread 2
info registers rip
bt 2
set $r11 = 0x4e544f59
p/x $r11
thread 1
info registers rip
p/x $r11
thread 2
p/x $r11
stepi
delete
continue
