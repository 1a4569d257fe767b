// NtCreateFile, NtOpenFile, NtDeleteFile, NtQueryAttributesFile and NtQueryFullAttributesFile:
// the calls that name a file. Dispositions, options and results are Windows' (ntifs.h);
// where a host error stands in for a file system's, FileRoot::statusForErrno chooses the
// status. Only regular files and directories are reachable: a FIFO, socket or device node
// under the root is STATUS_ACCESS_DENIED, so that no open can block the machine.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "kernel/io/DeviceCalls.h"
#include "kernel/io/File.h"
#include "kernel/io/FileSupport.h"
#include "kernel/ke/SystemCall.h"
#include "kernel/ob/Access.h"
#include "kernel/ob/ObjectBody.h"
#include "kernel/ob/ObjectCallSupport.h"

namespace ntoy::ke {

using io::IoStatusBlock;

using io::File;
namespace access = ob::access;

namespace {

// CreateDisposition
enum : std::uint32_t {
    kSupersede = 0,
    kOpen = 1,
    kCreate = 2,
    kOpenIf = 3,
    kOverwrite = 4,
    kOverwriteIf = 5,
};
// IO_STATUS_BLOCK.Information after a create
enum : std::uint32_t { kSuperseded = 0, kOpened = 1, kCreated = 2, kOverwritten = 3 };
// CreateOptions
inline constexpr std::uint32_t kDirectoryFile = 0x1;
inline constexpr std::uint32_t kSynchronousIoAlert = 0x10;
inline constexpr std::uint32_t kSynchronousIoNonalert = 0x20;
inline constexpr std::uint32_t kNonDirectoryFile = 0x40;
inline constexpr std::uint32_t kDeleteOnClose = 0x1000;
inline constexpr std::uint32_t kValidOptions = 0x00FFFFFF;
inline constexpr std::uint32_t kValidShare = 0x7;  // FILE_SHARE_READ | WRITE | DELETE
inline constexpr std::uint32_t kValidFileAttributes = 0x7FA7;

struct OpenRequest {
    ob::AccessMask granted = 0;
    std::uint32_t share = 0;
    std::uint32_t fileAttributes = 0;
    std::uint32_t disposition = kOpen;
    std::uint32_t options = 0;
};

NtStatus checkRequest(const OpenRequest& r, std::uint32_t share) {
    if (r.disposition > kOverwriteIf || (r.options & ~kValidOptions) != 0 ||
        (share & ~kValidShare) != 0 || (r.fileAttributes & ~kValidFileAttributes) != 0)
        return NtStatus::InvalidParameter;
    if ((r.options & kDirectoryFile) && (r.options & kNonDirectoryFile))
        return NtStatus::InvalidParameter;
    if ((r.options & kSynchronousIoAlert) && (r.options & kSynchronousIoNonalert))
        return NtStatus::InvalidParameter;
    // Synchronous I/O waits on the file object, which needs SYNCHRONIZE (every generic
    // right of a file brings it).
    if ((r.options & (kSynchronousIoAlert | kSynchronousIoNonalert)) &&
        !(r.granted & access::kSynchronize))
        return NtStatus::InvalidParameter;
    if ((r.options & kDeleteOnClose) && !(r.granted & access::kDelete))
        return NtStatus::InvalidParameter;
    if ((r.options & kDirectoryFile) && r.disposition != kCreate && r.disposition != kOpen &&
        r.disposition != kOpenIf)
        return NtStatus::InvalidParameter;
    return NtStatus::Success;
}

bool wantsData(ob::AccessMask granted, ob::AccessMask rights) {
    return (granted & rights) != 0;
}

// open(2) flags for a regular file with these rights; O_TRUNC is the caller's.
int hostFlags(ob::AccessMask granted, bool truncate) {
    const bool read = wantsData(granted, access::kFileReadData | access::kFileExecute);
    const bool write =
        truncate || wantsData(granted, access::kFileWriteData | access::kFileAppendData);
    if (!read && !write)
        return O_PATH;
    const int mode = read && write ? O_RDWR : write ? O_WRONLY : O_RDONLY;
    return mode | O_NOCTTY | O_NONBLOCK;
}

struct Opened {
    std::shared_ptr<File> file;
    std::uint32_t information = kOpened;
};

std::expected<Opened, NtStatus> openFile(const io::FileRoot& root, io::GuestComponents path,
                                         const OpenRequest& r) {
    const bool wantDirectory = (r.options & kDirectoryFile) != 0;
    File::Identity identity;
    identity.synchronous = (r.options & (kSynchronousIoAlert | kSynchronousIoNonalert)) != 0;
    std::uint32_t information = kOpened;

    if (path.empty()) {  // the root: it always exists and is never replaced or removed
        if (r.disposition == kCreate)
            return std::unexpected(NtStatus::ObjectNameCollision);
        if (r.options & kNonDirectoryFile)
            return std::unexpected(NtStatus::FileIsADirectory);
        if (r.disposition != kOpen && r.disposition != kOpenIf)
            return std::unexpected(NtStatus::AccessDenied);
        if (r.options & kDeleteOnClose)
            return std::unexpected(NtStatus::AccessDenied);
        auto fd = root.openAt(path, O_PATH | O_DIRECTORY);
        if (!fd)
            return std::unexpected(fd.error());
        identity.fd = std::move(*fd);
        identity.directory = true;
    } else {
        auto parent = root.openParent(path);
        if (!parent)
            return std::unexpected(parent.error());
        auto existing = root.openAt(path, O_PATH);
        if (!existing && existing.error() != NtStatus::ObjectNameNotFound)
            return std::unexpected(existing.error());
        if (existing) {
            auto view = io::viewOf(existing->get());
            if (!view)
                return std::unexpected(view.error());
            if (!view->directory && !view->regular)
                return std::unexpected(NtStatus::AccessDenied);
            if (r.disposition == kCreate)
                return std::unexpected(NtStatus::ObjectNameCollision);
            if (view->directory && (r.options & kNonDirectoryFile))
                return std::unexpected(NtStatus::FileIsADirectory);
            if (!view->directory && wantDirectory)
                return std::unexpected(NtStatus::NotADirectory);
            const bool truncate = r.disposition == kSupersede || r.disposition == kOverwrite ||
                                  r.disposition == kOverwriteIf;
            if (view->directory && truncate)
                return std::unexpected(NtStatus::FileIsADirectory);
            // Before anything changes: an overwrite must not empty a file others deny it.
            if (auto s = root.shares().check(view->identity, {r.granted, r.share});
                s != NtStatus::Success)
                return std::unexpected(s);
            const int flags = view->directory
                                  ? O_PATH | O_DIRECTORY
                                  : hostFlags(r.granted, truncate) | (truncate ? O_TRUNC : 0);
            auto fd = root.openAt(path, flags);
            if (!fd)
                return std::unexpected(fd.error() == NtStatus::ObjectPathNotFound
                                           ? NtStatus::ObjectNameNotFound
                                           : fd.error());
            identity.fd = std::move(*fd);
            identity.directory = view->directory;
            information = r.disposition == kSupersede ? kSuperseded
                          : truncate                  ? kOverwritten
                                                      : kOpened;
        } else {
            if (r.disposition == kOpen || r.disposition == kOverwrite)
                return std::unexpected(NtStatus::ObjectNameNotFound);
            const char* name = path.back().c_str();
            if (wantDirectory) {
                if (::mkdirat(parent->get(), name, 0777) != 0)
                    return std::unexpected(io::FileRoot::statusForErrno(errno));
                auto fd = root.openAt(path, O_PATH | O_DIRECTORY);
                if (!fd)
                    return std::unexpected(fd.error());
                identity.fd = std::move(*fd);
                identity.directory = true;
            } else {
                // One name in a directory already beneath the root, created exclusively:
                // O_EXCL never follows a link, so a planted one is a collision, not a way out.
                const mode_t mode = (r.fileAttributes & io::kAttributeReadOnly) ? 0444 : 0666;
                int flags = hostFlags(r.granted, false);
                if (flags == O_PATH)
                    flags = O_RDONLY | O_NOCTTY | O_NONBLOCK;
                io::UniqueFd fd(::openat(parent->get(), name,
                                         flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
                if (!fd.valid())
                    return std::unexpected(io::FileRoot::statusForErrno(errno));
                identity.fd = std::move(fd);
            }
            information = kCreated;
        }
        identity.parent = std::move(*parent);
    }
    identity.path = std::move(path);
    auto view = io::viewOf(identity.fd.get());
    if (!view)
        return std::unexpected(view.error());
    auto file = std::make_shared<File>(std::move(identity));
    file->deleteOnClose = (r.options & kDeleteOnClose) != 0;
    file->shareAccess = {r.granted, r.share};
    if (!file->isRoot())
        root.shares().add(view->identity, file);
    return Opened{std::move(file), information};
}

NtStatus createFile(SystemCall& call, VirtualAddress handleOut, ob::AccessMask desired,
                    VirtualAddress attributes, VirtualAddress ioStatus, OpenRequest request,
                    std::uint32_t share) {
    if (auto s = call.user.probeForWrite(handleOut, 8); s != NtStatus::Success)
        return s;
    if (auto s = call.user.probeForWrite(ioStatus, sizeof(IoStatusBlock)); s != NtStatus::Success)
        return s;
    request.granted = ob::grantedAccess(ob::ObjectType::File, desired);
    request.share = share;
    // A device a driver made ("\??\Name" through its symbolic link, or "\Device\Name"): its
    // driver opens it.
    // Any other device name is refused below, as a path outside the drive (GuestPath.h).
    if (const auto name = io::absoluteName(call, attributes))
        if (io::Device* device = io::deviceForPath(call, name->first))
            return io::openDevice(call, *device, handleOut, request.granted, name->second,
                                  ioStatus);
    if (auto s = checkRequest(request, share); s != NtStatus::Success)
        return s;
    auto name = io::captureFileName(call, attributes);
    if (!name)
        return name.error();
    auto root = io::fileRootOf(call);
    if (!root)
        return root.error();
    // The body first: a refusal for quota must not have created or truncated the file.
    std::optional<ob::PendingBody> body;
    if (call.pool) {
        auto reserved = ob::reserveBody(*call.pool, ob::ObjectType::File, call.process.poolQuota);
        if (!reserved)
            return reserved.error();
        body.emplace(std::move(*reserved));
    }
    auto opened = openFile(**root, std::move(name->components), request);
    if (!opened)
        return opened.error();
    if (body)
        body->attach(*opened->file);
    if (auto s = ob::insertForCaller(call, handleOut, opened->file, request.granted,
                                     name->handleAttributes);
        s != NtStatus::Success) {
        opened->file->deleteOnClose = false;  // no handle, so no delete-on-close either
        return s;
    }
    (void)call.user.write(ioStatus, IoStatusBlock{raw(NtStatus::Success), opened->information});
    return NtStatus::Success;
}

// The file an OBJECT_ATTRIBUTES names, opened for its attributes only.
std::expected<io::HostFileView, NtStatus> attributesOf(SystemCall& call,
                                                       VirtualAddress attributes) {
    auto name = io::captureFileName(call, attributes);
    if (!name)
        return std::unexpected(name.error());
    auto root = io::fileRootOf(call);
    if (!root)
        return std::unexpected(root.error());
    if (!name->components.empty())
        if (auto parent = (*root)->openParent(name->components); !parent)
            return std::unexpected(parent.error());
    auto fd = (*root)->openAt(name->components, O_PATH);
    if (!fd)
        return std::unexpected(fd.error());
    return io::viewOf(fd->get());
}

}  // namespace

NtStatus NtCreateFile(SystemCall& call) {
    const auto eaLength = static_cast<std::uint32_t>(call.arg(10));
    if (call.arg(9) != 0 && eaLength != 0)  // extended attributes: no file system here has them
        return NtStatus::EasNotSupported;
    OpenRequest request;
    request.fileAttributes = static_cast<std::uint32_t>(call.arg(5));
    request.disposition = static_cast<std::uint32_t>(call.arg(7));
    request.options = static_cast<std::uint32_t>(call.arg(8));
    return createFile(call, call.pointer(0), static_cast<ob::AccessMask>(call.arg(1)),
                      call.pointer(2), call.pointer(3), request,
                      static_cast<std::uint32_t>(call.arg(6)));
}

NtStatus NtOpenFile(SystemCall& call) {
    OpenRequest request;
    request.options = static_cast<std::uint32_t>(call.arg(5));
    return createFile(call, call.pointer(0), static_cast<ob::AccessMask>(call.arg(1)),
                      call.pointer(2), call.pointer(3), request,
                      static_cast<std::uint32_t>(call.arg(4)));
}

NtStatus NtDeleteFile(SystemCall& call) {
    auto name = io::captureFileName(call, call.pointer(0));
    if (!name)
        return name.error();
    auto root = io::fileRootOf(call);
    if (!root)
        return root.error();
    if (name->components.empty())
        return NtStatus::AccessDenied;  // the root is never removed
    auto parent = (*root)->openParent(name->components);
    if (!parent)
        return parent.error();
    // The name itself, never what a link names: unlinkat does not follow the last component.
    const char* last = name->components.back().c_str();
    struct stat st {};
    if (::fstatat(parent->get(), last, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return io::FileRoot::statusForErrno(errno);
    // As an open for DELETE that shares everything: refused while an open denies deletion.
    if (auto s = (*root)->shares().check({st.st_dev, st.st_ino}, {access::kDelete, 0x7});
        s != NtStatus::Success)
        return s;
    if (::unlinkat(parent->get(), last, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0)
        return io::FileRoot::statusForErrno(errno);
    return NtStatus::Success;
}

NtStatus NtQueryAttributesFile(SystemCall& call) {
    const VirtualAddress out = call.pointer(1);
    if (auto s = call.user.probeForWrite(out, sizeof(io::FileBasicInformation));
        s != NtStatus::Success)
        return s;
    auto view = attributesOf(call, call.pointer(0));
    if (!view)
        return view.error();
    return call.user.write(out, view->basic);
}

NtStatus NtQueryFullAttributesFile(SystemCall& call) {
    const VirtualAddress out = call.pointer(1);
    if (auto s = call.user.probeForWrite(out, sizeof(io::FileNetworkOpenInformation));
        s != NtStatus::Success)
        return s;
    auto view = attributesOf(call, call.pointer(0));
    if (!view)
        return view.error();
    io::FileNetworkOpenInformation info{};
    info.creationTime = view->basic.creationTime;
    info.lastAccessTime = view->basic.lastAccessTime;
    info.lastWriteTime = view->basic.lastWriteTime;
    info.changeTime = view->basic.changeTime;
    info.allocationSize = view->allocationSize;
    info.endOfFile = view->endOfFile;
    info.fileAttributes = view->basic.fileAttributes;
    return call.user.write(out, info);
}

}  // namespace ntoy::ke
