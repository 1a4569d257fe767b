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
#include <expected>
#include <memory>
#include <optional>
#include <utility>

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

// A body allocated before its object exists (so that a refusal changes nothing the object's
// making would have): freed unless attached.
class PendingBody {
public:
    PendingBody() = default;
    PendingBody(ex::Pool& pool, VirtualAddress block, ObjectType type)
        : pool_(&pool), block_(block), type_(type) {}
    PendingBody(PendingBody&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), block_(other.block_), type_(other.type_) {}
    PendingBody& operator=(PendingBody&&) = delete;
    ~PendingBody();
    // Gives `object` (of the type reserved for) the body, its headers written.
    void attach(Object& object, std::int32_t signalState = 0);

private:
    ex::Pool* pool_ = nullptr;
    VirtualAddress block_;
    ObjectType type_ = ObjectType::Event;
};

// Allocates a body for an object of `type`, charged to `quota` if given:
// STATUS_QUOTA_EXCEEDED or STATUS_INSUFFICIENT_RESOURCES if it cannot be had. A type without
// a body gets an empty one.
std::expected<PendingBody, NtStatus> reserveBody(ex::Pool& pool, ObjectType type,
                                                 const std::shared_ptr<ex::PoolQuota>& quota);

// Both at once, for an object already made.
NtStatus giveBody(ex::Pool& pool, Object& object, const std::shared_ptr<ex::PoolQuota>& quota,
                  std::int32_t signalState = 0);

}  // namespace ntoy::ob
