// A directory listing in progress: what NtQueryDirectoryFile keeps in the file object between
// calls. The entries are read once, at the first query (or a restart), in the host's order,
// with "." and ".." first for any directory but the root, as NTFS lists them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ntoy::io {

struct DirectoryEntry {
    std::u16string name;  // as the guest sees it
    std::int64_t creationTime = 0, lastAccessTime = 0, lastWriteTime = 0, changeTime = 0;
    std::int64_t endOfFile = 0, allocationSize = 0;
    std::uint32_t attributes = 0;
    std::uint64_t fileId = 0;  // the host inode
};

struct DirectoryScan {
    std::vector<DirectoryEntry> entries;  // those the mask matches
    std::size_t next = 0;
    std::u16string mask;
    bool returnedAny = false;  // NO_MORE_FILES from then on, NO_SUCH_FILE before
};

}  // namespace ntoy::io
