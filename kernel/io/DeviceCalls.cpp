#include "kernel/io/DeviceCalls.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <vector>

#include "kernel/Kernel.h"
#include "kernel/io/FileSupport.h"
#include "kernel/ke/Event.h"
#include "kernel/ke/SystemCall.h"
#include "kernel/ob/ObjectCallSupport.h"

namespace ntoy::io {
namespace {

constexpr std::uint64_t kFileOpened = 1;  // FILE_OPENED, the Information of a create

bool isError(NtStatus s) {
    return (raw(s) >> 30) == 3;
}

// What finishing any request does last: the I/O status block (unless the request failed
// with an error, as Windows leaves it then) and the event.
struct Completion {
    ps::Process* process;
    VirtualAddress ioStatus;
    std::shared_ptr<ke::Event> event;
    ke::WaitManager* waits;

    void operator()(NtStatus status, std::uint64_t information) const {
        if (!isError(status))
            (void)mm::UserMemory(process->space())
                .write(ioStatus, IoStatusBlock{raw(status), information});
        if (event && waits)
            (void)event->set(*waits);
    }
};

// A buffer of nonpaged pool for a buffered request, freed with the request.
struct SystemBuffer {
    ex::Pool* pool = nullptr;
    VirtualAddress va;
    void release() {
        if (pool && va.value() != 0)
            pool->free(va, wdk::kSystemBufferTag);
        va = VirtualAddress();
    }
};

std::expected<SystemBuffer, NtStatus> systemBuffer(Kernel& kernel, std::uint64_t bytes) {
    if (bytes == 0)
        return SystemBuffer{&kernel.pool(), VirtualAddress()};
    const auto block =
        kernel.pool().allocate(ex::PoolKind::NonPagedNx, bytes, wdk::kSystemBufferTag, {}, true);
    if (!block)
        return std::unexpected(NtStatus::InsufficientResources);
    return SystemBuffer{&kernel.pool(), *block};
}

// A buffered request's output: `bytes` of the system buffer back to the user's buffer; an
// access violation if the user's buffer is gone.
NtStatus copyOut(Kernel& kernel, const SystemBuffer& from, ps::Process& process, VirtualAddress to,
                 std::uint64_t bytes) {
    if (bytes == 0 || from.va.value() == 0)
        return NtStatus::Success;
    std::vector<std::byte> data(bytes);
    kernel.readSystemMemory(from.va, data);
    return mm::UserMemory(process.space()).write(to, std::span<const std::byte>(data)) ==
                   NtStatus::Success
               ? NtStatus::Success
               : NtStatus::AccessViolation;
}

// How a read, write or IOCTL finishes once its dispatch routine has returned: Information
// clipped to `limit` (if given), that much of the system buffer copied back to `to` when
// `copyBack` and the request did not fail, the system buffer freed, then the I/O status
// block and the event (a direct request's MDL goes with its IRP: Kernel::freeIrp). The
// request holds the open file, as an IRP does on Windows: a
// close while it is in the driver waits for it.
std::function<NtStatus(NtStatus, std::uint64_t)> finishing(Kernel& kernel, SystemBuffer sysbuf,
                                                           Completion complete,
                                                           std::shared_ptr<const DeviceFile> file,
                                                           VirtualAddress to,
                                                           std::optional<std::uint64_t> limit,
                                                           bool copyBack) {
    return [&kernel, sysbuf, complete, file = std::move(file), to, limit, copyBack](
               NtStatus status, std::uint64_t information) mutable {
        if (limit)
            information = std::min(information, *limit);
        if (copyBack && !isError(status))
            if (const NtStatus s = copyOut(kernel, sysbuf, *complete.process, to, information);
                s != NtStatus::Success)
                status = s;
        sysbuf.release();
        complete(status, information);
        return status;
    };
}

// Moves `bytes` between user memory and a system buffer, through a host copy.
NtStatus copyIn(ke::SystemCall& call, Kernel& kernel, VirtualAddress from, VirtualAddress to,
                std::uint64_t bytes) {
    std::vector<std::byte> data(bytes);
    if (const NtStatus s = call.user.read(from, std::span<std::byte>(data)); s != NtStatus::Success)
        return s;
    kernel.writeSystemMemory(to, data);
    return NtStatus::Success;
}

// A buffered request's input: a system buffer of `size` bytes holding the `length` bytes at
// `from` (probed for reading first); freed again if the copy fails.
std::expected<SystemBuffer, NtStatus> bufferedInput(ke::SystemCall& call, Kernel& kernel,
                                                    VirtualAddress from, std::uint32_t length,
                                                    std::uint64_t size) {
    if (auto s = call.user.probeForRead(from, length); s != NtStatus::Success)
        return std::unexpected(s);
    auto made = systemBuffer(kernel, size);
    if (!made || length == 0)
        return made;
    if (const NtStatus s = copyIn(call, kernel, from, made->va, length); s != NtStatus::Success) {
        made->release();
        return std::unexpected(s);
    }
    return made;
}

}  // namespace

Device* deviceForPath(ke::SystemCall& call, std::u16string_view path) {
    if (!call.kernel)
        return nullptr;
    return call.kernel->ioManager().resolve(path);
}

NtStatus openDevice(ke::SystemCall& call, Device& device, VirtualAddress handleOut,
                    ob::AccessMask granted, std::uint32_t handleAttributes,
                    VirtualAddress ioStatus) {
    Kernel& kernel = *call.kernel;
    if (auto s = call.user.probeForWrite(handleOut, 8); s != NtStatus::Success)
        return s;
    if (auto s = call.user.probeForWrite(ioStatus, sizeof(IoStatusBlock)); s != NtStatus::Success)
        return s;
    if (device.exclusive && device.opens != 0)
        return NtStatus::AccessDenied;
    const auto fileObject = kernel.pool().allocate(ex::PoolKind::NonPagedNx, wdk::kFileObjectSize,
                                                   wdk::kFileObjectTag, {}, true);
    if (!fileObject)
        return NtStatus::InsufficientResources;
    kernel.writeSystemMemory(*fileObject, std::as_bytes(std::span(&wdk::kTypeFile, 1)));
    const auto size = static_cast<std::uint16_t>(wdk::kFileObjectSize);
    kernel.writeSystemMemory(*fileObject + 2, std::as_bytes(std::span(&size, 1)));
    const std::uint64_t deviceObject = device.object.value();
    kernel.writeSystemMemory(*fileObject + wdk::kFileDeviceObject,
                             std::as_bytes(std::span(&deviceObject, 1)));
    ++device.opens;
    auto file =
        std::make_shared<DeviceFile>(device.object, *fileObject, kernel.ioManager().closes());
    Kernel::IrpRequest request;
    request.major = wdk::kIrpMjCreate;
    request.device = device.object;
    request.fileObject = *fileObject;
    request.finish = [file, process = &call.process, handleOut, ioStatus, granted,
                      handleAttributes](NtStatus status, std::uint64_t) mutable {
        // A failed open: the driver never saw the file open, so it sees no close either.
        if (isError(status) || status == NtStatus::Pending) {
            file->abandon();
            return isError(status) ? status : NtStatus::InvalidDeviceRequest;
        }
        auto& table = process->handles();
        const auto handle = table.insert(file, granted, handleAttributes);
        if (!handle)
            return handle.error();
        mm::UserMemory user(process->space());
        if (const NtStatus s = user.write(handleOut, handle->value()); s != NtStatus::Success) {
            (void)table.close(*handle);
            return s;
        }
        (void)user.write(ioStatus, IoStatusBlock{raw(status), kFileOpened});
        return status;
    };
    return kernel.sendIrp(call, std::move(request));
}

NtStatus deviceTransfer(ke::SystemCall& call, std::shared_ptr<const DeviceFile> file, bool write,
                        std::uint64_t eventHandle, VirtualAddress ioStatus, VirtualAddress buffer,
                        std::uint32_t length, VirtualAddress byteOffset) {
    Kernel& kernel = *call.kernel;
    if (auto s = call.user.probeForWrite(ioStatus, sizeof(IoStatusBlock)); s != NtStatus::Success)
        return s;
    std::int64_t offset = 0;
    if (byteOffset.value() != 0) {
        const auto o = call.user.read<std::int64_t>(byteOffset);
        if (!o)
            return o.error();
        offset = *o;
    }
    auto event = completionEvent(call, eventHandle);
    if (!event)
        return event.error();
    const auto flags = kernel.readSystemValue<std::uint32_t>(file->device() + wdk::kDeviceFlags);
    const bool buffered = (flags & wdk::kDoBufferedIo) != 0;
    const bool direct = !buffered && (flags & wdk::kDoDirectIo) != 0;
    Kernel::IrpRequest request;
    request.major = write ? wdk::kIrpMjWrite : wdk::kIrpMjRead;
    request.device = file->device();
    request.fileObject = file->fileObject();
    request.parameters = {length, 0, static_cast<std::uint64_t>(offset), 0};
    SystemBuffer sysbuf;
    if (direct) {
        // The user's buffer itself, locked for the device to read (a write) or fill (a read).
        if (length != 0) {
            auto mdl = kernel.lockUserBuffer(*call.thread, buffer, length, !write);
            if (!mdl)
                return mdl.error();
            request.mdl = *mdl;
        }
    } else if (buffered) {
        if (auto s = write ? call.user.probeForRead(buffer, length)
                           : call.user.probeForWrite(buffer, length);
            s != NtStatus::Success)
            return s;
        auto made = systemBuffer(kernel, length);
        if (!made)
            return made.error();
        sysbuf = *made;
        if (write)
            if (const NtStatus s = copyIn(call, kernel, buffer, sysbuf.va, length);
                s != NtStatus::Success) {
                sysbuf.release();
                return s;
            }
        request.systemBuffer = sysbuf.va;
    } else {
        request.userBuffer = buffer;  // the driver's to probe
    }
    request.finish =
        finishing(kernel, sysbuf, Completion{&call.process, ioStatus, *event, call.waits},
                  std::move(file), buffer, length, buffered && !write);
    return kernel.sendIrp(call, std::move(request));
}

}  // namespace ntoy::io

