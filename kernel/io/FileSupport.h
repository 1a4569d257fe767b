// What the file calls share: the file root of the calling process, the capture of an
// OBJECT_ATTRIBUTES that names a file (and of any UNICODE_STRING), the status block and the
// optional completion event of a request, and a host file's Windows view (attributes, times,
// sizes) in the layouts of FILE_BASIC_INFORMATION, FILE_STANDARD_INFORMATION and
// FILE_NETWORK_OPEN_INFORMATION.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <expected>
#include <memory>
#include <string>

#include "kernel/io/File.h"
#include "kernel/io/FileRoot.h"
#include "kernel/io/GuestPath.h"
#include "kernel/ke/Event.h"
#include "kernel/ke/SystemCall.h"

namespace ntoy::io {

// FILE_ATTRIBUTE_*
inline constexpr std::uint32_t kAttributeReadOnly = 0x01;
inline constexpr std::uint32_t kAttributeDirectory = 0x10;
inline constexpr std::uint32_t kAttributeArchive = 0x20;
inline constexpr std::uint32_t kAttributeNormal = 0x80;
// The attributes the host has no place for (hidden, system, archive, temporary, offline, not
// content-indexed), kept in an extended attribute of the host file when one has been set;
// without it a file is FILE_ATTRIBUTE_ARCHIVE, as Windows makes new files. A file's read-only
// is the owner's write bit (a folder's, advisory on Windows, is kept with the others), and
// directory is the host's file type.
inline constexpr std::uint32_t kStoredAttributes = 0x2 | 0x4 | 0x20 | 0x100 | 0x1000 | 0x2000;
inline constexpr const char* kAttributesXattr = "user.ntoy.attributes";

// The caller's file root: STATUS_OBJECT_PATH_NOT_FOUND for a process that has none (a unit
// test's), as for a machine with no drive C:.
std::expected<const FileRoot*, NtStatus> fileRootOf(const ke::SystemCall& call);

// IO_STATUS_BLOCK: the status in a pointer-sized union, then Information.
struct IoStatusBlock {
    std::uint64_t status;
    std::uint64_t information;
};

// The characters of the UNICODE_STRING at `string`: `oddLength` for a length that is not a
// whole number of characters, STATUS_ACCESS_VIOLATION when unreadable.
std::expected<std::u16string, NtStatus> readUnicodeString(ke::SystemCall& call,
                                                          VirtualAddress string,
                                                          NtStatus oddLength);

// A request's optional event (`handle` 0: none), reset as the request starts; the caller sets
// it when the request completes.
std::expected<std::shared_ptr<ke::Event>, NtStatus> completionEvent(ke::SystemCall& call,
                                                                    std::uint64_t handle);

// The name an OBJECT_ATTRIBUTES gives without a root directory, and its handle attributes;
// none if it gives no such name or cannot be read (captureFileName then says why).
std::optional<std::pair<std::u16string, std::uint32_t>> absoluteName(ke::SystemCall& call,
                                                                     VirtualAddress attributes);

struct CapturedName {
    GuestComponents components;
    std::uint32_t handleAttributes = 0;  // OBJ_INHERIT as a handle attribute
};
// The name an OBJECT_ATTRIBUTES gives, absolute or relative to its RootDirectory (a directory
// handle): STATUS_INVALID_PARAMETER for a bad structure, STATUS_OBJECT_NAME_INVALID for a
// name of odd length, STATUS_ACCESS_VIOLATION when unreadable, and GuestPath's statuses.
std::expected<CapturedName, NtStatus> captureFileName(ke::SystemCall& call,
                                                      VirtualAddress attributes);

#pragma pack(push, 4)
struct FileBasicInformation {
    std::int64_t creationTime, lastAccessTime, lastWriteTime, changeTime;
    std::uint32_t fileAttributes;
    std::uint32_t pad;
};
static_assert(sizeof(FileBasicInformation) == 40);
struct FileStandardInformation {
    std::int64_t allocationSize, endOfFile;
    std::uint32_t numberOfLinks;
    std::uint8_t deletePending, directory;
    std::uint16_t pad;
};
static_assert(sizeof(FileStandardInformation) == 24);
struct FileNetworkOpenInformation {
    std::int64_t creationTime, lastAccessTime, lastWriteTime, changeTime;
    std::int64_t allocationSize, endOfFile;
    std::uint32_t fileAttributes;
    std::uint32_t pad;
};
static_assert(sizeof(FileNetworkOpenInformation) == 56);
#pragma pack(pop)

// A host file's Windows view, from fstat (and statx's birth time where the host keeps one).
struct HostFileView {
    FileBasicInformation basic{};
    std::int64_t allocationSize = 0, endOfFile = 0;
    std::uint32_t links = 1;
    ShareTable::Key identity{};  // device and inode
    bool directory = false;
    bool regular = false;
};
std::expected<HostFileView, NtStatus> viewOf(int fd);

}  // namespace ntoy::io
