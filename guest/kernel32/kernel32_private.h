/* What every kernel32 source includes: the types, our exports' prototypes, ntdll's, and the
 * few helpers shared inside the DLL. */
#ifndef NTOY_KERNEL32_PRIVATE_H
#define NTOY_KERNEL32_PRIVATE_H

#include "ntoy/nt_status.h"
#include "ntoy/nt_types.h"
#include "ntoy/ntdll_exports.h"
#include "ntoy/teb.h"
#include "ntoy/win32_error.h"
#include "ordinary_types.h"
#include "win32_types.h"

#include "kernel32_exports.h"
#include "kernel32_ordinary_exports.h"

/* Sets the thread's last error from a failed NTSTATUS (Windows' BaseSetLastNTError). */
static inline void set_last_nt_error(NTSTATUS status) {
    RtlSetLastWin32Error(RtlNtStatusToDosError(status));
}

/* Like Windows, the STD_*_HANDLE constants are accepted where a handle is expected. */
static inline HANDLE translate_std_handle(HANDLE handle) {
    ULONG_PTR value = (ULONG_PTR)handle;
    if (value == STD_INPUT_HANDLE || value == STD_OUTPUT_HANDLE || value == STD_ERROR_HANDLE) {
        return GetStdHandle((DWORD)value);
    }
    return handle;
}

/* Windows' BaseFormatTimeOut: INFINITE is no timeout (NULL); milliseconds become a relative
 * time, negative, in 100 ns units. */
static inline PLARGE_INTEGER format_timeout(PLARGE_INTEGER timeout, DWORD milliseconds) {
    if (milliseconds == INFINITE) {
        return NULL;
    }
    timeout->QuadPart = -(LONGLONG)milliseconds * 10000;
    return timeout;
}

/* The OBJECT_ATTRIBUTES of an unnamed object with ATTRIBUTES' inheritance and security
 * descriptor, or NULL when there are none, as Windows' BaseFormatObjectAttributes. */
static inline POBJECT_ATTRIBUTES format_object_attributes(POBJECT_ATTRIBUTES object,
                                                          const SECURITY_ATTRIBUTES* attributes) {
    if (attributes == NULL) {
        return NULL;
    }
    object->Length = sizeof(*object);
    object->RootDirectory = NULL;
    object->ObjectName = NULL;
    object->Attributes = attributes->bInheritHandle ? OBJ_INHERIT : 0;
    object->SecurityDescriptor = attributes->lpSecurityDescriptor;
    object->SecurityQualityOfService = NULL;
    return object;
}

/* The system's allocation granularity, or 0 when the kernel will not say (system_info.c). */
DWORD ntoy_allocation_granularity(void);

#endif
