// Maps PE images into a process: headers and sections with their own protections, base
// relocations when the preferred base is taken, and imports resolved (case-insensitively, by
// name or ordinal, through forwarders) against the DLLs it loads along the way.
#pragma once

#include <expected>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernel/ldr/LoadError.h"
#include "kernel/ldr/PeImage.h"
#include "kernel/ps/Process.h"

namespace ntoy::ldr {

class ImageLoader {
public:
    // DLLs are looked for in the executable's folder, then in `systemDir`; ntdll.dll and
    // kernel32.dll (known DLLs) only in `systemDir`.
    ImageLoader(ps::Process& process, std::filesystem::path systemDir);

    struct Module {
        std::string name;  // file name, as found
        std::filesystem::path path;
        VirtualAddress base;
        std::shared_ptr<const PeImage> image;
    };

    // Loads the executable and everything it imports. Errors name the file and the cause.
    std::expected<const Module*, LoadError> loadExecutable(const std::filesystem::path& path);
    const Module* find(std::string_view dllName) const;
    // An export's address in a loaded module, following forwarders.
    std::expected<VirtualAddress, LoadError> resolveExport(const Module& module,
                                                           std::string_view name,
                                                           std::uint16_t ordinal, bool byOrdinal,
                                                           int depth = 0);

private:
    std::expected<const Module*, LoadError> loadDll(std::string_view name, const Module& importer,
                                                    int depth);
    std::expected<const Module*, LoadError> map(const std::filesystem::path& path, int depth);
    std::expected<VirtualAddress, LoadError> chooseBase(const PeImage& image);
    std::expected<void, LoadError> commitAndCopy(const Module& module,
                                                 std::span<const std::byte> bytes);

    ps::Process& process_;
    std::filesystem::path systemDir_;
    std::filesystem::path appDir_;
    std::vector<std::unique_ptr<Module>> modules_;
};

}  // namespace ntoy::ldr
