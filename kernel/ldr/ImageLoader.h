// Maps PE images into a process: headers and sections with their own protections, base
// relocations when the preferred base is taken, and imports resolved (case-insensitively, by
// name or ordinal, through forwarders) against the DLLs it loads along the way. The process
// keeps what is mapped (Process::images()); a loader is only the operation, made per use.
//
// A DLL is named by its file name alone (DllName.h) and looked for, ignoring case, in the
// executable's folder and then the system folder; ntdll.dll and kernel32.dll (known DLLs)
// only in the system folder. Nothing else on the host is ever opened.
#pragma once

#include <expected>
#include <filesystem>
#include <string_view>

#include "kernel/ldr/LoadError.h"
#include "kernel/ps/Process.h"

namespace ntoy::ldr {

class ImageLoader {
public:
    explicit ImageLoader(ps::Process& process) : process_(process) {}

    // Process creation: the executable, then ntdll (always there, as on Windows: threads
    // start in it), then everything the executable imports. DLLs come from the executable's
    // folder and `systemDir`. Errors name the file and the cause.
    std::expected<const ps::LoadedImage*, LoadError> loadExecutable(
        const std::filesystem::path& path, const std::filesystem::path& systemDir);
    // The kernel's half of LoadLibrary: the DLL named `name` with everything it imports, or
    // the image already mapped under that name. All or nothing: when it fails, the images
    // it mapped are gone again.
    std::expected<const ps::LoadedImage*, LoadError> loadDll(std::string_view name);
    // Unmaps the image that contains `va`; false if no image does.
    bool unmap(VirtualAddress va);

    const ps::LoadedImage* find(std::string_view dllName) const;

    struct Export {
        VirtualAddress address;
        const ps::LoadedImage* module;  // where it is implemented, forwarders followed
    };
    // An export of a mapped image, following forwarders (which may map more DLLs).
    std::expected<Export, LoadError> resolveExport(const ps::LoadedImage& module,
                                                   std::string_view name, std::uint16_t ordinal,
                                                   bool byOrdinal, int depth = 0);

private:
    // `importer` names who asked, for errors: an image, or "LoadLibrary".
    std::expected<const ps::LoadedImage*, LoadError> loadDependency(std::string_view name,
                                                                    std::string_view importer,
                                                                    int depth);
    // Reads, parses and places an image, and registers it before its imports are bound, so
    // that import cycles end at it.
    // `guestDirectory` is its folder as the guest sees it (ImageSearchPath).
    std::expected<ps::LoadedImage*, LoadError> map(const std::filesystem::path& path,
                                                   std::string_view guestDirectory);
    // Relocates the image, binds its imports (mapping what they need) and fills its pages.
    std::expected<void, LoadError> bind(ps::LoadedImage& module, int depth);
    std::expected<VirtualAddress, LoadError> chooseBase(const PeImage& image);
    std::expected<void, LoadError> commitAndCopy(const ps::LoadedImage& module,
                                                 std::span<const std::byte> bytes);
    void unmapImage(std::list<ps::LoadedImage>::iterator image);

    ps::Process& process_;
};

}  // namespace ntoy::ldr
