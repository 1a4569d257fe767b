/* The system-call table: the one list shared by the host kernel (dispatch by number) and the
 * guest ntdll (one stub per entry). Plain C so that both compilers can read it.
 *
 *   X(number, name, argument count)
 *
 * The guest stub is the x64 NT one: mov r10, rcx; mov eax, number; syscall; ret. Arguments
 * 1-4 arrive in r10, rdx, r8, r9 and the rest on the user stack at rsp+0x28 onwards, as the
 * Windows x64 calling convention leaves them. Numbers are ntoy's own and never reused. */
#ifndef NTOY_SYSCALLS_H
#define NTOY_SYSCALLS_H

#define NTOY_SYSCALLS(X)                     \
    X(0, NtTerminateProcess, 2)              \
    X(1, NtWriteFile, 9)                     \
    X(2, NtAllocateVirtualMemory, 6)         \
    X(3, NtFreeVirtualMemory, 4)             \
    X(4, NtProtectVirtualMemory, 5)          \
    X(5, NtQueryVirtualMemory, 6)            \
    X(6, NtQuerySystemInformation, 4)        \
    X(7, NtContinue, 2)                      \
    X(8, NtRaiseException, 3)                \
    X(9, NtMapImage, 2)                      \
    X(10, NtQueryMappedImages, 4)            \
    X(11, NtUnmapViewOfSection, 2)           \
    X(12, NtClose, 1)                        \
    X(13, NtDuplicateObject, 7)              \
    X(14, NtCreateEvent, 5)                  \
    X(15, NtSetEvent, 2)                     \
    X(16, NtResetEvent, 2)                   \
    X(17, NtPulseEvent, 2)                   \
    X(18, NtQueryEvent, 5)                   \
    X(19, NtCreateMutant, 4)                 \
    X(20, NtReleaseMutant, 2)                \
    X(21, NtQueryMutant, 5)                  \
    X(22, NtCreateSemaphore, 5)              \
    X(23, NtReleaseSemaphore, 3)             \
    X(24, NtQuerySemaphore, 5)               \
    X(25, NtWaitForSingleObject, 3)          \
    X(26, NtWaitForMultipleObjects, 5)       \
    X(27, NtDelayExecution, 2)               \
    X(28, NtYieldExecution, 0)               \
    X(29, NtSignalAndWaitForSingleObject, 4) \
    X(30, NtCreateThreadEx, 11)              \
    X(31, NtTerminateThread, 2)              \
    X(32, NtSuspendThread, 2)                \
    X(33, NtResumeThread, 2)                 \
    X(34, NtGetContextThread, 2)             \
    X(35, NtSetContextThread, 2)             \
    X(36, NtQueryInformationThread, 5)       \
    X(37, NtOpenProcess, 4)                  \
    X(38, NtQueryInformationProcess, 5)      \
    X(39, NtReadVirtualMemory, 5)            \
    X(40, NtWriteVirtualMemory, 5)           \
    X(41, NtCreateProcessFromImage, 4)       \
    X(42, NtQueueApcThread, 5)               \
    X(43, NtTestAlert, 0)                    \
    X(44, NtAlertThread, 1)                  \
    X(45, NtCreateFile, 11)                  \
    X(46, NtOpenFile, 6)                     \
    X(47, NtReadFile, 9)                     \
    X(48, NtQueryInformationFile, 5)         \
    X(49, NtSetInformationFile, 5)           \
    X(50, NtQueryAttributesFile, 2)          \
    X(51, NtQueryFullAttributesFile, 2)      \
    X(52, NtDeleteFile, 1)                   \
    X(53, NtFlushBuffersFile, 2)             \
    X(54, NtQueryVolumeInformationFile, 5)   \
    X(55, NtQueryDirectoryFile, 11)          \
    X(56, NtLockVirtualMemory, 4)            \
    X(57, NtUnlockVirtualMemory, 4)          \
    X(58, NtSetInformationProcess, 4)        \
    X(59, NtoyKernelTestHook, 5)             \
    X(60, NtDeviceIoControlFile, 10)

#endif
