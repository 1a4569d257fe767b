// The I/O manager's names and open devices: the devices drivers create (\Device\Name), the
// symbolic links that name them for user mode (\??\Name, which CreateFileW("\\.\Name")
// reaches), and the handles user mode holds to them. The device objects themselves, the
// FILE_OBJECTs and the IRPs live in nonpaged pool, in the WDK's layouts (ntoy/ntddk.h); the
// kernel builds and sends the IRPs (KernelIo.cpp).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/base/NtStatus.h"
#include "kernel/base/Types.h"
#include "kernel/ob/Object.h"

namespace ntoy::io {

// WDK layouts: offsets the kernel reads and writes.
namespace wdk {
inline constexpr std::uint64_t kDeviceObjectSize = 0x150;
inline constexpr std::uint64_t kDeviceDriverObject = 0x08, kDeviceNextDevice = 0x10,
                               kDeviceFlags = 0x30, kDeviceExtension = 0x40, kDeviceType = 0x48,
                               kDeviceStackSize = 0x4C;
inline constexpr std::uint64_t kDriverDeviceObject = 0x08, kDriverMajorFunction = 0x70;
inline constexpr std::uint64_t kFileObjectSize = 0xD8, kFileDeviceObject = 0x08;
inline constexpr std::uint64_t kIrpSize = 0xD0, kStackLocationSize = 0x48;
inline constexpr std::uint64_t kIrpMdlAddress = 0x08, kIrpSystemBuffer = 0x18, kIrpIoStatus = 0x30,
                               kIrpRequestorMode = 0x40, kIrpStackCount = 0x42,
                               kIrpCurrentLocation = 0x43, kIrpUserIosb = 0x48,
                               kIrpUserBuffer = 0x70, kIrpThread = 0x98,
                               kIrpCurrentStackLocation = 0xB8, kIrpOriginalFileObject = 0xC0;
inline constexpr std::uint64_t kStackMajor = 0x00, kStackParameters = 0x08,
                               kStackDeviceObject = 0x28, kStackFileObject = 0x30;
inline constexpr std::int16_t kTypeDevice = 3, kTypeFile = 5, kTypeIrp = 6;
inline constexpr std::uint32_t kDoBufferedIo = 0x4, kDoDirectIo = 0x10,
                               kDoDeviceInitializing = 0x80;
inline constexpr std::uint8_t kIrpMjCreate = 0x00, kIrpMjClose = 0x02, kIrpMjRead = 0x03,
                              kIrpMjWrite = 0x04, kIrpMjDeviceControl = 0x0E;
inline constexpr std::uint32_t kDeviceObjectTag = 0x69766544;  // 'Devi'
inline constexpr std::uint32_t kFileObjectTag = 0x656C6946;    // 'File'
inline constexpr std::uint32_t kIrpTag = 0x20707249;           // 'Irp '
inline constexpr std::uint32_t kSystemBufferTag = 0x66754253;  // 'SBuf'
inline constexpr std::uint32_t kMdlTag = 0x206C644D;           // 'Mdl '
// MDL: header, then one PFN per page the range spans.
inline constexpr std::uint64_t kMdlSize = 0x08, kMdlFlags = 0x0A, kMdlProcess = 0x10,
                               kMdlMappedSystemVa = 0x18, kMdlStartVa = 0x20, kMdlByteCount = 0x28,
                               kMdlByteOffset = 0x2C, kMdlHeaderSize = 0x30;
inline constexpr std::uint16_t kMdlMappedToSystemVa = 0x1, kMdlPagesLocked = 0x2,
                               kMdlSourceIsNonPagedPool = 0x4, kMdlAllocatedFixedSize = 0x8,
                               kMdlWriteOperation = 0x80;
}  // namespace wdk

struct Device {
    std::u16string name;          // as created, "\Device\NtoyEcho"
    VirtualAddress object;        // its DEVICE_OBJECT
    VirtualAddress driverObject;  // its driver's DRIVER_OBJECT
    bool exclusive = false;
    std::uint32_t opens = 0;  // FILE_OBJECTs on it not yet closed
    // IoDeleteDevice came while files were open: nameless, freed by the last close.
    bool deleted = false;
};

// An open device: what a user-mode handle from CreateFileW("\\.\Name") holds. Its FILE_OBJECT
// outlives it: when the last reference goes, the driver still has to see IRP_MJ_CLOSE, which
// the kernel sends from a system thread (IoManager::takeCloses), and only then frees it.
struct PendingClose {
    VirtualAddress device, fileObject;
    bool opened = true;  // false: IRP_MJ_CREATE failed, so no close IRP, only the memory
};
using CloseQueue = std::deque<PendingClose>;

class DeviceFile final : public ob::Object {
public:
    static constexpr ob::ObjectType kObjectType = ob::ObjectType::DeviceFile;
    DeviceFile(VirtualAddress device, VirtualAddress fileObject, std::shared_ptr<CloseQueue> closes)
        : ob::Object(kObjectType),
          device_(device),
          fileObject_(fileObject),
          closes_(std::move(closes)) {}
    ~DeviceFile() override { closes_->push_back({device_, fileObject_, opened_}); }
    // IRP_MJ_CREATE failed: the driver must not see a close.
    void abandon() { opened_ = false; }
    VirtualAddress device() const { return device_; }
    VirtualAddress fileObject() const { return fileObject_; }

private:
    VirtualAddress device_, fileObject_;
    std::shared_ptr<CloseQueue> closes_;
    bool opened_ = true;
};

class IoManager {
public:
    // NT names compare without case, as the object manager's do.
    static std::u16string key(std::u16string_view name);

    // IoCreateDevice's bookkeeping: STATUS_OBJECT_NAME_COLLISION for a name taken.
    NtStatus addDevice(Device device);
    void removeDevice(VirtualAddress object);
    // IoDeleteDevice with files still open: the name goes now, the record stays for them.
    void unname(VirtualAddress object);
    Device* device(VirtualAddress object);
    std::vector<const Device*> devicesOf(VirtualAddress driverObject) const;
    // IoCreateSymbolicLink: `link` ("\??\NtoyEcho") names `target` ("\Device\NtoyEcho").
    NtStatus addLink(std::u16string_view link, std::u16string_view target);
    NtStatus removeLink(std::u16string_view link);
    // The device an NT path opens: "\Device\Name", or a link's name; none for anything else
    // (a file path, which the file system opens).
    Device* resolve(std::u16string_view path);

    const std::shared_ptr<CloseQueue>& closes() const { return closes_; }
    const std::map<std::u16string, std::u16string>& links() const { return links_; }

private:
    std::map<std::u16string, Device> devices_;        // by key(name)
    std::map<std::u16string, std::u16string> links_;  // key(link) -> target as given
    std::shared_ptr<CloseQueue> closes_ = std::make_shared<CloseQueue>();
};

}  // namespace ntoy::io
