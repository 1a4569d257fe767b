// The I/O system calls on devices: opening one (NtCreateFile on "\??\Name" or "\Device\Name"),
// reading and writing it, and NtDeviceIoControlFile. Each turns into an IRP the device's
// driver serves in the calling thread's context (Kernel::sendIrp); the call returns when the
// dispatch routine has.
#pragma once

#include <cstdint>

#include "kernel/base/NtStatus.h"
#include "kernel/base/Types.h"
#include "kernel/io/IoManager.h"
#include "kernel/ob/Object.h"

namespace ntoy::ke {
struct SystemCall;
}

namespace ntoy::io {

// The device `path` names, if the kernel has one by that name (and drivers are loaded).
Device* deviceForPath(ke::SystemCall& call, std::u16string_view path);

// IRP_MJ_CREATE; on success the handle goes to *handleOut and FILE_OPENED to the I/O status.
NtStatus openDevice(ke::SystemCall& call, Device& device, VirtualAddress handleOut,
                    ob::AccessMask granted, std::uint32_t handleAttributes,
                    VirtualAddress ioStatus);

// IRP_MJ_READ or IRP_MJ_WRITE, buffered (DO_BUFFERED_IO) or with the user's pointer.
NtStatus deviceTransfer(ke::SystemCall& call, std::shared_ptr<const DeviceFile> file, bool write,
                        std::uint64_t eventHandle, VirtualAddress ioStatus, VirtualAddress buffer,
                        std::uint32_t length, VirtualAddress byteOffset);

}  // namespace ntoy::io
