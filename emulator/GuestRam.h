// Guest-physical RAM: one host shared-memory file. The kernel reaches every frame through a
// single host mapping (its direct view); the CPU reaches it through Unicorn at
// kRamPhysicalBase; user pages reach it through per-page host aliases of the same file.
#pragma once

#include <cstddef>
#include <expected>
#include <string>

#include "kernel/hal/PhysicalMemory.h"

namespace ntoy::emu {

class GuestRam {
public:
    static std::expected<GuestRam, std::string> create(std::uint64_t bytes);
    GuestRam(GuestRam&&) noexcept;
    GuestRam& operator=(GuestRam&&) = delete;
    GuestRam(const GuestRam&) = delete;
    ~GuestRam();

    int fd() const { return fd_; }
    std::byte* hostView() const { return view_; }
    std::uint64_t bytes() const { return bytes_; }
    hal::PhysicalMemory physicalMemory() const;

private:
    GuestRam(int fd, std::byte* view, std::uint64_t bytes) : fd_(fd), view_(view), bytes_(bytes) {}
    int fd_ = -1;
    std::byte* view_ = nullptr;
    std::uint64_t bytes_ = 0;
};

}  // namespace ntoy::emu
