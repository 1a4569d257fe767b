// The bodies of kernel objects in pool. Every object Windows allocates from pool is allocated
// from ntoy's too, from nonpaged pool with Windows' tag and a realistic size: the block holds
// OBJECT_HEADER_QUOTA_INFO, OBJECT_HEADER and the body (EPROCESS, ETHREAD, KEVENT, ...) at
// Windows' x64 sizes, so that !poolused and SystemPoolTagInformation tell the truth about the
// system. The block is freed when the object dies (ob::Object's destructor).
//
// What lives where: the object's logic and state stay in the host object (ob::Object and its
// subclasses), which is the truth. In guest memory, the OBJECT_HEADER gives the type index
// and the body of a waitable object starts with a DISPATCHER_HEADER (Type, Size, and
// SignalState and an empty WaitListHead as at creation), enough for a debugger to tell what
// a block is; the rest of the body is zero.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "kernel/base/NtStatus.h"
#include "kernel/ex/Pool.h"
#include "kernel/ob/Object.h"

namespace ntoy::ob {

struct BodyShape {
    std::uint32_t tag;
    std::uint32_t bodyBytes;     // the body after the headers (sizeof(KEVENT), ...)
    std::int8_t dispatcherType;  // KOBJECTS, or -1 for an object that is not waitable
};
inline constexpr std::uint32_t kObjectHeadersBytes = 0x50;  // quota info 0x20, OBJECT_HEADER 0x30

// The shape of `type`'s body; empty for a type Windows keeps out of pool.
std::optional<BodyShape> bodyShapeOf(ObjectType type);

// Allocates `object`'s body and attaches it, charged to `quota` if given:
// STATUS_QUOTA_EXCEEDED or STATUS_INSUFFICIENT_RESOURCES if it cannot be had. An object of a
// type without a body needs none.
NtStatus giveBody(ex::Pool& pool, Object& object, const std::shared_ptr<ex::PoolQuota>& quota,
                  std::int32_t signalState = 0);

}  // namespace ntoy::ob
