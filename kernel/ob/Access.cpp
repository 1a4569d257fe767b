// The generic mappings are the ones Windows' object types report (the GenericMapping of
// ObjectTypeInformation, or `dt nt!_OBJECT_TYPE_INITIALIZER` on a live system).
#include "kernel/ob/Access.h"

namespace ntoy::ob {
namespace {

using namespace access;

constexpr GenericMapping kEventMapping{kStandardRead | kEventQueryState,
                                       kStandardWrite | kEventModifyState,
                                       kStandardExecute | kSynchronize, kEventAllAccess};
constexpr GenericMapping kMutantMapping{kStandardRead | kMutantQueryState, kStandardWrite,
                                        kStandardExecute | kSynchronize, kMutantAllAccess};
constexpr GenericMapping kSemaphoreMapping{kStandardRead | kSemaphoreQueryState,
                                           kStandardWrite | kSemaphoreModifyState,
                                           kStandardExecute | kSynchronize, kSemaphoreAllAccess};
constexpr GenericMapping kProcessMapping{
    kStandardRead | kProcessVmRead | kProcessQueryInformation,
    kStandardWrite | kProcessCreateThread | kProcessVmOperation | kProcessVmWrite |
        kProcessDupHandle | kProcessCreateProcess | kProcessSetQuota | kProcessSetInformation |
        kProcessSuspendResume,
    kStandardExecute | kSynchronize | kProcessQueryLimitedInformation, kProcessAllAccess};
constexpr GenericMapping kThreadMapping{
    kStandardRead | kThreadGetContext | kThreadQueryInformation,
    kStandardWrite | kThreadTerminate | kThreadSuspendResume | kThreadAlert | kThreadSetContext |
        kThreadSetInformation | kThreadSetLimitedInformation,
    kStandardExecute | kSynchronize | kThreadQueryLimitedInformation | kThreadResume,
    kThreadAllAccess};
// Console handles and files are both file objects on Windows.
constexpr GenericMapping kFileMapping{kFileGenericRead, kFileGenericWrite, kFileGenericExecute,
                                      kFileAllAccess};

static_assert(kProcessMapping.read == 0x20410 && kProcessMapping.write == 0x20BEA &&
              kProcessMapping.execute == 0x121000);
static_assert(kThreadMapping.read == 0x20048 && kThreadMapping.write == 0x20437 &&
              kThreadMapping.execute == 0x121800);

}  // namespace

const GenericMapping& genericMapping(ObjectType type) {
    switch (type) {
        case ObjectType::Process:
            return kProcessMapping;
        case ObjectType::Thread:
            return kThreadMapping;
        case ObjectType::Event:
            return kEventMapping;
        case ObjectType::Mutant:
            return kMutantMapping;
        case ObjectType::Semaphore:
            return kSemaphoreMapping;
        case ObjectType::Console:
        case ObjectType::File:
        case ObjectType::DeviceFile:
            return kFileMapping;
    }
    return kFileMapping;  // unreachable: every type is listed
}

AccessMask mapGenericAccess(ObjectType type, AccessMask desired) {
    const GenericMapping& m = genericMapping(type);
    AccessMask mapped = desired & ~(kGenericRead | kGenericWrite | kGenericExecute | kGenericAll);
    if (desired & kGenericRead)
        mapped |= m.read;
    if (desired & kGenericWrite)
        mapped |= m.write;
    if (desired & kGenericExecute)
        mapped |= m.execute;
    if (desired & kGenericAll)
        mapped |= m.all;
    return mapped;
}

AccessMask grantedAccess(ObjectType type, AccessMask desired) {
    const AccessMask all = genericMapping(type).all;
    if (desired & kMaximumAllowed)
        return all;
    return mapGenericAccess(type, desired) & all;
}

}  // namespace ntoy::ob
