// NtClose and NtDuplicateObject. There are no security descriptors: a duplicate gets at most
// the rights of its source (DUPLICATE_SAME_ACCESS, or a subset asked for), never more.
#include "kernel/ke/SystemCall.h"
#include "kernel/ob/ObjectCallSupport.h"

namespace ntoy::ke {
namespace {

inline constexpr std::uint32_t kDuplicateCloseSource = 0x1;
inline constexpr std::uint32_t kDuplicateSameAccess = 0x2;
inline constexpr std::uint32_t kDuplicateSameAttributes = 0x4;

// A process handle for NtDuplicateObject: only the caller's own process, named by -1, until
// processes are objects (issue 10); then any handle with PROCESS_DUP_HANDLE.
std::expected<ps::Process*, NtStatus> dupProcess(SystemCall& call, std::uint64_t handle) {
    if (ob::Handle(handle) == ob::kCurrentProcess)
        return &call.process;
    auto process = ob::referenceForCaller(call, handle, ob::ObjectType::Process,
                                          ob::access::kProcessDupHandle);
    if (!process)
        return std::unexpected(process.error());
    auto* p = static_cast<ps::Process*>(process->get());
    if (!p->hasAddressSpace())  // ended: no handle table to use
        return std::unexpected(NtStatus::ProcessIsTerminating);
    return p;
}

}  // namespace

NtStatus NtClose(SystemCall& call) {
    // A bad handle is a status, not an exception: ntoy raises none, debugger or not.
    return call.process.handles().close(ob::Handle(call.arg(0)));
}

NtStatus NtDuplicateObject(SystemCall& call) {
    const std::uint64_t sourceProcessHandle = call.arg(0);
    const ob::Handle sourceHandle(call.arg(1));
    const std::uint64_t targetProcessHandle = call.arg(2);
    const VirtualAddress targetHandleOut = call.pointer(3);
    const auto desired = static_cast<ob::AccessMask>(call.arg(4));
    const auto handleAttributes = static_cast<std::uint32_t>(call.arg(5));
    const auto options = static_cast<std::uint32_t>(call.arg(6));

    if (targetHandleOut.value() != 0)
        if (auto s = call.user.probeForWrite(targetHandleOut, 8); s != NtStatus::Success)
            return s;
    const auto source = dupProcess(call, sourceProcessHandle);
    if (!source)
        return source.error();
    ob::HandleTable& sourceTable = (*source)->handles();
    // Pseudo-handles of the source are the caller's own (DuplicateHandle of GetCurrentThread()).
    const auto entry = ob::lookupHandle(sourceTable, ob::callerObjects(call), sourceHandle);
    if (!entry)
        return entry.error();
    // From here the source goes, whatever else happens (DUPLICATE_CLOSE_SOURCE's contract).
    const auto closeSource = [&](NtStatus status) {
        if (options & kDuplicateCloseSource)
            (void)sourceTable.close(sourceHandle);
        return status;
    };

    if (targetProcessHandle == 0)  // no target: the call only closes the source
        return closeSource(NtStatus::Success);
    const auto target = dupProcess(call, targetProcessHandle);
    if (!target)
        return closeSource(target.error());

    const ob::AccessMask granted = (options & kDuplicateSameAccess)
                                       ? entry->granted
                                       : ob::grantedAccess(entry->object->type(), desired);
    if ((granted & ~entry->granted) != 0)
        return closeSource(NtStatus::AccessDenied);
    const std::uint32_t attributes =
        (options & kDuplicateSameAttributes) ? entry->attributes : handleAttributes;
    ob::HandleTable& targetTable = (*target)->handles();
    const auto duplicate =
        targetTable.insert(entry->object, granted, attributes & ~ob::attribute::kProtectClose);
    if (!duplicate)
        return closeSource(duplicate.error());
    if (targetHandleOut.value() != 0) {
        if (auto s = call.user.write(targetHandleOut, duplicate->value()); s != NtStatus::Success) {
            (void)targetTable.close(*duplicate);  // nothing half-done
            return closeSource(s);
        }
    }
    (void)targetTable.setAttributes(*duplicate, attributes);
    return closeSource(NtStatus::Success);
}

}  // namespace ntoy::ke
