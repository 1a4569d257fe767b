/* An exception that cannot be delivered: the stack pointer is 0 when the program faults, so
 * the kernel has nowhere to put the exception frame, and the process ends (issue 8, defect 9:
 * under gdb this once spun forever). */
int start(void) {
    __asm__ volatile("xorl %%esp, %%esp\n ud2" ::: "memory");
    return 0;
}
