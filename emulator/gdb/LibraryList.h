// qXfer:libraries:read: the DLLs gdb should load symbols from, as <library-list> XML. Each
// library's segment address is where its first section is mapped, which gdb takes as the
// address of the lowest section of the file to relocate its symbols by (as gdb's own
// Windows target reports them).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/ps/Process.h"

namespace ntoy::gdb {

struct Library {
    std::string path;  // the host file gdb reads
    std::uint64_t segmentAddress = 0;
};

// The process's images except the executable (gdb has that from exec-file), each read again
// to find its first section; an image whose file cannot be read is left out.
std::vector<Library> librariesOf(const ps::Process& process, std::string_view executablePath);

std::string libraryListXml(std::span<const Library> libraries);

}  // namespace ntoy::gdb
