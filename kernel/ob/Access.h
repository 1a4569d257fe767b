// Access rights: each object type's specific rights (winnt.h's values), its generic mapping,
// and the access a new handle is granted. There are no security descriptors in ntoy: a handle
// gets the rights its creator asks for (generic rights mapped, MAXIMUM_ALLOWED meaning all of
// the type's), and every use of a handle checks the rights it needs against them.
#pragma once

#include "kernel/ob/Object.h"

namespace ntoy::ob {

namespace access {
inline constexpr AccessMask kStandardRead = kReadControl;
inline constexpr AccessMask kStandardWrite = kReadControl;
inline constexpr AccessMask kStandardExecute = kReadControl;

inline constexpr AccessMask kEventQueryState = 0x0001;
inline constexpr AccessMask kEventModifyState = 0x0002;
inline constexpr AccessMask kEventAllAccess = 0x1F0003;

inline constexpr AccessMask kMutantQueryState = 0x0001;
inline constexpr AccessMask kMutantAllAccess = 0x1F0001;

inline constexpr AccessMask kSemaphoreQueryState = 0x0001;
inline constexpr AccessMask kSemaphoreModifyState = 0x0002;
inline constexpr AccessMask kSemaphoreAllAccess = 0x1F0003;

inline constexpr AccessMask kProcessTerminate = 0x0001;
inline constexpr AccessMask kProcessCreateThread = 0x0002;
inline constexpr AccessMask kProcessVmOperation = 0x0008;
inline constexpr AccessMask kProcessVmRead = 0x0010;
inline constexpr AccessMask kProcessVmWrite = 0x0020;
inline constexpr AccessMask kProcessDupHandle = 0x0040;
inline constexpr AccessMask kProcessCreateProcess = 0x0080;
inline constexpr AccessMask kProcessSetQuota = 0x0100;
inline constexpr AccessMask kProcessSetInformation = 0x0200;
inline constexpr AccessMask kProcessQueryInformation = 0x0400;
inline constexpr AccessMask kProcessSuspendResume = 0x0800;
inline constexpr AccessMask kProcessQueryLimitedInformation = 0x1000;
inline constexpr AccessMask kProcessAllAccess = 0x1FFFFF;

inline constexpr AccessMask kThreadTerminate = 0x0001;
inline constexpr AccessMask kThreadSuspendResume = 0x0002;
inline constexpr AccessMask kThreadAlert = 0x0004;
inline constexpr AccessMask kThreadGetContext = 0x0008;
inline constexpr AccessMask kThreadSetContext = 0x0010;
inline constexpr AccessMask kThreadSetInformation = 0x0020;
inline constexpr AccessMask kThreadQueryInformation = 0x0040;
inline constexpr AccessMask kThreadSetThreadToken = 0x0080;
inline constexpr AccessMask kThreadImpersonate = 0x0100;
inline constexpr AccessMask kThreadDirectImpersonation = 0x0200;
inline constexpr AccessMask kThreadSetLimitedInformation = 0x0400;
inline constexpr AccessMask kThreadQueryLimitedInformation = 0x0800;
inline constexpr AccessMask kThreadResume = 0x1000;
inline constexpr AccessMask kThreadAllAccess = 0x1FFFFF;

// The console handles are file objects on Windows; they take the file rights.
inline constexpr AccessMask kFileReadData = 0x0001;
inline constexpr AccessMask kFileListDirectory = 0x0001;  // the same bit, on a directory
inline constexpr AccessMask kFileWriteData = 0x0002;
inline constexpr AccessMask kFileAppendData = 0x0004;
inline constexpr AccessMask kFileExecute = 0x0020;
inline constexpr AccessMask kFileReadAttributes = 0x0080;
inline constexpr AccessMask kFileWriteAttributes = 0x0100;
inline constexpr AccessMask kFileGenericRead = 0x120089;
inline constexpr AccessMask kFileGenericWrite = 0x120116;
inline constexpr AccessMask kFileGenericExecute = 0x1200A0;
inline constexpr AccessMask kFileAllAccess = 0x1F01FF;
}  // namespace access

// What GENERIC_READ, GENERIC_WRITE, GENERIC_EXECUTE and GENERIC_ALL mean for a type; `all`
// is also the type's valid access mask.
struct GenericMapping {
    AccessMask read = 0, write = 0, execute = 0, all = 0;
};

const GenericMapping& genericMapping(ObjectType type);

// `desired` with its generic rights replaced by the type's specific ones.
AccessMask mapGenericAccess(ObjectType type, AccessMask desired);

// The access a new handle to an object of `type` is granted for `desired`: generic rights
// mapped, MAXIMUM_ALLOWED meaning every right of the type, and rights the type does not have
// dropped (as ObpCreateHandle masks with the type's valid access mask).
AccessMask grantedAccess(ObjectType type, AccessMask desired);

}  // namespace ntoy::ob
