#include "emulator/AliasWindow.h"

#include <fmt/format.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace ntoy::emu {

std::expected<AliasWindow, std::string> AliasWindow::reserve(const GuestRam& ram,
                                                             VirtualAddress base,
                                                             std::uint64_t size) {
    void* host = mmap(nullptr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (host == MAP_FAILED)
        return std::unexpected(fmt::format("reserving {} GiB of host address space: {}", size >> 30,
                                           std::strerror(errno)));
    return AliasWindow(ram, base, size, static_cast<std::byte*>(host));
}

AliasWindow::AliasWindow(AliasWindow&& o) noexcept
    : ramFd_(o.ramFd_),
      ramFirstPfn_(o.ramFirstPfn_),
      ramEndPfn_(o.ramEndPfn_),
      base_(o.base_),
      size_(o.size_),
      host_(std::exchange(o.host_, nullptr)),
      aliases_(std::move(o.aliases_)) {}

AliasWindow::~AliasWindow() {
    if (host_)
        munmap(host_, size_);
}

bool AliasWindow::alias(VirtualAddress va, Pfn pfn) {
    const std::uint64_t vpn = va.pageNumber();
    if (auto it = aliases_.find(vpn); it != aliases_.end() && it->second == pfn.value())
        return true;
    // Extend over following pages that alias nothing, within the window and within RAM.
    const std::uint64_t windowPagesLeft = (size_ - (va.pageBase() - base_)) / kPageSize;
    const std::uint64_t framesLeft = ramEndPfn_ - pfn;
    const std::uint64_t limit = std::min({kMaxRun, windowPagesLeft, framesLeft});
    std::uint64_t run = 1;
    while (run < limit && !aliases_.contains(vpn + run))
        ++run;
    void* at = host_ + (va.pageBase() - base_);
    void* r =
        mmap(at, run * kPageSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE,
             ramFd_, static_cast<off_t>((pfn - ramFirstPfn_) * kPageSize));
    if (r != at)
        return false;
    for (std::uint64_t i = 0; i < run; ++i)
        aliases_[vpn + i] = pfn.value() + i;
    return true;
}

}  // namespace ntoy::emu
