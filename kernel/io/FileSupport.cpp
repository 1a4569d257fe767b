#include "kernel/io/FileSupport.h"

#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "kernel/io/File.h"
#include "kernel/ob/Access.h"
#include "kernel/ob/ObjectCallSupport.h"

namespace ntoy::io {
namespace {

struct ObjectAttributes {  // OBJECT_ATTRIBUTES, x64
    std::uint32_t length;
    std::uint32_t pad0;
    std::uint64_t rootDirectory;
    std::uint64_t objectName;
    std::uint32_t attributes;
    std::uint32_t pad1;
    std::uint64_t securityDescriptor;
    std::uint64_t securityQualityOfService;
};
static_assert(sizeof(ObjectAttributes) == 48);
struct UnicodeString {
    std::uint16_t length, maximumLength;
    std::uint32_t pad;
    std::uint64_t buffer;
};
static_assert(sizeof(UnicodeString) == 16);
inline constexpr std::uint32_t kObjInherit = 0x2;
inline constexpr std::uint32_t kObjValidAttributes = 0x1FF2;

// 100 ns units since 1601, from a host time.
std::int64_t fileTime(const struct statx_timestamp& t) {
    constexpr std::int64_t kEpochDifference = 11644473600;  // 1601 to 1970, in seconds
    return (t.tv_sec + kEpochDifference) * 10'000'000 + t.tv_nsec / 100;
}

}  // namespace

std::expected<const FileRoot*, NtStatus> fileRootOf(const ke::SystemCall& call) {
    if (!call.process.fileRoot)
        return std::unexpected(NtStatus::ObjectPathNotFound);
    return call.process.fileRoot.get();
}

std::expected<std::u16string, NtStatus> readUnicodeString(ke::SystemCall& call,
                                                          VirtualAddress string,
                                                          NtStatus oddLength) {
    const auto header = call.user.read<UnicodeString>(string);
    if (!header)
        return std::unexpected(header.error());
    if (header->length % 2 != 0)
        return std::unexpected(oddLength);
    std::u16string text(header->length / 2, u'\0');
    if (const NtStatus s =
            call.user.read(VirtualAddress(header->buffer), std::as_writable_bytes(std::span(text)));
        s != NtStatus::Success)
        return std::unexpected(s);
    return text;
}

std::expected<std::shared_ptr<ke::Event>, NtStatus> completionEvent(ke::SystemCall& call,
                                                                    std::uint64_t handle) {
    if (handle == 0)
        return nullptr;
    auto event = ob::referenceForCaller<ke::Event>(call, handle, ob::access::kEventModifyState);
    if (!event)
        return std::unexpected(event.error());
    (void)(*event)->reset();
    return std::move(*event);
}

std::optional<std::pair<std::u16string, std::uint32_t>> absoluteName(ke::SystemCall& call,
                                                                     VirtualAddress attributes) {
    const auto oa = call.user.read<ObjectAttributes>(attributes);
    if (!oa || oa->length != sizeof(ObjectAttributes) || oa->rootDirectory != 0 ||
        oa->objectName == 0)
        return std::nullopt;
    auto name =
        readUnicodeString(call, VirtualAddress(oa->objectName), NtStatus::ObjectNameInvalid);
    if (!name)
        return std::nullopt;
    return std::pair(std::move(*name),
                     (oa->attributes & kObjInherit) ? ob::attribute::kInherit : 0u);
}

std::expected<CapturedName, NtStatus> captureFileName(ke::SystemCall& call,
                                                      VirtualAddress attributes) {
    const auto oa = call.user.read<ObjectAttributes>(attributes);
    if (!oa)
        return std::unexpected(oa.error());
    if (oa->length != sizeof(ObjectAttributes) || (oa->attributes & ~kObjValidAttributes) != 0)
        return std::unexpected(NtStatus::InvalidParameter);
    std::u16string name;
    if (oa->objectName != 0) {
        auto read =
            readUnicodeString(call, VirtualAddress(oa->objectName), NtStatus::ObjectNameInvalid);
        if (!read)
            return std::unexpected(read.error());
        name = std::move(*read);
    }
    CapturedName out;
    out.handleAttributes = (oa->attributes & kObjInherit) ? ob::attribute::kInherit : 0u;
    if (oa->rootDirectory != 0) {
        auto directory = ob::referenceForCaller<File>(call, oa->rootDirectory, 0);
        if (!directory)
            return std::unexpected(directory.error());
        if (!(*directory)->directory())
            return std::unexpected(NtStatus::InvalidParameter);
        auto components = parseRelativePath((*directory)->path(), name);
        if (!components)
            return std::unexpected(components.error());
        out.components = std::move(*components);
    } else {
        auto components = parseNtPath(name);
        if (!components)
            return std::unexpected(components.error());
        out.components = std::move(*components);
    }
    return out;
}

std::expected<HostFileView, NtStatus> viewOf(int fd) {
    struct statx st {};
    if (::statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, &st) != 0)
        return std::unexpected(FileRoot::statusForErrno(errno));
    HostFileView view;
    view.directory = S_ISDIR(st.stx_mode);
    view.regular = S_ISREG(st.stx_mode);
    view.basic.lastAccessTime = fileTime(st.stx_atime);
    view.basic.lastWriteTime = fileTime(st.stx_mtime);
    view.basic.changeTime = fileTime(st.stx_ctime);
    // Without a birth time the last write is the earliest the host knows of.
    view.basic.creationTime =
        (st.stx_mask & STATX_BTIME) ? fileTime(st.stx_btime) : view.basic.lastWriteTime;
    std::uint32_t stored = view.directory ? 0 : kAttributeArchive;
    if (view.directory || view.regular) {  // a link's would be its target's
        std::uint32_t kept = 0;
        const std::string path = "/proc/self/fd/" + std::to_string(fd);
        if (::getxattr(path.c_str(), kAttributesXattr, &kept, sizeof kept) == sizeof kept)
            stored = kept & (kStoredAttributes | (view.directory ? kAttributeReadOnly : 0));
    }
    std::uint32_t attributes = stored | (view.directory ? kAttributeDirectory : 0);
    // Read-only: the host would refuse us writes (its owner lacks the write bit).
    if ((st.stx_mode & S_IWUSR) == 0)
        attributes |= kAttributeReadOnly;
    view.basic.fileAttributes = attributes != 0 ? attributes : kAttributeNormal;
    if (!view.directory) {
        view.endOfFile = static_cast<std::int64_t>(st.stx_size);
        view.allocationSize = static_cast<std::int64_t>(st.stx_blocks) * 512;
    }
    view.links = st.stx_nlink;
    view.identity = {makedev(st.stx_dev_major, st.stx_dev_minor), st.stx_ino};
    return view;
}

}  // namespace ntoy::io
