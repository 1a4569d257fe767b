# An exception that cannot be delivered (RSP is 0): gdb stops with a signal before the
# process ends, and continuing ends it; ntoy never spins (issue 8, defect 9).
# gdb: ^Program received signal SIGILL, Illegal instruction\.
# gdb: ^Program terminated with signal SIGILL, Illegal instruction\.
# stderr: unhandled exception 0xc000001d \(STATUS_ILLEGAL_INSTRUCTION\)
continue
continue
