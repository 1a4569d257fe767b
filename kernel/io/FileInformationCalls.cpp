// NtQueryInformationFile, NtSetInformationFile, NtQueryVolumeInformationFile and
// NtFlushBuffersFile. The classes are the ones ordinary programs reach through kernel32:
// basic, standard, internal, access, position, network-open (query); basic (times and the
// read-only attribute), rename, link, position, end of file and disposition (set); the device
// information that GetFileType and GetConsoleMode read,
// and the volume, attribute and full-size information of the host file system under C:
// (volume). Any other class is STATUS_INVALID_INFO_CLASS. A console handle answers only
// FileAccessInformation and the device information; other classes are
// STATUS_INVALID_DEVICE_REQUEST, as the console driver does not take them.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "kernel/io/Console.h"
#include "kernel/io/File.h"
#include "kernel/io/FileRoot.h"
#include "kernel/io/FileSupport.h"
#include "kernel/ke/SystemCall.h"
#include "kernel/ob/Access.h"
#include "kernel/ob/ObjectCallSupport.h"

namespace ntoy::ke {

using io::IoStatusBlock;

using io::Console;
using io::File;
namespace access = ob::access;

namespace {

// FILE_INFORMATION_CLASS
enum : std::uint32_t {
    kFileBasicInformation = 4,
    kFileStandardInformation = 5,
    kFileInternalInformation = 6,
    kFileAccessInformation = 8,
    kFileRenameInformation = 10,
    kFileLinkInformation = 11,
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

namespace {

// NT time (100 ns since 1601) as the host's.
timespec hostTime(std::int64_t ntTime) {
    constexpr std::int64_t kUnixEpoch = 116444736000000000;  // 1970-01-01 in NT time
    const std::int64_t since = ntTime - kUnixEpoch;
    std::int64_t seconds = since / 10'000'000, rest = since % 10'000'000;
    if (rest < 0) {
        --seconds;
        rest += 10'000'000;
    }
    return timespec{seconds, rest * 100};
}

// The host path that reaches an open descriptor, O_PATH ones included, for the calls that
// take no descriptor of that kind (utimensat, fchmodat).
std::string procPath(int fd) {
    return "/proc/self/fd/" + std::to_string(fd);
}

// FileBasicInformation: a time of 0 (or -1 and -2, which ask Windows to stop or resume
// updating it) leaves that time as it is; the last access and last write times are set on the
// host, which keeps no settable creation or change time (those are accepted and left).
// Attributes of 0 leave them as they are; otherwise read-only is the owner's write bit and the
// rest go to the host file's extended attribute (FileSupport.h), or are not kept on a host file
// system without user extended attributes.
NtStatus setBasic(File& file, const io::FileBasicInformation& basic) {
    auto settable = [](std::int64_t t) { return t > 0; };
    if (settable(basic.lastAccessTime) || settable(basic.lastWriteTime)) {
        timespec times[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
        if (settable(basic.lastAccessTime))
            times[0] = hostTime(basic.lastAccessTime);
        if (settable(basic.lastWriteTime))
            times[1] = hostTime(basic.lastWriteTime);
        if (::utimensat(AT_FDCWD, procPath(file.fd()).c_str(), times, 0) != 0)
            return io::FileRoot::statusForErrno(errno);
    }
    if (basic.fileAttributes != 0) {
        if ((basic.fileAttributes & io::kAttributeDirectory) != 0 && !file.directory())
            return NtStatus::InvalidParameter;
        struct stat st {};
        if (::fstat(file.fd(), &st) != 0)
            return io::FileRoot::statusForErrno(errno);
        const std::string path = procPath(file.fd());
        const bool readOnly = (basic.fileAttributes & io::kAttributeReadOnly) != 0;
        // A file's read-only is its write bits: every one goes, and clearing it gives the
        // owner's back. A folder's is advisory on Windows (files are still made in it), so
        // it is kept with the others.
        const mode_t mode = file.directory() || !readOnly ? ((st.st_mode & 07777) | S_IWUSR)
                                                          : (st.st_mode & 07777 & ~mode_t{0222});
        // Writable first: the host refuses a user extended attribute on a file its owner may
        // not write.
        if ((mode & S_IWUSR) != 0 && mode != (st.st_mode & 07777) &&
            ::fchmodat(AT_FDCWD, path.c_str(), mode, 0) != 0)
            return io::FileRoot::statusForErrno(errno);
        const std::uint32_t stored =
            basic.fileAttributes &
            (io::kStoredAttributes | (file.directory() ? io::kAttributeReadOnly : 0));
        if (::setxattr(path.c_str(), io::kAttributesXattr, &stored, sizeof stored, 0) != 0 &&
            errno != ENOTSUP && errno != EPERM && errno != EACCES)
            return io::FileRoot::statusForErrno(errno);
        if ((mode & S_IWUSR) == 0 && mode != (st.st_mode & 07777) &&
            ::fchmodat(AT_FDCWD, path.c_str(), mode, 0) != 0)
            return io::FileRoot::statusForErrno(errno);
    }
    return NtStatus::Success;
}

// FILE_RENAME_INFORMATION and FILE_LINK_INFORMATION share this layout on x64.
struct RenameHeader {
    std::uint8_t replaceIfExists;
    std::uint8_t pad[7];
    std::uint64_t rootDirectory;
    std::uint32_t fileNameLength;
};
constexpr std::uint32_t kRenameNameOffset = 20;
constexpr std::uint32_t kRenameInformationSize = 24;  // sizeof(FILE_RENAME_INFORMATION)
constexpr std::uint32_t kLongestName = 0xFFFE;        // what a UNICODE_STRING can hold

// FileRenameInformation and FileLinkInformation: the new name is an absolute NT path, a
// path relative to RootDirectory, or, with no RootDirectory, a bare name in the file's own
// directory. The name must stay beneath the root, like every name. An existing target is
// STATUS_OBJECT_NAME_COLLISION unless ReplaceIfExists; a directory or an open file is never
// replaced (STATUS_ACCESS_DENIED), and a directory cannot be linked (STATUS_FILE_IS_A_DIRECTORY).
NtStatus setName(SystemCall& call, File& file, std::uint32_t infoClass, std::uint32_t length) {
    const auto header = call.user.read<RenameHeader>(call.pointer(2));
    if (!header)
        return header.error();
    if (header->fileNameLength % 2 != 0 || header->fileNameLength == 0 ||
        header->fileNameLength > length - kRenameNameOffset ||
        header->fileNameLength > kLongestName)
        return NtStatus::InvalidParameter;
    std::u16string name(header->fileNameLength / 2, u'\0');
    if (const NtStatus s = call.user.read(call.pointer(2) + kRenameNameOffset,
                                          std::as_writable_bytes(std::span(name)));
        s != NtStatus::Success)
        return s;
    if (file.isRoot())
        return NtStatus::AccessDenied;
    auto root = io::fileRootOf(call);
    if (!root)
        return root.error();
    // The host renames by name, Windows by the open file: the file's name now, as the host
    // keeps it through renames by other opens, and checked to still be this file.
    struct stat self {};
    struct stat named {};
    std::error_code ec;
    const auto now = std::filesystem::read_symlink(procPath(file.fd()), ec);
    auto from = ec ? std::nullopt : (*root)->componentsOf(now);
    if (!from || from->empty())
        return NtStatus::ObjectNameNotFound;  // deleted, or no longer beneath the root
    auto fromParent = (*root)->openParent(*from);
    if (!fromParent || ::fstat(file.fd(), &self) != 0 ||
        ::fstatat(fromParent->get(), from->back().c_str(), &named, AT_SYMLINK_NOFOLLOW) != 0 ||
        self.st_dev != named.st_dev || self.st_ino != named.st_ino)
        return NtStatus::ObjectNameNotFound;
    std::expected<io::GuestComponents, NtStatus> target;
    if (header->rootDirectory != 0) {
        auto directory = ob::referenceForCaller<File>(call, header->rootDirectory, 0);
        if (!directory)
            return directory.error();
        if (!(*directory)->directory())
            return NtStatus::InvalidParameter;
        target = io::parseRelativePath((*directory)->path(), name);
    } else if (name.front() == u'\\') {
        target = io::parseNtPath(name);
    } else {
        io::GuestComponents here = *from;
        here.pop_back();
        target = io::parseRelativePath(here, name);
    }
    if (!target)
        return target.error();
    if (target->empty())
        return NtStatus::AccessDenied;  // the root itself
    auto parent = (*root)->openParent(*target);
    if (!parent)
        return parent.error();
    const int fromDir = fromParent->get();
    const std::string& fromName = from->back();
    const std::string& toName = target->back();
    struct stat existing {};
    const bool exists =
        ::fstatat(parent->get(), toName.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists) {
        const bool same = self.st_dev == existing.st_dev && self.st_ino == existing.st_ino;
        if (same && infoClass == kFileRenameInformation && *target == *from)
            return NtStatus::Success;  // renamed to its own name
        if (!header->replaceIfExists)
            return NtStatus::ObjectNameCollision;
        // NTFS replaces neither a directory nor a file someone has open.
        if (S_ISDIR(existing.st_mode) ||
            (*root)->shares().isOpen({existing.st_dev, existing.st_ino}))
            return NtStatus::AccessDenied;
    }
    if (infoClass == kFileLinkInformation) {
        if (file.directory())
            return NtStatus::FileIsADirectory;
        if (exists && ::unlinkat(parent->get(), toName.c_str(), 0) != 0)
            return io::FileRoot::statusForErrno(errno);
        // Through the descriptor, so that the link is to the open file itself.
        if (::linkat(AT_FDCWD, procPath(file.fd()).c_str(), parent->get(), toName.c_str(),
                     AT_SYMLINK_FOLLOW) != 0)
            return errno == EEXIST ? NtStatus::ObjectNameCollision
                                   : io::FileRoot::statusForErrno(errno);
        return NtStatus::Success;
    }
    const unsigned flags = header->replaceIfExists ? 0 : RENAME_NOREPLACE;
    if (::renameat2(fromDir, fromName.c_str(), parent->get(), toName.c_str(), flags) != 0) {
        switch (errno) {
            case EEXIST:
                return NtStatus::ObjectNameCollision;
            case ENOTEMPTY:
            case EISDIR:
                return NtStatus::AccessDenied;
            case EINVAL:  // a directory into itself
                return NtStatus::InvalidParameter;
            default:
                return io::FileRoot::statusForErrno(errno);
        }
    }
    file.renamed(std::move(*parent), std::move(*target));
    return NtStatus::Success;
}

}  // namespace

NtStatus NtSetInformationFile(SystemCall& call) {
    const auto infoClass = static_cast<std::uint32_t>(call.arg(4));
    std::uint32_t size = 0;
    ob::AccessMask needed = 0;
    switch (infoClass) {
        case kFileBasicInformation:
            size = sizeof(io::FileBasicInformation);
            needed = access::kFileWriteAttributes;
            break;
        case kFileRenameInformation:
            size = kRenameInformationSize;
            needed = access::kDelete;
            break;
        case kFileLinkInformation:
            size = kRenameInformationSize;
            break;
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
    if (infoClass == kFileBasicInformation) {
        const auto basic = call.user.read<io::FileBasicInformation>(call.pointer(2));
        if (!basic)
            return basic.error();
        status = setBasic(file, *basic);
    } else if (infoClass == kFileRenameInformation || infoClass == kFileLinkInformation) {
        status = setName(call, file, infoClass, static_cast<std::uint32_t>(call.arg(3)));
    } else if (infoClass == kFileDispositionInformation) {
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
