// The images in system space: ntoy's guest ntoskrnl.exe and the drivers loaded against it, as
// Windows' PsLoadedModuleList holds them. Each is a PE32+ laid out in the driver-images region
// page by page, every page nonpaged and supervisor-only with its section's protection (code
// RX, data NX, headers read-only), relocated to where it landed, its imports bound to
// ntoskrnl.exe's exports. A driver's INIT sections are discarded once DriverEntry has run.
// Everything here is memory; running code is the kernel's (Kernel::loadDriver).
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/base/Types.h"
#include "kernel/ldr/PeImage.h"
#include "kernel/mm/FreeRanges.h"

namespace ntoy::mm {
class MemoryManager;
}

namespace ntoy::io {

struct SystemImage {
    std::string name;  // its file name as given, e.g. "ntoyecho.sys"
    std::string path;  // the host path it was read from
    VirtualAddress base;
    std::uint64_t size = 0;  // bytes of address space, whole pages
    std::shared_ptr<const ldr::PeImage> image;
    // Its pages that are mapped now (INIT's go when discarded).
    std::vector<VirtualAddress> pages;
    // INIT sections' pages, until discarded.
    std::vector<VirtualAddress> initPages;

    bool contains(VirtualAddress va) const {
        return va.value() >= base.value() && va.value() - base.value() < size;
    }
    // "ntoyecho.sys+0x1a2b".
    std::string locate(VirtualAddress va) const;
};

class SystemImages {
public:
    explicit SystemImages(mm::MemoryManager& mm);
    ~SystemImages();
    SystemImages(const SystemImages&) = delete;
    SystemImages& operator=(const SystemImages&) = delete;

    // Maps the image at `path`. Its imports must all come from `kernel` (ntoskrnl.exe), whose
    // exports they bind to; without `kernel` (ntoskrnl.exe itself), it may import nothing.
    // Every import `kernel` lacks is named in the error, not only the first.
    std::expected<SystemImage*, ldr::LoadError> load(const std::filesystem::path& path,
                                                     const SystemImage* kernel);
    // Unmaps INIT's pages (after DriverEntry).
    void discardInit(SystemImage& image);
    // Unmaps the whole image and forgets it.
    void unload(SystemImage& image);

    // The image holding `va`, if any.
    const SystemImage* containing(VirtualAddress va) const;
    // An export of `image` by name: its address.
    static std::optional<VirtualAddress> exportAddress(const SystemImage& image,
                                                       std::string_view name);
    // "ntoyecho.sys+0x1a2b", or the address in hex when no image holds it.
    std::string locate(VirtualAddress va) const;
    const std::list<SystemImage>& images() const { return images_; }
    // Where an unloaded image was (Windows' MmUnloadedDrivers), for DRIVER_UNLOADED_WITHOUT_
    // CANCELLING_PENDING_OPERATIONS: the latest holding `va`, unless a loaded image does now.
    struct UnloadedImage {
        std::string name;
        VirtualAddress base;
        std::uint64_t size = 0;
    };
    const UnloadedImage* unloadedAt(VirtualAddress va) const;

private:
    mm::MemoryManager& mm_;
    std::list<SystemImage> images_;
    std::vector<UnloadedImage> unloaded_;
    mm::FreeRanges free_;
};

}  // namespace ntoy::io
