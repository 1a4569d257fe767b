// What the object and wait calls share: the caller's objects for pseudo-handles, the capture
// of OBJECT_ATTRIBUTES, a new handle handed back through a user pointer (or nothing at all),
// and the capture of an NT timeout.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>

#include "kernel/ke/SystemCall.h"
#include "kernel/ob/HandleTable.h"

namespace ntoy::ob {

// The calling process and thread, for -1 and -2.
CallerObjects callerObjects(const ke::SystemCall& call);

// HandleTable::reference through the pseudo-handles, in the caller's table.
std::expected<std::shared_ptr<Object>, NtStatus> referenceForCaller(const ke::SystemCall& call,
                                                                    std::uint64_t handle,
                                                                    std::optional<ObjectType> type,
                                                                    AccessMask desired);
template <typename T>
std::expected<std::shared_ptr<T>, NtStatus> referenceForCaller(const ke::SystemCall& call,
                                                               std::uint64_t handle,
                                                               AccessMask desired) {
    auto object = referenceForCaller(call, handle, T::kObjectType, desired);
    if (!object)
        return std::unexpected(object.error());
    return std::static_pointer_cast<T>(std::move(*object));
}

// OBJECT_ATTRIBUTES (x64), as a create call takes it: NULL is an unnamed object with no
// attributes. A structure whose Length is not 48 or with attributes outside
// OBJ_VALID_ATTRIBUTES is STATUS_INVALID_PARAMETER; a name (a non-empty ObjectName) is
// STATUS_OBJECT_NAME_INVALID, as ntoy has no object namespace; an unreadable structure or name
// is STATUS_ACCESS_VIOLATION. Returns the handle attributes the new handle gets (OBJ_INHERIT).
// The security descriptor is not read: ntoy has no security model.
std::expected<std::uint32_t, NtStatus> captureObjectAttributes(ke::SystemCall& call,
                                                               VirtualAddress attributes);

// Puts `object` in the caller's table with `granted` access and `attributes`, and writes the
// handle to `out` (already probed); if the write fails after all, the handle goes again and
// the call fails with the write's status.
NtStatus insertForCaller(ke::SystemCall& call, VirtualAddress out, std::shared_ptr<Object> object,
                         AccessMask granted, std::uint32_t attributes);

// A query call's buffers (NtQueryInformationProcess/Thread, NtQueryEvent and the like: the
// buffer at argument 2, its length at 3, an optional ReturnLength at 4), in Windows' order:
// STATUS_INFO_LENGTH_MISMATCH unless the length is `size`, then both probed for writing.
NtStatus probeQueryBuffers(ke::SystemCall& call, std::uint32_t size);

// An optional PLARGE_INTEGER timeout: NULL is none (wait forever).
std::expected<std::optional<std::int64_t>, NtStatus> captureTimeout(ke::SystemCall& call,
                                                                    VirtualAddress timeout);

// The caller's thread and the waits, which the kernel always supplies.
ps::Thread& callingThread(const ke::SystemCall& call);
ke::WaitManager& waitsOf(const ke::SystemCall& call);

// A BOOLEAN argument: its low byte.
constexpr bool booleanArgument(std::uint64_t value) {
    return (value & 0xFF) != 0;
}

}  // namespace ntoy::ob
