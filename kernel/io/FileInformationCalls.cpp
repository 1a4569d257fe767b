// NtQueryInformationFile, NtSetInformationFile, NtQueryVolumeInformationFile and
// NtFlushBuffersFile. The classes are the ones ordinary programs reach through kernel32:
// basic, standard, internal, access, position, network-open (query); position, end of file
// and disposition (set); the device information that GetFileType and GetConsoleMode read,
// and the volume, attribute and full-size information of the host file system under C:
// (volume). Any other class is STATUS_INVALID_INFO_CLASS. A console handle answers only
// FileAccessInformation and the device information; other classes are
// STATUS_INVALID_DEVICE_REQUEST, as the console driver does not take them.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kernel/io/Console.h"
#include "kernel/io/File.h"
#include "kernel/io/FileRoot.h"
#include "kernel/io/FileSupport.h"
#include "kernel/ke/SystemCall.h"
#include "kernel/ob/Access.h"
#include "kernel/ob/ObjectCallSupport.h"

namespace ntoy::ke {

using io::Console;
using io::File;
namespace access = ob::access;

namespace {

struct IoStatusBlock {
    std::uint64_t status;
    std::uint64_t information;
};

// FILE_INFORMATION_CLASS
enum : std::uint32_t {
    kFileBasicInformation = 4,
    kFileStandardInformation = 5,
    kFileInternalInformation = 6,
    kFileAccessInformation = 8,
    kFileDispositionInformation = 13,
    kFilePositionInformation = 14,
    kFileEndOfFileInformation = 20,
    kFileNetworkOpenInformation = 34,
};
// FS_INFORMATION_CLASS
constexpr std::uint32_t kFileFsVolumeInformation = 1;
constexpr std::uint32_t kFileFsDeviceInformation = 4;
constexpr std::uint32_t kFileFsAttributeInformation = 5;
constexpr std::uint32_t kFileFsFullSizeInformation = 7;

struct Target {
    ob::HandleEntry entry;
    Console* console = nullptr;
    File* file = nullptr;
};

std::expected<Target, NtStatus> fileOrConsole(SystemCall& call, std::uint64_t handle) {
    auto entry =
        ob::lookupHandle(call.process.handles(), ob::callerObjects(call), ob::Handle(handle));
    if (!entry)
        return std::unexpected(entry.error());
    Target t{*entry};
    if (entry->object->type() == ob::ObjectType::Console)
        t.console = static_cast<Console*>(entry->object.get());
    else if (entry->object->type() == ob::ObjectType::File)
        t.file = static_cast<File*>(entry->object.get());
    else
        return std::unexpected(NtStatus::ObjectTypeMismatch);
    return t;
}

// The buffers of a query or set call: the status block at argument 1, the buffer at 2 of the
// length at 3, at least `size` bytes.
NtStatus probeBuffers(SystemCall& call, std::uint32_t size, bool forWrite) {
    if (static_cast<std::uint32_t>(call.arg(3)) < size)
        return NtStatus::InfoLengthMismatch;
    if (auto s = call.user.probeForWrite(call.pointer(1), sizeof(IoStatusBlock));
        s != NtStatus::Success)
        return s;
    return forWrite ? call.user.probeForWrite(call.pointer(2), size)
                    : call.user.probeForRead(call.pointer(2), size);
}

std::uint32_t querySize(std::uint32_t infoClass) {
    switch (infoClass) {
        case kFileBasicInformation:
            return sizeof(io::FileBasicInformation);
        case kFileStandardInformation:
            return sizeof(io::FileStandardInformation);
        case kFileAccessInformation:
            return 4;
        case kFileInternalInformation:
            return 8;
        case kFilePositionInformation:
            return 8;
        case kFileNetworkOpenInformation:
            return sizeof(io::FileNetworkOpenInformation);
        default:
            return 0;
    }
}

template <typename T>
NtStatus finish(SystemCall& call, const T& value) {
    if (auto s = call.user.write(call.pointer(2), value); s != NtStatus::Success)
        return s;
    (void)call.user.write(call.pointer(1), IoStatusBlock{raw(NtStatus::Success), sizeof(T)});
    return NtStatus::Success;
}

// Whether a directory has anything but "." and "..".
std::expected<bool, NtStatus> directoryIsEmpty(const File& file) {
    const int fd = ::openat(file.fd(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return std::unexpected(io::FileRoot::statusForErrno(errno));
    DIR* dir = ::fdopendir(fd);
    if (dir == nullptr) {
        ::close(fd);
        return std::unexpected(io::FileRoot::statusForErrno(errno));
    }
    bool empty = true;
    while (const dirent* e = ::readdir(dir)) {
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
            empty = false;
            break;
        }
    }
    ::closedir(dir);
    return empty;
}

}  // namespace

NtStatus NtQueryInformationFile(SystemCall& call) {
    const auto infoClass = static_cast<std::uint32_t>(call.arg(4));
    const std::uint32_t size = querySize(infoClass);
    if (size == 0)
        return NtStatus::InvalidInfoClass;
    if (auto s = probeBuffers(call, size, true); s != NtStatus::Success)
        return s;
    auto target = fileOrConsole(call, call.arg(0));
    if (!target)
        return target.error();
    if (infoClass == kFileAccessInformation)
        return finish(call, std::uint32_t{target->entry.granted});
    if (target->console != nullptr)
        return NtStatus::InvalidDeviceRequest;
    File& file = *target->file;
    if ((infoClass == kFileBasicInformation || infoClass == kFileNetworkOpenInformation) &&
        !(target->entry.granted & access::kFileReadAttributes))
        return NtStatus::AccessDenied;
    if (infoClass == kFilePositionInformation)
        return finish(call, file.position);
    if (infoClass == kFileInternalInformation) {
        // The host's inode number: unique on the volume, as the NTFS file reference is.
        struct stat host {};
        if (::fstat(file.fd(), &host) != 0)
            return io::FileRoot::statusForErrno(errno);
        return finish(call, static_cast<std::uint64_t>(host.st_ino));
    }
    auto view = io::viewOf(file.fd());
    if (!view)
        return view.error();
    switch (infoClass) {
        case kFileBasicInformation:
            return finish(call, view->basic);
        case kFileStandardInformation: {
            io::FileStandardInformation info{};
            info.allocationSize = view->allocationSize;
            info.endOfFile = view->endOfFile;
            // A name whose removal is pending no longer counts as a link, as on Windows.
            info.numberOfLinks = view->links - (file.deletePending && view->links > 0 ? 1 : 0);
            info.deletePending = file.deletePending ? 1 : 0;
            info.directory = view->directory ? 1 : 0;
            return finish(call, info);
        }
        default: {
            io::FileNetworkOpenInformation info{};
            info.creationTime = view->basic.creationTime;
            info.lastAccessTime = view->basic.lastAccessTime;
            info.lastWriteTime = view->basic.lastWriteTime;
            info.changeTime = view->basic.changeTime;
            info.allocationSize = view->allocationSize;
            info.endOfFile = view->endOfFile;
            info.fileAttributes = view->basic.fileAttributes;
            return finish(call, info);
        }
    }
}

NtStatus NtSetInformationFile(SystemCall& call) {
    const auto infoClass = static_cast<std::uint32_t>(call.arg(4));
    std::uint32_t size = 0;
    ob::AccessMask needed = 0;
    switch (infoClass) {
        case kFilePositionInformation:
            size = 8;
            break;
        case kFileEndOfFileInformation:
            size = 8;
            needed = access::kFileWriteData;
            break;
        case kFileDispositionInformation:
            size = 1;
            needed = access::kDelete;
            break;
        default:
            return NtStatus::InvalidInfoClass;
    }
    if (auto s = probeBuffers(call, size, false); s != NtStatus::Success)
        return s;
    auto target = fileOrConsole(call, call.arg(0));
    if (!target)
        return target.error();
    if ((target->entry.granted & needed) != needed)
        return NtStatus::AccessDenied;
    if (target->console != nullptr)
        return NtStatus::InvalidDeviceRequest;
    File& file = *target->file;
    NtStatus status = NtStatus::Success;
    if (infoClass == kFileDispositionInformation) {
        const auto remove = call.user.read<std::uint8_t>(call.pointer(2));
        if (!remove)
            return remove.error();
        if (*remove != 0) {
            if (file.isRoot())
                return NtStatus::CannotDelete;
            if (file.directory()) {
                auto empty = directoryIsEmpty(file);
                if (!empty)
                    return empty.error();
                if (!*empty)
                    return NtStatus::DirectoryNotEmpty;
            } else if (auto view = io::viewOf(file.fd());
                       view && (view->basic.fileAttributes & io::kAttributeReadOnly)) {
                return NtStatus::CannotDelete;  // FILE_ATTRIBUTE_READONLY
            }
        }
        file.deletePending = *remove != 0;
    } else {
        const auto value = call.user.read<std::int64_t>(call.pointer(2));
        if (!value)
            return value.error();
        if (*value < 0)
            return NtStatus::InvalidParameter;
        if (infoClass == kFilePositionInformation) {
            file.position = static_cast<std::uint64_t>(*value);
        } else {
            if (file.directory())
                return NtStatus::InvalidParameter;
            if (::ftruncate(file.fd(), *value) != 0)
                status = io::FileRoot::statusForErrno(errno);
        }
    }
    if (status == NtStatus::Success)
        (void)call.user.write(call.pointer(1), IoStatusBlock{raw(status), 0});
    return status;
}

namespace {

// The volume classes of a file on drive C: describe the host file system it lives on: its
// size from fstatvfs, its serial number from the host's file-system id; the label is empty
// and the file system reports itself as NTFS, which the names and attributes follow.
NtStatus queryVolume(SystemCall& call, std::uint32_t infoClass, const File& file) {
    struct statvfs host {};
    if (::fstatvfs(file.fd(), &host) != 0)
        return io::FileRoot::statusForErrno(errno);
    if (infoClass == kFileFsFullSizeInformation) {
        struct FullSize {
            std::uint64_t total;
            std::uint64_t callerAvailable;
            std::uint64_t actualAvailable;
            std::uint32_t sectorsPerUnit;
            std::uint32_t bytesPerSector;
        };
        if (auto s = probeBuffers(call, sizeof(FullSize), true); s != NtStatus::Success)
            return s;
        const std::uint64_t unit = host.f_frsize != 0 ? host.f_frsize : host.f_bsize;
        const auto sectors = static_cast<std::uint32_t>(unit >= 512 ? unit / 512 : 1);
        return finish(call, FullSize{host.f_blocks, host.f_bavail, host.f_bfree, sectors, 512});
    }
    if (infoClass == kFileFsVolumeInformation) {
        struct Volume {
            std::uint64_t creationTime;
            std::uint32_t serialNumber;
            std::uint32_t labelLength;
            std::uint8_t supportsObjects;
            std::uint8_t pad[7];
        };
        if (auto s = probeBuffers(call, sizeof(Volume), true); s != NtStatus::Success)
            return s;
        const auto serial = static_cast<std::uint32_t>(
            host.f_fsid ^ (static_cast<std::uint64_t>(host.f_fsid) >> 32));
        return finish(call, Volume{0, serial, 0, 0, {}});
    }
    // FileFsAttributeInformation: attributes, longest name component, then the name.
    constexpr std::uint32_t kCasePreservedNames = 0x2;
    constexpr std::uint32_t kUnicodeOnDisk = 0x4;
    struct Attribute {
        std::uint32_t attributes;
        std::int32_t maximumComponentLength;
        std::uint32_t nameLength;
        char16_t name[4];
    };
    if (auto s = probeBuffers(call, sizeof(Attribute), true); s != NtStatus::Success)
        return s;
    return finish(call, Attribute{kCasePreservedNames | kUnicodeOnDisk,
                                  static_cast<std::int32_t>(host.f_namemax),
                                  8,
                                  {u'N', u'T', u'F', u'S'}});
}

}  // namespace

NtStatus NtQueryVolumeInformationFile(SystemCall& call) {
    const auto infoClass = static_cast<std::uint32_t>(call.arg(4));
    if (infoClass == kFileFsVolumeInformation || infoClass == kFileFsAttributeInformation ||
        infoClass == kFileFsFullSizeInformation) {
        auto target = fileOrConsole(call, call.arg(0));
        if (!target)
            return target.error();
        if (target->console != nullptr)
            return NtStatus::InvalidDeviceRequest;
        return queryVolume(call, infoClass, *target->file);
    }
    if (infoClass != kFileFsDeviceInformation)
        return NtStatus::InvalidInfoClass;
    struct DeviceInformation {
        std::uint32_t deviceType;
        std::uint32_t characteristics;
    };
    if (auto s = probeBuffers(call, sizeof(DeviceInformation), true); s != NtStatus::Success)
        return s;
    auto target = fileOrConsole(call, call.arg(0));
    if (!target)
        return target.error();
    const std::uint32_t type =
        target->console ? io::consoleDeviceType(*target->console) : io::kFileDeviceDisk;
    return finish(call, DeviceInformation{type, 0});
}

NtStatus NtFlushBuffersFile(SystemCall& call) {
    if (auto s = call.user.probeForWrite(call.pointer(1), sizeof(IoStatusBlock));
        s != NtStatus::Success)
        return s;
    auto target = fileOrConsole(call, call.arg(0));
    if (!target)
        return target.error();
    if (!(target->entry.granted & (access::kFileWriteData | access::kFileAppendData)))
        return NtStatus::AccessDenied;
    // The console writes through to the host at once: there is nothing to flush.
    if (target->file != nullptr && !target->file->directory() && ::fsync(target->file->fd()) != 0 &&
        errno != EINVAL)
        return io::FileRoot::statusForErrno(errno);
    (void)call.user.write(call.pointer(1), IoStatusBlock{raw(NtStatus::Success), 0});
    return NtStatus::Success;
}

}  // namespace ntoy::ke
