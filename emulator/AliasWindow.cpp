#include "emulator/AliasWindow.h"

#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace ntoy::emu {
namespace {

constexpr int kReservationFlags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

std::uint64_t bits(std::uint64_t count) {
    return count >= 64 ? ~0ull : (1ull << count) - 1;
}

}  // namespace

bool HostMappingBudget::make(std::uint64_t count, AliasWindow& asking) {
    if (limit_ - fragments_ >= count)
        return true;
    std::uint64_t wanted = count - (limit_ - fragments_);
    wanted -= std::min(wanted, asking.reclaim(wanted));
    for (AliasWindow* w : windows_) {
        if (wanted == 0)
            break;
        if (w != &asking)
            wanted -= std::min(wanted, w->reclaim(wanted));
    }
    return wanted == 0;
}

std::expected<AliasWindow, std::string> AliasWindow::reserve(const GuestRam& ram,
                                                             HostMappingBudget& budget,
                                                             VirtualAddress base,
                                                             std::uint64_t size) {
    void* host = mmap(nullptr, size, PROT_NONE, kReservationFlags, -1, 0);
    if (host == MAP_FAILED)
        return std::unexpected(fmt::format("reserving {} GiB of host address space: {}", size >> 30,
                                           std::strerror(errno)));
    return AliasWindow(ram, budget, base, size, static_cast<std::byte*>(host));
}

AliasWindow::AliasWindow(const GuestRam& ram, HostMappingBudget& budget, VirtualAddress base,
                         std::uint64_t size, std::byte* host)
    : ramFd_(ram.fd()),
      ramFirstPfn_(ram.physicalMemory().firstPfn()),
      ramEndPfn_(ram.physicalMemory().endPfn()),
      budget_(&budget),
      base_(base),
      size_(size),
      host_(host) {
    budget_->windows_.push_back(this);
}

AliasWindow::AliasWindow(AliasWindow&& o) noexcept
    : ramFd_(o.ramFd_),
      ramFirstPfn_(o.ramFirstPfn_),
      ramEndPfn_(o.ramEndPfn_),
      budget_(o.budget_),
      base_(o.base_),
      size_(o.size_),
      host_(std::exchange(o.host_, nullptr)),
      fragments_(std::move(o.fragments_)),
      stale_(std::move(o.stale_)) {
    o.fragments_.clear();
    o.stale_.clear();
    std::replace(budget_->windows_.begin(), budget_->windows_.end(), &o, this);
}

AliasWindow::~AliasWindow() {
    if (!host_)
        return;  // moved from
    std::erase(budget_->windows_, this);
    budget_->fragments_ -= fragments_.size();
    budget_->stale_ -= stale_.size();
    munmap(host_, size_);
}

AliasWindow::Fragments::iterator AliasWindow::fragmentAt(std::uint64_t vpn) {
    auto it = fragments_.upper_bound(vpn);
    if (it == fragments_.begin())
        return fragments_.end();
    --it;
    return vpn < it->first + it->second.pages ? it : fragments_.end();
}

std::optional<Pfn> AliasWindow::shownFrame(VirtualAddress va) const {
    const std::uint64_t vpn = va.pageNumber();
    auto it = fragments_.upper_bound(vpn);
    if (!contains(va) || it == fragments_.begin())
        return std::nullopt;
    --it;
    const std::uint64_t page = vpn - it->first;
    if (page >= it->second.pages || (it->second.live & (1ull << page)) == 0)
        return std::nullopt;
    return Pfn(it->second.firstPfn + page);
}

void AliasWindow::insertFragment(std::uint64_t vpn, Fragment f) {
    fragments_.emplace(vpn, f);
    ++budget_->fragments_;
    if (f.live == 0) {
        stale_.insert(vpn);
        ++budget_->stale_;
    }
}

void AliasWindow::eraseFragment(Fragments::iterator it) {
    if (it->second.live == 0) {
        stale_.erase(it->first);
        --budget_->stale_;
    }
    --budget_->fragments_;
    fragments_.erase(it);
}

void AliasWindow::setLive(Fragments::iterator it, std::uint64_t page, bool live) {
    Fragment& f = it->second;
    const bool wasStale = f.live == 0;
    f.live = live ? f.live | (1ull << page) : f.live & ~(1ull << page);
    const bool isStale = f.live == 0;
    if (wasStale && !isStale) {
        stale_.erase(it->first);
        --budget_->stale_;
    } else if (!wasStale && isStale) {
        stale_.insert(it->first);
        ++budget_->stale_;
    }
}

bool AliasWindow::alias(VirtualAddress va, Pfn pfn) {
    const std::uint64_t vpn = va.pageNumber();
    auto at = fragmentAt(vpn);
    if (at != fragments_.end() && at->second.firstPfn + (vpn - at->first) == pfn.value()) {
        setLive(at, vpn - at->first, true);
        return true;
    }
    // Inside another fragment only this page is re-pointed (splitting it in up to three);
    // elsewhere the run extends over following pages that no fragment holds, within the
    // window and within RAM.
    std::uint64_t run = 1;
    if (at == fragments_.end()) {
        const std::uint64_t windowPagesLeft = (size_ - (va.pageBase() - base_)) / kPageSize;
        const std::uint64_t framesLeft = ramEndPfn_ - pfn;
        std::uint64_t limit = std::min({kMaxRun, windowPagesLeft, framesLeft});
        if (auto next = fragments_.upper_bound(vpn); next != fragments_.end())
            limit = std::min(limit, next->first - vpn);
        run = limit;
    }
    if (!budget_->make(at == fragments_.end() ? 1 : 2, *this))
        return false;
    at = fragmentAt(vpn);  // reclaiming may have removed it
    void* where = host_ + (va.pageBase() - base_);
    void* r =
        mmap(where, run * kPageSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE,
             ramFd_, static_cast<off_t>((pfn - ramFirstPfn_) * kPageSize));
    if (r != where)
        return false;
    if (at != fragments_.end()) {
        const std::uint64_t start = at->first;
        const Fragment old = at->second;
        const std::uint64_t index = vpn - start;
        eraseFragment(at);
        if (index > 0)
            insertFragment(start, {index, old.firstPfn, old.live & bits(index)});
        if (index + 1 < old.pages)
            insertFragment(vpn + 1, {old.pages - index - 1, old.firstPfn + index + 1,
                                     (old.live >> (index + 1)) & bits(old.pages - index - 1)});
    }
    insertFragment(vpn, {run, pfn.value(), 1});
    return true;
}

void AliasWindow::unalias(VirtualAddress va) {
    const std::uint64_t vpn = va.pageNumber();
    if (auto at = fragmentAt(vpn); at != fragments_.end())
        setLive(at, vpn - at->first, false);
}

std::uint64_t AliasWindow::reclaim(std::uint64_t wanted) {
    std::uint64_t done = 0;
    while (done < wanted && !stale_.empty()) {
        const std::uint64_t vpn = *stale_.begin();
        auto it = fragments_.find(vpn);
        void* where = host_ + (VirtualAddress(vpn << kPageShift) - base_);
        // Back to the reservation: an identical anonymous PROT_NONE mapping, which the host
        // merges with the reservation around it.
        if (mmap(where, it->second.pages * kPageSize, PROT_NONE, kReservationFlags | MAP_FIXED, -1,
                 0) != where)
            break;
        eraseFragment(it);
        ++done;
    }
    return done;
}

}  // namespace ntoy::emu
