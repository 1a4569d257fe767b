// NtQueryDirectoryFile: the entries of a directory open beneath the file root, in the classes
// FindFirstFile and its kin read (directory, full, both, names, id-both, id-full), filtered by
// the FileName mask of the first query (NameExpression.h). The listing is read at the first
// query or a restart and kept in the file object (DirectoryScan.h), in NTFS's order: "." and
// ".." first, then by upper-cased name; each call returns as many
// whole entries as fit (one with ReturnSingleEntry), 8-byte aligned and chained by
// NextEntryOffset. No entry matched: STATUS_NO_SUCH_FILE; none left: STATUS_NO_MORE_FILES; a
// buffer too small for the first entry's name: its fixed part and what fits of the name,
// STATUS_BUFFER_OVERFLOW, the entry kept for the next call.
//
// Only names the guest could use come back: a host name that is not valid UTF-8, or that
// holds a character Windows forbids in names, is left out. Short (8.3) names are empty, as on
// an NTFS volume without them. Symbolic links are listed as themselves, never followed, so a
// link out of the root shows nothing of its target. As with NtReadFile, every call completes
// before it returns: an event is reset and then set, and an APC routine is refused.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "kernel/io/DirectoryScan.h"
#include "kernel/io/File.h"
#include "kernel/io/FileRoot.h"
#include "kernel/io/FileSupport.h"
#include "kernel/io/NameExpression.h"
#include "kernel/ke/Event.h"
#include "kernel/ke/SystemCall.h"
#include "kernel/ob/Access.h"
#include "kernel/ob/ObjectCallSupport.h"

