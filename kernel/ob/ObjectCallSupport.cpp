#include "kernel/ob/ObjectCallSupport.h"

#include "kernel/ke/BugCheck.h"
#include "kernel/ps/Thread.h"

namespace ntoy::ob {
namespace {

struct ObjectAttributes {  // OBJECT_ATTRIBUTES, x64
    std::uint32_t length;
    std::uint32_t pad0;
    std::uint64_t rootDirectory;
    std::uint64_t objectName;  // PUNICODE_STRING
    std::uint32_t attributes;
    std::uint32_t pad1;
    std::uint64_t securityDescriptor;
    std::uint64_t securityQualityOfService;
};
static_assert(sizeof(ObjectAttributes) == 48);

struct UnicodeString {  // UNICODE_STRING, x64
    std::uint16_t length, maximumLength;
    std::uint32_t pad;
    std::uint64_t buffer;
};
static_assert(sizeof(UnicodeString) == 16);

inline constexpr std::uint32_t kObjInherit = 0x2;
inline constexpr std::uint32_t kObjValidAttributes = 0x1FF2;

}  // namespace

CallerObjects callerObjects(const ke::SystemCall& call) {
    return {call.process.weak_from_this().lock(),
            call.thread ? call.thread->weak_from_this().lock() : nullptr};
}

std::expected<std::shared_ptr<Object>, NtStatus> referenceForCaller(const ke::SystemCall& call,
                                                                    std::uint64_t handle,
                                                                    std::optional<ObjectType> type,
                                                                    AccessMask desired) {
    return referenceHandle(call.process.handles(), callerObjects(call), Handle(handle), type,
                           desired);
}

std::expected<std::uint32_t, NtStatus> captureObjectAttributes(ke::SystemCall& call,
                                                               VirtualAddress attributes) {
    if (attributes.value() == 0)
        return 0;
    const auto oa = call.user.read<ObjectAttributes>(attributes);
    if (!oa)
        return std::unexpected(oa.error());
    if (oa->length != sizeof(ObjectAttributes) || (oa->attributes & ~kObjValidAttributes) != 0)
        return std::unexpected(NtStatus::InvalidParameter);
    if (oa->objectName != 0) {
        const auto name = call.user.read<UnicodeString>(VirtualAddress(oa->objectName));
        if (!name)
            return std::unexpected(name.error());
        if (name->length != 0)
            return std::unexpected(NtStatus::ObjectNameInvalid);
    }
    return oa->attributes & kObjInherit ? attribute::kInherit : 0u;
}

NtStatus insertForCaller(ke::SystemCall& call, VirtualAddress out, std::shared_ptr<Object> object,
                         AccessMask granted, std::uint32_t attributes) {
    auto& table = call.process.handles();
    // Protected from closing only once the guest has it: until then it may have to go again.
    const auto handle =
        table.insert(std::move(object), granted, attributes & ~attribute::kProtectClose);
    if (!handle)
        return handle.error();
    if (const NtStatus s = call.user.write(out, handle->value()); s != NtStatus::Success) {
        (void)table.close(*handle);  // nothing half-done: the guest never learnt it
        return s;
    }
    return table.setAttributes(*handle, attributes);
}

std::expected<std::optional<std::int64_t>, NtStatus> captureTimeout(ke::SystemCall& call,
                                                                    VirtualAddress timeout) {
    if (timeout.value() == 0)
        return std::optional<std::int64_t>{};
    const auto value = call.user.read<std::int64_t>(timeout);
    if (!value)
        return std::unexpected(value.error());
    return std::optional<std::int64_t>(*value);
}

ps::Thread& callingThread(const ke::SystemCall& call) {
    NTOY_ASSERT(call.thread != nullptr, ke::BugCheckCode::UnexpectedKernelModeTrap, 0, 0, 0, 0);
    return *call.thread;
}

NtStatus probeQueryBuffers(ke::SystemCall& call, std::uint32_t size) {
    if (static_cast<std::uint32_t>(call.arg(3)) != size)
        return NtStatus::InfoLengthMismatch;
    if (auto s = call.user.probeForWrite(call.pointer(2), size); s != NtStatus::Success)
        return s;
    if (const VirtualAddress returnLength = call.pointer(4); returnLength.value() != 0)
        return call.user.probeForWrite(returnLength, 4);
    return NtStatus::Success;
}

ke::WaitManager& waitsOf(const ke::SystemCall& call) {
    NTOY_ASSERT(call.waits != nullptr, ke::BugCheckCode::UnexpectedKernelModeTrap, 0, 0, 0, 0);
    return *call.waits;
}

}  // namespace ntoy::ob
