/* NtoyKernelTestHook's operations (kernel/ex/KernelTestHook.cpp says what each does). Plain C,
 * shared by the host kernel and guest tests. */
#ifndef NTOY_KERNEL_TEST_HOOK_H
#define NTOY_KERNEL_TEST_HOOK_H

#define NTOY_TEST_POOL_ALLOCATE 1
#define NTOY_TEST_POOL_FREE 2
#define NTOY_TEST_RING0_READ 3
#define NTOY_TEST_RING0_WRITE 4
#define NTOY_TEST_TRIM_SYSTEM 5

#endif
