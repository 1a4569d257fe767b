// A file object: an open host file or directory beneath the file root, with what Windows
// keeps per open (the current byte offset of a synchronous handle, delete-on-close and the
// delete disposition). The host descriptor is its own; when the last reference goes it is
// closed, and a file whose deletion is pending is then removed from its directory.
//
// Share modes are Windows' (IoCheckShareAccess): every open that reads, writes or deletes is
// listed, per host file, in its root's ShareTable, and a new open that would deny what an
// open has, or want what one denies, is STATUS_SHARING_VIOLATION.
//
// The delete disposition belongs to this open, not to the file as on Windows, where it is
// the file's and takes effect when the last handle of any open closes: here the open that
// set it removes the name when it closes, even if other opens remain (their data stays
// readable, as the host keeps an unlinked file until its last descriptor).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernel/base/NtStatus.h"
#include "kernel/io/DirectoryScan.h"

#include "kernel/io/GuestPath.h"
#include "kernel/io/UniqueFd.h"
#include "kernel/ob/Object.h"

namespace ntoy::io {

// What an open does to a file and lets others do (FILE_SHARE_*).
struct ShareAccess {
    ob::AccessMask access = 0;
    std::uint32_t share = 0;
};

class File;

// The live opens of each host file, by device and inode.
class ShareTable {
public:
    using Key = std::pair<std::uint64_t, std::uint64_t>;
    // STATUS_SHARING_VIOLATION when `wanted` conflicts with a live open of `key`,
    // STATUS_DELETE_PENDING when one has marked the file for deletion.
    NtStatus check(const Key& key, const ShareAccess& wanted);
    void add(const Key& key, const std::shared_ptr<File>& file);
    // Whether any open of `key` is live (a rename may not replace an open file).
    bool isOpen(const Key& key);

private:
    std::map<Key, std::vector<std::weak_ptr<File>>> opens_;
};

class File final : public ob::Object {
public:
    static constexpr ob::ObjectType kObjectType = ob::ObjectType::File;

    struct Identity {
        UniqueFd fd;      // the open file or directory (O_PATH when no data access)
        UniqueFd parent;  // its directory (O_PATH), to remove the name; none for the root
        GuestComponents path;
        bool directory = false;
        bool synchronous = false;  // FILE_SYNCHRONOUS_IO_*: the object keeps a position
    };
    explicit File(Identity identity) : ob::Object(kObjectType), identity_(std::move(identity)) {}
    ~File() override;

    int fd() const { return identity_.fd.get(); }
    const GuestComponents& path() const { return identity_.path; }
    bool directory() const { return identity_.directory; }
    bool synchronous() const { return identity_.synchronous; }
    bool isRoot() const { return identity_.path.empty(); }
    int parentFd() const { return identity_.parent.get(); }
    // After a rename by this open: its new directory and name. Other opens of the file keep
    // the name they were opened by (a deletion through them removes nothing or that name).
    void renamed(UniqueFd parent, GuestComponents path) {
        identity_.parent = std::move(parent);
        identity_.path = std::move(path);
    }

    std::uint64_t position = 0;  // the current byte offset (FilePositionInformation)
    ShareAccess shareAccess;     // this open's, for the share checks of later ones
    bool deletePending = false;  // FileDispositionInformation: later opens are refused
    bool deleteOnClose = false;  // FILE_DELETE_ON_CLOSE: the name goes at the close only
    // A directory's listing in progress (NtQueryDirectoryFile), from its first query.
    std::unique_ptr<DirectoryScan> scan;

private:
    Identity identity_;
};

}  // namespace ntoy::io
