# gdb loads the DLLs' symbols by itself (qXfer:libraries): ntdll and kernel32 are listed, in
# load order, at their load addresses, a breakpoint goes on an export by name, and a
# backtrace from inside kernel32 names it and its caller. No add-symbol-file, no manual step.
# gdb: ^0x0*1800[0-9a-f]+ in RtlUserThreadStart \(\) from .*/ntdll\.dll$
# gdb: ^0x0*180001000 +0x[0-9a-f]+ +Yes \(\*\) +.*/ntdll\.dll$
# gdb: ^0x0*180101000 +0x[0-9a-f]+ +Yes \(\*\) +.*/kernel32\.dll$
# gdb: ^Breakpoint 1 at 0x1801[0-9a-f]+$
# gdb: ^Breakpoint 1, 0x0*1801[0-9a-f]+ in VirtualAlloc \(\) from .*/kernel32\.dll$
# gdb: ^VirtualAlloc in section \.text of .*/kernel32\.dll$
# gdb: ^#0 +0x0*1801[0-9a-f]+ in VirtualAlloc \(\) from .*/kernel32\.dll$
# gdb: ^#1 +0x0*1400[0-9a-f]+ in start \(\)$
# gdb: ^\[Inferior 1 \(Remote target\) exited normally\]
# stdout: ^touched 3 pages$
info sharedlibrary
break VirtualAlloc
continue
info symbol $pc
backtrace
delete
continue
