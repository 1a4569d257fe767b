#include "emulator/GuestRam.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "kernel/mm/SystemLayout.h"

namespace ntoy::emu {

std::expected<GuestRam, std::string> GuestRam::create(std::uint64_t bytes) {
    if (bytes == 0 || bytes % kPageSize != 0 || bytes > mm::kMaxRamBytes)
        return std::unexpected(fmt::format(
            "guest RAM must be a whole number of pages, at most {} MiB", mm::kMaxRamBytes >> 20));
    const int fd = memfd_create("ntoy-guest-ram", MFD_CLOEXEC);
    if (fd < 0)
        return std::unexpected(fmt::format("memfd_create: {}", std::strerror(errno)));
    if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
        const int e = errno;
        close(fd);
        return std::unexpected(
            fmt::format("sizing guest RAM to {} bytes: {}", bytes, std::strerror(e)));
    }
    void* view = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (view == MAP_FAILED) {
        const int e = errno;
        close(fd);
        return std::unexpected(fmt::format("mapping guest RAM: {}", std::strerror(e)));
    }
    return GuestRam(fd, static_cast<std::byte*>(view), bytes);
}

GuestRam::GuestRam(GuestRam&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), view_(std::exchange(o.view_, nullptr)), bytes_(o.bytes_) {}

GuestRam::~GuestRam() {
    if (view_)
        munmap(view_, bytes_);
    if (fd_ >= 0)
        close(fd_);
}

hal::PhysicalMemory GuestRam::physicalMemory() const {
    return hal::PhysicalMemory(view_, PhysicalAddress(mm::kRamPhysicalBase).pfn(),
                               bytes_ / kPageSize);
}

}  // namespace ntoy::emu
