#include "kernel/ob/ObjectBody.h"

#include <array>
#include <cstring>

namespace ntoy::ob {
namespace {

constexpr std::uint32_t tagOf(const char (&s)[5]) {
    return static_cast<std::uint32_t>(s[0]) | static_cast<std::uint32_t>(s[1]) << 8 |
           static_cast<std::uint32_t>(s[2]) << 16 | static_cast<std::uint32_t>(s[3]) << 24;
}

// KOBJECTS
constexpr std::int8_t kEventNotification = 0, kMutant = 2, kProcess = 3, kSemaphore = 5,
                      kThread = 6;

}  // namespace

std::optional<BodyShape> bodyShapeOf(ObjectType type) {
    switch (type) {
        case ObjectType::Process:
            return BodyShape{tagOf("Proc"), 0x850, kProcess};  // EPROCESS
        case ObjectType::Thread:
            return BodyShape{tagOf("Thre"), 0x810, kThread};  // ETHREAD
        case ObjectType::Event:
            return BodyShape{tagOf("Even"), 0x18, kEventNotification};  // KEVENT
        case ObjectType::Mutant:
            return BodyShape{tagOf("Muta"), 0x38, kMutant};  // KMUTANT
        case ObjectType::Semaphore:
            return BodyShape{tagOf("Sema"), 0x20, kSemaphore};  // KSEMAPHORE
        case ObjectType::File:
            return BodyShape{tagOf("File"), 0xD8, -1};  // FILE_OBJECT
        case ObjectType::Console:
            return std::nullopt;  // a handle to the host's console: no Windows object
        case ObjectType::DeviceFile:
            return std::nullopt;  // its FILE_OBJECT outlives it, until the driver's close
    }
    return std::nullopt;
}

std::expected<PendingBody, NtStatus> reserveBody(ex::Pool& pool, ObjectType type,
                                                 const std::shared_ptr<ex::PoolQuota>& quota) {
    const auto shape = bodyShapeOf(type);
    if (!shape)
        return PendingBody();
    const auto block = pool.allocate(ex::PoolKind::NonPagedNx,
                                     kObjectHeadersBytes + shape->bodyBytes, shape->tag, quota);
    if (!block)
        return std::unexpected(block.error());
    return PendingBody(pool, *block, type);
}

PendingBody::~PendingBody() {
    if (pool_)
        pool_->freeNoThrow(block_, bodyShapeOf(type_)->tag);
}

void PendingBody::attach(Object& object, std::int32_t signalState) {
    if (!pool_)
        return;
    const BodyShape shape = *bodyShapeOf(type_);
    const std::uint32_t bytes = kObjectHeadersBytes + shape.bodyBytes;
    object.attachBody(*std::exchange(pool_, nullptr), block_, shape.tag);
    ex::Pool& pool = *object.bodyPool();
    // OBJECT_HEADER_QUOTA_INFO: the nonpaged charge; OBJECT_HEADER: one pointer, the type
    // index (ntoy's types from 2, as Windows' start past two reserved indexes), InfoMask
    // saying the quota info is there (8).
    std::array<std::byte, kObjectHeadersBytes + 0x18> head{};
    const auto put = [&](std::size_t at, auto value) {
        std::memcpy(head.data() + at, &value, sizeof value);
    };
    put(0x04, bytes);             // NonPagedPoolCharge
    put(0x20, std::uint64_t{1});  // PointerCount
    put(0x38, static_cast<std::uint8_t>(static_cast<int>(object.type()) + 2));  // TypeIndex
    put(0x3A, std::uint8_t{8});                                                 // InfoMask
    if (shape.dispatcherType >= 0) {
        const std::uint64_t body = block_.value() + kObjectHeadersBytes;
        put(0x50, static_cast<std::uint8_t>(shape.dispatcherType));  // Type
        put(0x52, static_cast<std::uint8_t>(shape.bodyBytes / 4));   // Size, in dwords
        put(0x54, signalState);                                      // SignalState
        put(0x58, body + 8);                                         // WaitListHead.Flink
        put(0x60, body + 8);                                         // WaitListHead.Blink
    }
    const std::size_t written = shape.dispatcherType >= 0 ? head.size() : kObjectHeadersBytes;
    pool.write(block_, std::span(head).first(written));
}

NtStatus giveBody(ex::Pool& pool, Object& object, const std::shared_ptr<ex::PoolQuota>& quota,
                  std::int32_t signalState) {
    auto body = reserveBody(pool, object.type(), quota);
    if (!body)
        return body.error();
    body->attach(object, signalState);
    return NtStatus::Success;
}

}  // namespace ntoy::ob
