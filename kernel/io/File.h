// A file object: an open host file or directory beneath the file root, with what Windows
// keeps per open (the current byte offset of a synchronous handle, delete-on-close and the
// delete disposition). The host descriptor is its own; when the last reference goes it is
// closed, and a file whose deletion is pending is then removed from its directory.
//
// The delete disposition belongs to this open, not to the file as on Windows, where it is
// the file's and takes effect when the last handle of any open closes: here the open that
// set it removes the name when it closes, even if other opens remain (their data stays
// readable, as the host keeps an unlinked file until its last descriptor).
#pragma once

#include <cstdint>
#include <string>

#include "kernel/io/GuestPath.h"
#include "kernel/io/UniqueFd.h"
#include "kernel/ob/Object.h"

namespace ntoy::io {

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

    std::uint64_t position = 0;  // the current byte offset (FilePositionInformation)
    bool deletePending = false;  // FileDispositionInformation or FILE_DELETE_ON_CLOSE

private:
    Identity identity_;
};

}  // namespace ntoy::io
