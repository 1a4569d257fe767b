/* Where every system thread starts: the kernel starts one at NtoySystemThreadStart to run a
 * driver's DriverEntry (with its DRIVER_OBJECT and registry path) or its unload routine. The
 * thread ends with what the routine returned. */
#include "ntoskrnl_private.h"

typedef ULONG64 (*system_routine)(PVOID a, PVOID b);

__attribute__((noreturn)) void NtoySystemThreadStart(system_routine routine, PVOID a, PVOID b) {
    ULONG64 status = routine(a, b);
    NtoyKsEndSystemThread(status);
    __builtin_unreachable();
}