namespace ntoy::ke {

NtStatus NtDeviceIoControlFile(SystemCall& call) {
    const std::uint64_t handle = call.arg(0), eventHandle = call.arg(1);
    const VirtualAddress ioStatus = call.pointer(4);
    const auto code = static_cast<std::uint32_t>(call.arg(5));
    const VirtualAddress input = call.pointer(6), output = call.pointer(8);
    const auto inputLength = static_cast<std::uint32_t>(call.arg(7));
    const auto outputLength = static_cast<std::uint32_t>(call.arg(9));
    if (call.arg(2) != 0)  // an APC routine: no asynchronous I/O here
        return NtStatus::InvalidParameter;
    if (!call.kernel)
        return NtStatus::ObjectTypeMismatch;
    Kernel& kernel = *call.kernel;
    // The control code says what the handle must allow (FILE_READ_ACCESS, FILE_WRITE_ACCESS).
    const std::uint32_t required = (code >> 14) & 3;
    const ob::AccessMask desired = ((required & 1) ? ob::access::kFileReadData : 0) |
                                   ((required & 2) ? ob::access::kFileWriteData : 0);
    auto reference = ob::referenceForCaller(call, handle, std::nullopt, desired);
    if (!reference)
        return reference.error();
    if ((*reference)->type() != ob::ObjectType::DeviceFile)
        return (*reference)->type() == ob::ObjectType::File ? NtStatus::InvalidDeviceRequest
                                                            : NtStatus::ObjectTypeMismatch;
    const auto file = std::static_pointer_cast<const io::DeviceFile>(*reference);
    if (auto s = call.user.probeForWrite(ioStatus, sizeof(io::IoStatusBlock));
        s != NtStatus::Success)
        return s;
    auto event = io::completionEvent(call, eventHandle);
    if (!event)
        return event.error();

    constexpr std::uint32_t kMethodBuffered = 0, kMethodNeither = 3;
    const std::uint32_t method = code & 3;
    Kernel::IrpRequest request;
    request.major = io::wdk::kIrpMjDeviceControl;
    request.device = file->device();
    request.fileObject = file->fileObject();
    request.parameters = {outputLength, inputLength, code,
                          method == kMethodNeither ? input.value() : 0};
    io::SystemBuffer sysbuf;
    if (method == kMethodBuffered) {
        // One buffer for both ways, as large as the larger: the input copied in, the output
        // copied back (as much as the driver says it wrote).
        if (auto s = call.user.probeForWrite(output, outputLength); s != NtStatus::Success)
            return s;
        auto made = io::bufferedInput(call, kernel, input, inputLength,
                                      std::max(inputLength, outputLength));
        if (!made)
            return made.error();
        sysbuf = *made;
        request.systemBuffer = sysbuf.va;
        request.userBuffer = output;
    } else if (method == kMethodNeither) {
        request.userBuffer = output;  // raw user pointers: the driver's to probe
    } else {
        // METHOD_IN_DIRECT and METHOD_OUT_DIRECT: the input buffered as above, the output
        // buffer locked in place (for the device to read, or to fill) and described by the
        // IRP's MDL.
        auto made = io::bufferedInput(call, kernel, input, inputLength, inputLength);
        if (!made)
            return made.error();
        sysbuf = *made;
        request.systemBuffer = sysbuf.va;
        if (outputLength != 0) {
            constexpr std::uint32_t kMethodOutDirect = 2;
            auto mdl = kernel.lockUserBuffer(*call.thread, output, outputLength,
                                             method == kMethodOutDirect);
            if (!mdl) {
                sysbuf.release();
                return mdl.error();
            }
            request.mdl = *mdl;
        }
    }
    const bool buffered = method == kMethodBuffered;
    request.finish = io::finishing(
        kernel, sysbuf, io::Completion{&call.process, ioStatus, *event, call.waits}, file, output,
        buffered ? std::optional<std::uint64_t>(outputLength) : std::nullopt, buffered);
    return kernel.sendIrp(call, std::move(request));
}

}  // namespace ntoy::ke