namespace ntoy::ke {

using io::IoStatusBlock;

using io::DirectoryEntry;
using io::DirectoryScan;
using io::File;
namespace access = ob::access;

namespace {

// FILE_INFORMATION_CLASS: where each class's fields sit, by the offset of its name.
enum : std::uint32_t {
    kFileDirectoryInformation = 1,
    kFileFullDirectoryInformation = 2,
    kFileBothDirectoryInformation = 3,
    kFileNamesInformation = 12,
    kFileIdBothDirectoryInformation = 37,
    kFileIdFullDirectoryInformation = 38,
};

struct ClassLayout {
    std::uint32_t nameOffset;   // FileName
    bool times;                 // the common block: times, sizes, attributes (at 8..63)
    std::int32_t fileIdOffset;  // FileId, or -1
};

std::optional<ClassLayout> layoutOf(std::uint32_t infoClass) {
    switch (infoClass) {
        case kFileDirectoryInformation:
            return ClassLayout{64, true, -1};
        case kFileFullDirectoryInformation:
            return ClassLayout{68, true, -1};  // EaSize at 64
        case kFileBothDirectoryInformation:
            return ClassLayout{94, true, -1};  // EaSize 64, ShortNameLength 68, ShortName 70
        case kFileNamesInformation:
            return ClassLayout{12, false, -1};  // FileNameLength at 8
        case kFileIdBothDirectoryInformation:
            return ClassLayout{104, true, 96};
        case kFileIdFullDirectoryInformation:
            return ClassLayout{80, true, 72};
        default:
            return std::nullopt;
    }
}

// The directory's entries that `mask` matches, read now.
std::expected<std::vector<DirectoryEntry>, NtStatus> readDirectory(const File& directory,
                                                                   std::u16string_view mask) {
    io::UniqueFd listing(::openat(directory.fd(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!listing.valid())
        return std::unexpected(io::FileRoot::statusForErrno(errno));
    const int raw = ::dup(listing.get());
    if (raw < 0)
        return std::unexpected(io::FileRoot::statusForErrno(errno));
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(raw), &::closedir);
    if (!dir) {
        ::close(raw);
        return std::unexpected(io::FileRoot::statusForErrno(errno));
    }
    std::vector<DirectoryEntry> out;
    auto add = [&](std::u16string name, int fd) {
        if (!io::nameInExpression(mask, name))
            return;
        const auto view = io::viewOf(fd);
        if (!view)
            return;  // gone since it was listed
        DirectoryEntry e;
        e.name = std::move(name);
        e.creationTime = view->basic.creationTime;
        e.lastAccessTime = view->basic.lastAccessTime;
        e.lastWriteTime = view->basic.lastWriteTime;
        e.changeTime = view->basic.changeTime;
        e.endOfFile = view->endOfFile;
        e.allocationSize = view->allocationSize;
        e.attributes = view->basic.fileAttributes;
        e.fileId = view->identity.second;
        out.push_back(std::move(e));
    };
    // "." and "..", first, except in the root: its parent is outside and is shown as itself.
    if (!directory.isRoot()) {
        add(u".", directory.fd());
        io::UniqueFd parent(::openat(directory.parentFd(), ".", O_PATH | O_CLOEXEC));
        if (parent.valid())
            add(u"..", parent.get());
    }
    const std::size_t dots = out.size();
    while (const dirent* d = ::readdir(dir.get())) {
        const std::string_view host = d->d_name;
        if (host == "." || host == "..")
            continue;
        if (!io::isGuestName(host))
            continue;  // no name the guest could use
        const auto wide = io::utf8ToUtf16(host);
        io::UniqueFd entry(::openat(listing.get(), d->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (entry.valid())
            add(*wide, entry.get());
    }
    // NTFS's order: by upper-cased name, each key made once.
    std::vector<std::pair<std::u16string, std::size_t>> keys;
    for (std::size_t i = dots; i < out.size(); ++i) {
        std::u16string key = out[i].name;
        for (char16_t& c : key)
            c = io::upcaseNameCharacter(c);
        keys.emplace_back(std::move(key), i);
    }
    std::sort(keys.begin(), keys.end());
    std::vector<DirectoryEntry> sorted(
        std::make_move_iterator(out.begin()),
        std::make_move_iterator(out.begin() + static_cast<std::ptrdiff_t>(dots)));
    for (auto& [key, i] : keys)
        sorted.push_back(std::move(out[i]));
    return sorted;
}

void put(std::vector<std::byte>& out, std::size_t at, const auto& value) {
    std::memcpy(out.data() + at, &value, sizeof value);
}

// One entry in `layout`, with at most `nameBytes` of its name; its size unaligned.
std::size_t encode(std::vector<std::byte>& out, std::size_t at, const ClassLayout& layout,
                   const DirectoryEntry& e, std::size_t nameBytes) {
    const std::size_t size = layout.nameOffset + nameBytes;
    if (out.size() < at + size)
        out.resize(at + size);
    std::memset(out.data() + at, 0, size);
    const auto nameLength = static_cast<std::uint32_t>(e.name.size() * 2);
    if (layout.times) {
        put(out, at + 8, e.creationTime);
        put(out, at + 16, e.lastAccessTime);
        put(out, at + 24, e.lastWriteTime);
        put(out, at + 32, e.changeTime);
        put(out, at + 40, e.endOfFile);
        put(out, at + 48, e.allocationSize);
        put(out, at + 56, e.attributes);
        put(out, at + 60, nameLength);
    } else {
        put(out, at + 8, nameLength);
    }
    if (layout.fileIdOffset >= 0)
        put(out, at + static_cast<std::size_t>(layout.fileIdOffset), e.fileId);
    std::memcpy(out.data() + at + layout.nameOffset, e.name.data(), nameBytes);
    return size;
}

}  // namespace

NtStatus NtQueryDirectoryFile(SystemCall& call) {
    const std::uint64_t handle = call.arg(0);
    const std::uint64_t eventHandle = call.arg(1);
    const std::uint64_t apcRoutine = call.arg(2);
    const VirtualAddress ioStatus = call.pointer(4);
    const VirtualAddress buffer = call.pointer(5);
    const auto length = static_cast<std::uint32_t>(call.arg(6));
    const auto infoClass = static_cast<std::uint32_t>(call.arg(7));
    const bool single = static_cast<std::uint8_t>(call.arg(8)) != 0;
    const VirtualAddress maskString = call.pointer(9);
    const bool restart = static_cast<std::uint8_t>(call.arg(10)) != 0;

    const auto layout = layoutOf(infoClass);
    if (!layout)
        return NtStatus::InvalidInfoClass;
    if (length < layout->nameOffset)
        return NtStatus::InfoLengthMismatch;
    auto file = ob::referenceForCaller<File>(call, handle, access::kFileListDirectory);
    if (!file)
        return file.error();
    if (!(*file)->directory())
        return NtStatus::InvalidParameter;
    if (apcRoutine != 0)
        return NtStatus::InvalidParameter;
    if (auto s = call.user.probeForWrite(ioStatus, sizeof(IoStatusBlock)); s != NtStatus::Success)
        return s;
    if (auto s = call.user.probeForWrite(buffer, length); s != NtStatus::Success)
        return s;
    auto event = io::completionEvent(call, eventHandle);
    if (!event)
        return event.error();

    File& directory = **file;
    if (!directory.scan || restart) {
        std::u16string mask = u"*";
        if (maskString.value() != 0) {
            auto given = io::readUnicodeString(call, maskString, NtStatus::InvalidParameter);
            if (!given)
                return given.error();
            if (!given->empty())
                mask = std::move(*given);
        } else if (directory.scan) {
            mask = directory.scan->mask;
        }
        auto entries = readDirectory(directory, mask);
        if (!entries)
            return entries.error();
        auto scan = std::make_unique<DirectoryScan>();
        scan->entries = std::move(*entries);
        scan->mask = std::move(mask);
        directory.scan = std::move(scan);
    }
    DirectoryScan& scan = *directory.scan;

    NtStatus status = NtStatus::Success;
    std::vector<std::byte> out;
    std::size_t at = 0, previous = 0;
    bool any = false;
    std::size_t next = scan.next;  // taken only once the buffer has them
    while (next < scan.entries.size()) {
        const DirectoryEntry& e = scan.entries[next];
        const std::size_t start = (at + 7) & ~std::size_t{7};
        const std::size_t whole = layout->nameOffset + e.name.size() * 2;
        if (start + whole > length) {
            if (!any) {
                // Not even the first fits: its fixed part and what fits of its name.
                const std::size_t room = (length - layout->nameOffset) & ~std::size_t{1};
                at = encode(out, 0, *layout, e, room);
                status = NtStatus::BufferOverflow;
            }
            break;
        }
        if (any)
            put(out, previous, static_cast<std::uint32_t>(start - previous));
        at = start + encode(out, start, *layout, e, e.name.size() * 2);
        previous = start;
        any = true;
        ++next;
        if (single)
            break;
    }
    if (!any && status == NtStatus::Success)
        status = scan.returnedAny ? NtStatus::NoMoreFiles : NtStatus::NoSuchFile;
    if (!out.empty()) {
        if (auto s = call.user.write(buffer, std::span<const std::byte>(out.data(), at));
            s != NtStatus::Success)
            return s;
    }
    scan.next = next;
    if (any)
        scan.returnedAny = true;
    // The status block and the event, as the I/O manager completes a request: not for an
    // error (STATUS_NO_SUCH_FILE), for success and the warnings (no more files, overflow).
    if (raw(status) >> 30 != 3) {
        (void)call.user.write(
            ioStatus,
            IoStatusBlock{raw(status), any || status == NtStatus::BufferOverflow ? at : 0});
        if (*event && call.waits != nullptr)
            (void)(*event)->set(*call.waits);
    }
    return status;
}

}  // namespace ntoy::ke
