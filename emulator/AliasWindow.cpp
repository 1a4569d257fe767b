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
      base_(o.base_),
      size_(o.size_),
      host_(std::exchange(o.host_, nullptr)) {}

AliasWindow::~AliasWindow() {
    if (host_)
        munmap(host_, size_);
}

bool AliasWindow::alias(VirtualAddress va, Pfn pfn, std::uint64_t count) {
    void* at = host_ + (va - base_);
    void* r = mmap(at, count * kPageSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, ramFd_,
                   static_cast<off_t>((pfn - ramFirstPfn_) * kPageSize));
    return r == at;
}

void AliasWindow::unalias(VirtualAddress va, std::uint64_t count) {
    mmap(host_ + (va - base_), count * kPageSize, PROT_NONE,
         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}

}  // namespace ntoy::emu
