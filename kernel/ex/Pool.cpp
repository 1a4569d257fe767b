#include "kernel/ex/Pool.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <set>

#include "kernel/ex/PoolLayout.h"
#include "kernel/mm/MemoryManager.h"

namespace ntoy::ex {

using namespace layout;
using ke::BugCheckCode;

namespace {

constexpr std::uint32_t kTrackerEntries = 1024;  // a power of two; the last is 'Ovfl'
constexpr std::uint32_t kFirstBigEntries = 256;  // a power of two; doubles when 3/4 full

std::uint64_t pagesFor(std::uint64_t bytes) {
    return (bytes + kPageSize - 1) / kPageSize;
}

std::uint64_t headerWord(const PoolHeader& h) {
    std::uint64_t w = 0;
    std::memcpy(&w, &h, 8);
    return w;
}

// The base POOL_TYPE a kind's blocks record.
std::uint8_t baseType(PoolKind k) {
    return isPaged(k) ? pool_type::kPagedPool : pool_type::kNonPagedPool;
}

}  // namespace

std::string tagText(std::uint32_t tag) {
    std::string text(4, '.');
    for (unsigned i = 0; i < 4; ++i) {
        const auto c = static_cast<unsigned char>(tag >> (8 * i));
        if (c >= 0x20 && c < 0x7F)
            text[i] = static_cast<char>(c);
    }
    return text;
}

const char* poolKindName(PoolKind kind) {
    switch (kind) {
        case PoolKind::NonPagedNx:
            return "NonPagedPoolNx";
        case PoolKind::NonPagedExecute:
            return "NonPagedPool";
        case PoolKind::Paged:
            return "PagedPool";
    }
    return "?";
}

// The pool's view of system memory during one operation: a few pages' host addresses, each
// brought back and pinned by SystemSpace::access the first time. done() ends the operation.
class Pool::Memory {
public:
    explicit Memory(mm::SystemSpace& system) : system_(system) {}

    template <typename T>
    T get(std::uint64_t va) {
        T v;
        copy(va, reinterpret_cast<std::byte*>(&v), sizeof v, false);
        return v;
    }
    template <typename T>
    void put(std::uint64_t va, const T& v) {
        copy(va, const_cast<std::byte*>(reinterpret_cast<const std::byte*>(&v)), sizeof v, true);
    }
    void zero(std::uint64_t va, std::uint64_t n) {
        while (n != 0) {
            const std::uint64_t piece = std::min(n, kPageSize - (va & kPageMask));
            std::memset(at(va, true), 0, piece);
            va += piece;
            n -= piece;
        }
    }
    void done() {
        cache_.fill({});
        system_.unpinAll();
    }
    // Pages the pool gives back: their host addresses go with them.
    void forget(VirtualAddress va, std::uint64_t pages) {
        for (std::uint64_t i = 0; i < pages; ++i) {
            const std::uint64_t page = va.value() + i * kPageSize;
            if (Stable& s = stable_[(page >> kPageShift) % stable_.size()]; s.page == page)
                s = {};
        }
        // Their host addresses go; the pins only if no enclosing operation still needs its own.
        cache_.fill({});
        if (depth_ <= 1)
            system_.unpinAll();
    }
    // Ends the operation even when it unwinds. Scopes nest: only the outermost ends it, so
    // that a look at the pool from inside an operation (a trace's sample taken while paging
    // for it) leaves the operation's pins in place.
    class Scope {
    public:
        explicit Scope(Memory& m) : m_(m) { ++m_.depth_; }
        ~Scope() {
            if (--m_.depth_ == 0)
                m_.done();
        }
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        Memory& m_;
    };

private:
    static constexpr std::uint64_t kPageMask = kPageSize - 1;
    unsigned depth_ = 0;  // Scopes open
    struct Entry {
        std::uint64_t page = 1;  // never a page address
        std::byte* host = nullptr;
        bool written = false;
    };
    std::byte* at(std::uint64_t va, bool write) {
        const std::uint64_t page = va & ~kPageMask;
        if (kNonPaged.contains(page)) {
            // A nonpaged page keeps its frame while it is mapped, and nothing of it is ever in
            // the paging file: its host address holds across operations, reads and writes.
            Stable& s = stable_[(page >> kPageShift) % stable_.size()];
            if (s.page != page)
                s = {page, system_.access(VirtualAddress(page), false)};
            return s.host + (va & kPageMask);
        }
        for (Entry& e : cache_)
            if (e.page == page) {
                if (write && !e.written) {
                    system_.access(VirtualAddress(page), true);
                    e.written = true;
                }
                return e.host + (va & kPageMask);
            }
        // The page leaving the cache leaves its pin: nothing holds its address any more.
        Entry& e = cache_[next_++ % cache_.size()];
        if (e.host != nullptr)
            system_.unpin(VirtualAddress(e.page));
        e = {};  // no stale address while access() works (it may page, and so be looked at)
        e = {page, system_.access(VirtualAddress(page), write), write};
        return e.host + (va & kPageMask);
    }
    void copy(std::uint64_t va, std::byte* p, std::uint64_t n, bool write) {
        while (n != 0) {
            const std::uint64_t piece = std::min(n, kPageSize - (va & kPageMask));
            if (write)
                std::memcpy(at(va, true), p, piece);
            else
                std::memcpy(p, at(va, false), piece);
            va += piece;
            p += piece;
            n -= piece;
        }
    }
    static constexpr mm::SystemRegionRange kNonPaged =
        mm::systemRegion(mm::SystemRegion::NonPagedPool);
    struct Stable {
        std::uint64_t page = 1;
        std::byte* host = nullptr;
    };
    mm::SystemSpace& system_;
    std::array<Entry, 8> cache_{};
    unsigned next_ = 0;
    std::array<Stable, 256> stable_{};  // direct-mapped by page number
};

Pool::Pool(mm::MemoryManager& mm)
    : mm_(mm), system_(mm.systemSpace()), memory_(std::make_unique<Memory>(system_)) {
    Memory::Scope scope{*memory_};
    const auto rw = *mm::MmProtection::fromWin32(mm::page::kReadWrite);
    const auto& npp = mm::systemRegion(mm::SystemRegion::NonPagedPool);
    auto boot = [&](std::uint64_t bytes) {
        const auto va = system_.allocate(mm::SystemRegion::NonPagedPool, pagesFor(bytes), false, rw,
                                         npp.base, mm::kNonPagedPoolExecuteBase);
        // The machine has too little memory to run at all.
        NTOY_ASSERT(va.has_value(), BugCheckCode::NoPagesAvailable, pagesFor(bytes),
                    mm_.pfns().available(), 0, 0);
        return *va;
    };
    for (std::size_t k = 0; k < kPoolKindCount; ++k) {
        descriptors_[k] = boot(kDescriptorBytes);
        const auto kind = static_cast<PoolKind>(k);
        memory_->put(
            descriptors_[k].value(),
            PoolDescriptorCounters{isPaged(kind)                  ? pool_type::kPagedPool
                                   : kind == PoolKind::NonPagedNx ? pool_type::kNonPagedPoolNx
                                                                  : pool_type::kNonPagedPool,
                                   static_cast<std::uint32_t>(k), 0, 0, 0, 0, 0});
        for (unsigned i = 0; i < 256; ++i) {
            const std::uint64_t head = listHead(static_cast<PoolKind>(k), i);
            memory_->put(head, std::array<std::uint64_t, 2>{head, head});
        }
    }
    trackerEntries_ = kTrackerEntries;
    trackerTable_ = boot(kTrackerEntries * sizeof(PoolTrackerTable));
    memory_->put(trackerTable_.value() + (kTrackerEntries - 1) * sizeof(PoolTrackerTable),
                 kOverflowTag);
    bigEntries_ = kFirstBigEntries;
    bigTable_ = boot(kFirstBigEntries * sizeof(PoolTrackerBigPages));
    usage_[0].limit = std::min<std::uint64_t>(npp.size, mm_.pfns().total() * kPageSize / 4 * 3);
    usage_[1].limit = mm::systemRegion(mm::SystemRegion::PagedPool).size;
}

Pool::~Pool() = default;

std::optional<PoolKind> Pool::kindOfFlags(std::uint64_t flags) {
    using namespace pool_flag;
    constexpr std::uint64_t known = kUseQuota | kUninitialized | kSession | kCacheAligned |
                                    kRaiseOnFailure | kNonPaged | kNonPagedExecute | kPaged;
    if ((flags & kRequired & ~known) != 0 || (flags & kSession) != 0)
        return std::nullopt;
    switch (flags & (kNonPaged | kNonPagedExecute | kPaged)) {
        case kNonPaged:
            return PoolKind::NonPagedNx;
        case kNonPagedExecute:
            return PoolKind::NonPagedExecute;
        case kPaged:
            return PoolKind::Paged;
        default:
            return std::nullopt;
    }
}

std::optional<PoolKind> Pool::kindOfType(std::uint32_t poolType) {
    // The base types and their cache-aligned variants (4, 5), with the NX bit; session pool
    // (32 and up) and the must-succeed types ntoy does not have.
    const std::uint32_t nx = poolType & pool_type::kNonPagedPoolNx;
    switch (poolType & ~(pool_type::kNonPagedPoolNx | pool_type::kQuotaMask)) {
        case 0:
        case 4:
            return nx ? PoolKind::NonPagedNx : PoolKind::NonPagedExecute;
        case 1:
        case 5:
            return nx ? std::nullopt : std::optional(PoolKind::Paged);
        default:
            return std::nullopt;
    }
}

std::optional<PoolKind> Pool::kindOf(VirtualAddress va) {
    if (mm::systemRegion(mm::SystemRegion::PagedPool).contains(va.value()))
        return PoolKind::Paged;
    if (!mm::systemRegion(mm::SystemRegion::NonPagedPool).contains(va.value()))
        return std::nullopt;
    return va.value() >= mm::kNonPagedPoolExecuteBase ? PoolKind::NonPagedExecute
                                                      : PoolKind::NonPagedNx;
}

std::expected<VirtualAddress, NtStatus> Pool::allocate(PoolKind kind, std::uint64_t bytes,
                                                       std::uint32_t tag,
                                                       const std::shared_ptr<PoolQuota>& quota,
                                                       bool zero) {
    if (tag == 0)
        ke::bugCheck(BugCheckCode::BadPoolCaller, 0x9B, static_cast<std::uint64_t>(kind), bytes, 0,
                     "a pool allocation with a zero tag");
    if (bytes == 0)
        bytes = 1;  // ExAllocatePool2 gives a minimal block
    const bool big = bytes > kMaxSmallBytes;
    const std::uint64_t charge =
        big ? pagesFor(bytes) * kPageSize : (bytes + 2 * kUnit - 1) / kUnit * kUnit;
    const int paged = isPaged(kind) ? 1 : 0;
    if (quota && quota->usage[paged] + charge > quota->limit[paged])
        return std::unexpected(NtStatus::QuotaExceeded);
    Memory::Scope scope{*memory_};
    auto va = big ? allocateBig(kind, bytes, tag)
                  : allocateSmall(kind, static_cast<unsigned>(charge / kUnit), tag);
    if (!va)
        return va;
    if (!big && zero)
        memory_->zero(va->value(), charge - kUnit);
    if (quota) {
        quota->usage[paged] += charge;
        quota->peak[paged] = std::max(quota->peak[paged], quota->usage[paged]);
        charged_[va->value()] = quota;
        if (!big) {
            auto h = memory_->get<PoolHeader>(va->value() - kUnit);
            h.poolType |= kQuotaBit;
            h.processBilled = quota->billedTo;
            memory_->put(va->value() - kUnit, h);
        }
    }
    return va;
}

std::expected<VirtualAddress, NtStatus> Pool::allocateSmall(PoolKind kind, unsigned units,
                                                            std::uint32_t tag) {
    const std::size_t k = index(kind);
    // The lookaside list of this size: its newest block, whole.
    if (units <= kLookasideUnits && lookasideDepth_[k][units] != 0) {
        const std::uint64_t head = lookasideHead(kind, units);
        const auto link = memory_->get<std::uint64_t>(head);
        const std::uint64_t h = link - kLinkOffset;
        auto header = memory_->get<PoolHeader>(h);
        if (header.poolIndex != kLookasideIndex || header.blockSize != units ||
            header.poolType != 0)
            ke::bugCheck(BugCheckCode::BadPoolHeader, 0x20, h, headerWord(header), units,
                         "a lookaside block's header was overwritten");
        memory_->put(head, memory_->get<std::uint64_t>(link));
        --lookasideDepth_[k][units];
        memory_->put(head + 8, lookasideDepth_[k][units]);
        return handOut(kind, h, header.previousSize, units, tag);
    }
    // The smallest free block that fits, split.
    std::uint64_t h = 0;
    PoolHeader found{};
    for (unsigned size = units; size < kUnitsPerPage && h == 0; ++size) {
        if (!listed_[k][size])
            continue;
        const std::uint64_t head = listHead(kind, size);
        const auto first = memory_->get<std::uint64_t>(head);
        if (first == head) {
            listed_[k][size] = false;
            continue;
        }
        h = first - kLinkOffset;
        found = memory_->get<PoolHeader>(h);
        if (found.blockSize != size || found.poolType != 0 || found.poolIndex == kLookasideIndex)
            ke::bugCheck(BugCheckCode::BadPoolHeader, 0x20, h, headerWord(found), size,
                         "a free block's header was overwritten");
        unlink(kind, size, first);
    }
    if (h == 0) {
        const auto page = newPage(kind, 1);
        if (!page)
            return std::unexpected(NtStatus::InsufficientResources);
        h = page->value();
        found = PoolHeader{0, 0, 0, 0, 0, 0};
        found.blockSize = 0;  // a whole page: 256 units, which the header cannot hold
        smallPages_[k].insert(h);
        ++usage_[isPaged(kind)].pages;
    }
    const unsigned size = found.blockSize == 0 ? kUnitsPerPage : found.blockSize;
    if (size > units)
        insertFree(kind, h + units * kUnit, units, size - units);
    return handOut(kind, h, found.previousSize, units, tag);
}

VirtualAddress Pool::handOut(PoolKind kind, std::uint64_t h, unsigned previousSize, unsigned units,
                             std::uint32_t tag) {
    memory_->put(
        h, PoolHeader{static_cast<std::uint8_t>(previousSize), 0, static_cast<std::uint8_t>(units),
                      static_cast<std::uint8_t>(baseType(kind) + 1), tag, 0});
    track(tag, isPaged(kind), units * kUnit, true);
    noteUsage(kind, units * kUnit);
    return VirtualAddress(h + kUnit);
}

void Pool::insertFree(PoolKind kind, std::uint64_t h, unsigned previousSize, unsigned size) {
    memory_->put(h, PoolHeader{static_cast<std::uint8_t>(previousSize), 0,
                               static_cast<std::uint8_t>(size), 0, 0, 0});
    const std::uint64_t next = h + size * kUnit;
    if ((next & (kPageSize - 1)) != 0) {
        auto nh = memory_->get<PoolHeader>(next);
        nh.previousSize = static_cast<std::uint8_t>(size);
        memory_->put(next, nh);
    }
    if (size < 2)
        return;  // too small for a LIST_ENTRY: found again when a neighbour is freed
    const std::size_t k = index(kind);
    const std::uint64_t head = listHead(kind, size);
    const std::uint64_t entry = h + kLinkOffset;
    const auto first = memory_->get<std::uint64_t>(head);
    memory_->put(entry, std::array<std::uint64_t, 2>{first, head});
    memory_->put(first + 8, entry);
    memory_->put(head, entry);
    listed_[k][size] = true;
}

std::uint64_t Pool::listHead(PoolKind kind, unsigned size) const {
    return descriptors_[index(kind)].value() + kListHeadsOffset + size * 16ull;
}

std::uint64_t Pool::lookasideHead(PoolKind kind, unsigned units) const {
    return descriptors_[index(kind)].value() + kLookasideOffset + units * 16ull;
}

void Pool::unlink(PoolKind kind, unsigned size, std::uint64_t entry) {
    const auto [flink, blink] = memory_->get<std::array<std::uint64_t, 2>>(entry);
    const auto flinksBlink = memory_->get<std::uint64_t>(flink + 8);
    const auto blinksFlink = memory_->get<std::uint64_t>(blink);
    if (flinksBlink != entry || blinksFlink != entry)
        ke::bugCheck(BugCheckCode::BadPoolHeader, 3, entry, flinksBlink, blinksFlink,
                     "a pool free list is corrupt");
    memory_->put(blink, flink);
    memory_->put(flink + 8, blink);
    if (const std::uint64_t head = listHead(kind, size); memory_->get<std::uint64_t>(head) == head)
        listed_[index(kind)][size] = false;
}

std::optional<VirtualAddress> Pool::newPage(PoolKind kind, std::uint64_t pages) {
    PoolUsage& u = usage_[isPaged(kind)];
    if ((u.pages + u.bigPages + pages) * kPageSize > u.limit)
        return std::nullopt;
    const auto& npp = mm::systemRegion(mm::SystemRegion::NonPagedPool);
    switch (kind) {
        case PoolKind::Paged:
            return system_.allocate(mm::SystemRegion::PagedPool, pages, true,
                                    *mm::MmProtection::fromWin32(mm::page::kReadWrite));
        case PoolKind::NonPagedNx:
            return system_.allocate(mm::SystemRegion::NonPagedPool, pages, false,
                                    *mm::MmProtection::fromWin32(mm::page::kReadWrite), npp.base,
                                    mm::kNonPagedPoolExecuteBase);
        case PoolKind::NonPagedExecute:
            return system_.allocate(mm::SystemRegion::NonPagedPool, pages, false,
                                    *mm::MmProtection::fromWin32(mm::page::kExecuteReadWrite),
                                    mm::kNonPagedPoolExecuteBase, npp.end());
    }
    return std::nullopt;
}

std::expected<VirtualAddress, NtStatus> Pool::allocateBig(PoolKind kind, std::uint64_t bytes,
                                                          std::uint32_t tag) {
    const std::uint64_t pages = pagesFor(bytes);
    const auto va = newPage(kind, pages);
    if (!va)
        return std::unexpected(NtStatus::InsufficientResources);
    if (!bigInsert(*va, tag, kind, pages * kPageSize)) {
        system_.free(*va, pages);
        return std::unexpected(NtStatus::InsufficientResources);
    }
    usage_[isPaged(kind)].bigPages += pages;
    track(tag, isPaged(kind), pages * kPageSize, true);
    noteUsage(kind, pages * kPageSize);
    return *va;
}

void Pool::free(VirtualAddress va, std::optional<std::uint32_t> tag) {
    Memory::Scope scope{*memory_};
    if (!mm::isSystemAddress(va.value()))
        ke::bugCheck(BugCheckCode::BadPoolCaller, 0x40, va.value(), mm::kSystemSpaceStart, 0,
                     fmt::format("freeing user address {:#x} to the pool", va.value()));
    const auto kind = kindOf(va);
    if (!kind)
        ke::bugCheck(BugCheckCode::BadPoolCaller, 0x42, va.value(), 0, 0,
                     fmt::format("freeing {:#x}, which was never in any pool", va.value()));
    if (va.value() % kUnit != 0)
        ke::bugCheck(BugCheckCode::BadPoolCaller, 0x46, va.value(), 0, 0,
                     fmt::format("freeing {:#x}, which no allocation starts at", va.value()));
    if (va.pageOffset() == 0)
        freeBig(va, tag);
    else
        freeSmall(*kind, va, tag);
}

void Pool::write(VirtualAddress va, std::span<const std::byte> bytes) {
    Memory::Scope scope{*memory_};
    for (std::size_t i = 0; i < bytes.size(); i += 8) {
        std::uint64_t word = 0;
        const std::size_t n = std::min<std::size_t>(8, bytes.size() - i);
        std::memcpy(&word, bytes.data() + i, n);
        if (n == 8)
            memory_->put(va.value() + i, word);
        else
            for (std::size_t j = 0; j < n; ++j)
                memory_->put(va.value() + i + j, bytes[i + j]);
    }
}

void Pool::freeNoThrow(VirtualAddress va, std::uint32_t tag) noexcept {
    try {
        free(va, tag);
    } catch (const ke::BugCheckStop& stop) {
        if (!pendingStop_)
            pendingStop_ = stop;
    }
}

void Pool::notAnAllocation(PoolKind kind, VirtualAddress va) {
    if (isPaged(kind)) {
        const auto& pp = mm::systemRegion(mm::SystemRegion::PagedPool);
        ke::bugCheck(BugCheckCode::BadPoolCaller, 0x50, va.value(),
                     (va.value() - pp.base) / kPageSize, pp.size,
                     fmt::format("freeing {:#x}, which is no paged pool allocation", va.value()));
    }
    const mm::Pte pte = mm_.systemTables().pteAt(va);
    ke::bugCheck(BugCheckCode::BadPoolCaller, 0x41, va.value(),
                 pte.isValid() ? pte.pfn().value() : 0, mm_.pfns().memory().endPfn().value() - 1,
                 fmt::format("freeing {:#x}, which is no nonpaged pool allocation", va.value()));
}

std::shared_ptr<PoolQuota> Pool::unbill(VirtualAddress va, std::uint32_t tag,
                                        std::uint64_t billed) {
    const auto it = charged_.find(va.value());
    if (it == charged_.end())
        ke::bugCheck(BugCheckCode::BadPoolCaller, 0x0D, va.value(), tag, billed,
                     "releasing quota on a pool block whose quota process is corrupt");
    auto quota = std::move(it->second);
    charged_.erase(it);
    return quota;
}

void Pool::freeSmall(PoolKind kind, VirtualAddress va, std::optional<std::uint32_t> tag) {
    const std::uint64_t h = va.value() - kUnit;
    const std::uint64_t page = h & ~(kPageSize - 1);
    const std::size_t k = index(kind);
    if (!smallPages_[k].contains(page))
        notAnAllocation(kind, va);
    PoolHeader header = memory_->get<PoolHeader>(h);
    if (header.poolType == 0)
        ke::bugCheck(BugCheckCode::BadPoolCaller, 7, 0, headerWord(header), va.value(),
                     fmt::format("freeing pool block {:#x} twice", va.value()));
    checkHeader(h, header);
    if (tag && *tag != header.poolTag)
        ke::bugCheck(BugCheckCode::BadPoolCaller, 0x0A, va.value(), header.poolTag, *tag,
                     fmt::format("freeing pool block {:#x} with the wrong tag", va.value()));
    if ((header.poolType & ~kQuotaBit) != baseType(kind) + 1)
        ke::bugCheck(BugCheckCode::BadPoolHeader, 0x20, h, headerWord(header), 0,
                     "a pool block's type does not match its pool");
    const unsigned units = header.blockSize;
    if (header.poolType & kQuotaBit) {
        const auto quota = unbill(va, header.poolTag, header.processBilled);
        quota->usage[isPaged(kind)] -= units * kUnit;
    }
    track(header.poolTag, isPaged(kind), -static_cast<std::int64_t>(units * kUnit), false);
    noteUsage(kind, -static_cast<std::int64_t>(units * kUnit));
    // The lookaside list, while it has room: whole, marked free, never coalesced.
    if (units <= kLookasideUnits && lookasideDepth_[k][units] < kLookasideDepth) {
        const std::uint64_t head = lookasideHead(kind, units);
        header.poolType = 0;
        header.poolIndex = kLookasideIndex;
        header.processBilled = 0;
        memory_->put(h, header);
        memory_->put(h + kLinkOffset, memory_->get<std::uint64_t>(head));
        memory_->put(head, h + kLinkOffset);
        ++lookasideDepth_[k][units];
        memory_->put(head + 8, lookasideDepth_[k][units]);
        return;
    }
    // Coalesce with free neighbours that are on lists (or too small to be).
    std::uint64_t start = h;
    unsigned size = units, previous = header.previousSize;
    const auto absorb = [&](std::uint64_t block, const PoolHeader& bh) {
        if (bh.blockSize >= 2)
            unlink(kind, bh.blockSize, block + kLinkOffset);
        size += bh.blockSize;
    };
    if (const std::uint64_t next = h + units * kUnit; (next & (kPageSize - 1)) != 0) {
        const auto nh = memory_->get<PoolHeader>(next);
        if (nh.poolType == 0 && nh.poolIndex != kLookasideIndex)
            absorb(next, nh);
    }
    if (previous != 0) {
        const std::uint64_t prev = h - previous * kUnit;
        const auto ph = memory_->get<PoolHeader>(prev);
        if (ph.poolType == 0 && ph.poolIndex != kLookasideIndex) {
            absorb(prev, ph);
            start = prev;
            previous = ph.previousSize;
        }
    }
    if (start != h) {
        // Absorbed into the block before it: no header may still say "allocated" inside.
        header.poolType = 0;
        memory_->put(h, header);
    }
    if (size == kUnitsPerPage) {
        // The whole page is free: back to the system.
        smallPages_[k].erase(page);
        memory_->forget(VirtualAddress(page), 1);
        --usage_[isPaged(kind)].pages;
        auto c = memory_->get<PoolDescriptorCounters>(descriptors_[k].value());
        c.totalPages = smallPages_[k].size();
        memory_->put(descriptors_[k].value(), c);
        system_.free(VirtualAddress(page), 1);
        return;
    }
    insertFree(kind, start, previous, size);
}

void Pool::checkHeader(std::uint64_t h, const PoolHeader& header) {
    const std::uint64_t page = h & ~(kPageSize - 1);
    const std::uint64_t offset = (h - page) / kUnit;
    const std::uint64_t next = h + header.blockSize * kUnit;
    if (header.blockSize == 0 || offset + header.blockSize > kUnitsPerPage)
        ke::bugCheck(BugCheckCode::BadPoolHeader, 0x20, h, next, 0,
                     fmt::format("pool block {:#x}: its header's size is corrupt", h + kUnit));
    if (offset + header.blockSize < kUnitsPerPage &&
        memory_->get<PoolHeader>(next).previousSize != header.blockSize)
        ke::bugCheck(BugCheckCode::BadPoolHeader, 0x20, h, next, 0,
                     fmt::format("pool block {:#x}: the next block's header disagrees with its "
                                 "size (an overrun?)",
                                 h + kUnit));
    if ((header.previousSize == 0) != (offset == 0))
        ke::bugCheck(
            BugCheckCode::BadPoolHeader, 5, h, 0, page,
            fmt::format("pool block {:#x}: its header's previous size is corrupt", h + kUnit));
    if (header.previousSize != 0) {
        const std::uint64_t prev = h - header.previousSize * kUnit;
        if (header.previousSize > offset ||
            memory_->get<PoolHeader>(prev).blockSize != header.previousSize)
            ke::bugCheck(
                BugCheckCode::BadPoolHeader, 5, h, 0, prev,
                fmt::format("pool block {:#x}: the previous block's header disagrees", h + kUnit));
    }
}

void Pool::freeBig(VirtualAddress va, std::optional<std::uint32_t> tag) {
    const PoolKind kind = *kindOf(va);
    const auto slot = bigFind(va);
    if (!slot)
        notAnAllocation(kind, va);
    const std::uint64_t at = bigTable_.value() + *slot * sizeof(PoolTrackerBigPages);
    auto entry = memory_->get<PoolTrackerBigPages>(at);
    if (tag && *tag != entry.key)
        ke::bugCheck(BugCheckCode::BadPoolCaller, 0x0A, va.value(), entry.key, *tag,
                     fmt::format("freeing pool block {:#x} with the wrong tag", va.value()));
    const std::uint64_t bytes = entry.numberOfBytes;
    if (charged_.contains(va.value()))
        unbill(va, entry.key, 0)->usage[isPaged(kind)] -= bytes;
    entry.va |= kBigEntryFree;
    memory_->put(at, entry);
    --bigUsed_;
    usage_[isPaged(kind)].bigPages -= bytes / kPageSize;
    track(entry.key, isPaged(kind), -static_cast<std::int64_t>(bytes), false);
    noteUsage(kind, -static_cast<std::int64_t>(bytes));
    memory_->forget(va, bytes / kPageSize);  // nor pinned, nor remembered
    system_.free(va, bytes / kPageSize);
}

// ---- the big-page table -------------------------------------------------------------------

namespace {
std::uint32_t bigHash(std::uint64_t va, std::uint32_t entries) {
    return static_cast<std::uint32_t>(((va >> 12) * 0x9E37'79B9'7F4A'7C15ull) >> 40) &
           (entries - 1);
}
}  // namespace

std::optional<std::uint32_t> Pool::bigFind(VirtualAddress va) const {
    for (std::uint32_t i = bigHash(va.value(), bigEntries_), n = 0; n < bigEntries_;
         ++n, i = (i + 1) & (bigEntries_ - 1)) {
        const auto e =
            memory_->get<PoolTrackerBigPages>(bigTable_.value() + i * sizeof(PoolTrackerBigPages));
        if (e.va == va.value())
            return i;
        if (e.va == 0)
            return std::nullopt;
    }
    return std::nullopt;
}

bool Pool::bigInsert(VirtualAddress va, std::uint32_t tag, PoolKind kind, std::uint64_t bytes) {
    // Tombstones count as used until the table is rebuilt, which growing does.
    if ((bigSlotsTaken_ + 1) * 4 > bigEntries_ * 3 && !bigGrow())
        return false;
    const PoolTrackerBigPages entry{va.value(), tag, baseType(kind), bytes};
    for (std::uint32_t i = bigHash(va.value(), bigEntries_);; i = (i + 1) & (bigEntries_ - 1)) {
        const std::uint64_t at = bigTable_.value() + i * sizeof(PoolTrackerBigPages);
        const auto e = memory_->get<PoolTrackerBigPages>(at);
        if (e.va == 0 || (e.va & kBigEntryFree) != 0) {
            bigSlotsTaken_ += e.va == 0;
            memory_->put(at, entry);
            ++bigUsed_;
            return true;
        }
    }
}

bool Pool::bigGrow() {
    // Twice the entries if more than half are live, else the same number, rebuilt without
    // tombstones.
    const std::uint32_t entries = bigUsed_ * 2 > bigEntries_ ? bigEntries_ * 2 : bigEntries_;
    const auto table = system_.allocate(
        mm::SystemRegion::NonPagedPool, pagesFor(entries * sizeof(PoolTrackerBigPages)), false,
        *mm::MmProtection::fromWin32(mm::page::kReadWrite),
        mm::systemRegion(mm::SystemRegion::NonPagedPool).base, mm::kNonPagedPoolExecuteBase);
    if (!table)
        return false;
    const VirtualAddress old = bigTable_;
    const std::uint32_t oldEntries = bigEntries_;
    bigTable_ = *table;
    bigEntries_ = entries;
    bigUsed_ = bigSlotsTaken_ = 0;
    for (std::uint32_t i = 0; i < oldEntries; ++i) {
        const auto e =
            memory_->get<PoolTrackerBigPages>(old.value() + i * sizeof(PoolTrackerBigPages));
        if (e.va == 0 || (e.va & kBigEntryFree) != 0)
            continue;
        for (std::uint32_t j = bigHash(e.va, entries);; j = (j + 1) & (entries - 1)) {
            const std::uint64_t at = bigTable_.value() + j * sizeof(PoolTrackerBigPages);
            if (memory_->get<std::uint64_t>(at) == 0) {
                memory_->put(at, e);
                ++bigUsed_;
                ++bigSlotsTaken_;
                break;
            }
        }
    }
    memory_->forget(old, pagesFor(oldEntries * sizeof(PoolTrackerBigPages)));
    system_.free(old, pagesFor(oldEntries * sizeof(PoolTrackerBigPages)));
    return true;
}

std::optional<Pool::BigPage> Pool::bigPageAt(VirtualAddress va) const {
    Memory::Scope scope{*memory_};
    const auto slot = bigFind(va);
    if (!slot)
        return std::nullopt;
    const auto e =
        memory_->get<PoolTrackerBigPages>(bigTable_.value() + *slot * sizeof(PoolTrackerBigPages));
    return BigPage{va, e.key, e.numberOfBytes, *kindOf(va)};
}

std::vector<Pool::BigPage> Pool::bigPages() const {
    Memory::Scope scope{*memory_};
    std::vector<BigPage> out;
    for (std::uint32_t i = 0; i < bigEntries_; ++i) {
        const auto e =
            memory_->get<PoolTrackerBigPages>(bigTable_.value() + i * sizeof(PoolTrackerBigPages));
        if (e.va != 0 && (e.va & kBigEntryFree) == 0)
            out.push_back(
                {VirtualAddress(e.va), e.key, e.numberOfBytes, *kindOf(VirtualAddress(e.va))});
    }
    std::ranges::sort(out, {}, [](const BigPage& b) { return b.va; });
    return out;
}

std::vector<VirtualAddress> Pool::smallPages(PoolKind kind) const {
    std::vector<VirtualAddress> out;
    for (const std::uint64_t p : smallPages_[index(kind)])
        out.emplace_back(p);
    return out;
}

// ---- accounting ---------------------------------------------------------------------------

void Pool::track(std::uint32_t tag, bool paged, std::int64_t bytes, bool alloc) {
    const std::uint32_t last = trackerEntries_ - 1;  // 'Ovfl'
    std::uint32_t i = ((tag * 40543u) >> 2) % last;
    std::uint64_t at = 0;
    for (std::uint32_t n = 0; n < last; ++n, i = (i + 1) % last) {
        const std::uint64_t e = trackerTable_.value() + i * sizeof(PoolTrackerTable);
        const auto key = memory_->get<std::uint32_t>(e);
        if (key == tag || key == 0) {
            if (key == 0)
                memory_->put(e, tag);
            at = e;
            break;
        }
    }
    if (at == 0)
        at = trackerTable_.value() + last * sizeof(PoolTrackerTable);
    auto t = memory_->get<PoolTrackerTable>(at);
    if (paged) {
        (alloc ? t.pagedAllocs : t.pagedFrees) += 1;
        t.pagedBytes += static_cast<std::uint64_t>(bytes);
    } else {
        (alloc ? t.nonPagedAllocs : t.nonPagedFrees) += 1;
        t.nonPagedBytes += static_cast<std::uint64_t>(bytes);
    }
    memory_->put(at, t);
}

void Pool::noteUsage(PoolKind kind, std::int64_t bytes) {
    PoolUsage& u = usage_[isPaged(kind)];
    u.used += static_cast<std::uint64_t>(bytes);
    u.peak = std::max(u.peak, u.used);
    (bytes > 0 ? u.allocs : u.frees) += 1;
    const std::size_t k = index(kind);
    auto c = memory_->get<PoolDescriptorCounters>(descriptors_[k].value());
    (bytes > 0 ? c.runningAllocs : c.runningDeAllocs) += 1;
    c.totalBytes += static_cast<std::uint64_t>(bytes);
    c.totalPages = smallPages_[k].size();
    c.totalBigPages = u.bigPages;
    memory_->put(descriptors_[k].value(), c);
}

PoolUsage Pool::usage(bool paged) const {
    return usage_[paged ? 1 : 0];
}

std::vector<PoolTagUsage> Pool::tagUsage() const {
    Memory::Scope scope{*memory_};
    std::vector<PoolTagUsage> out;
    for (std::uint32_t i = 0; i < trackerEntries_; ++i) {
        const auto t =
            memory_->get<PoolTrackerTable>(trackerTable_.value() + i * sizeof(PoolTrackerTable));
        if (t.key == 0 || (t.key == kOverflowTag && t.nonPagedAllocs + t.pagedAllocs == 0))
            continue;
        out.push_back({t.key, t.nonPagedAllocs, t.nonPagedFrees, t.pagedAllocs, t.pagedFrees,
                       t.nonPagedBytes, t.pagedBytes});
    }
    return out;
}

// ---- the checks ---------------------------------------------------------------------------

std::optional<std::string> Pool::verify() const {
    Memory::Scope scope{*memory_};
    struct Count {
        std::int64_t blocks = 0, bytes = 0;
    };
    std::map<std::pair<std::uint32_t, bool>, Count> found;  // (tag, paged)
    for (std::size_t k = 0; k < kPoolKindCount; ++k) {
        const auto kind = static_cast<PoolKind>(k);
        const bool paged = isPaged(kind);
        std::set<std::uint64_t> freeBlocks;
        std::map<unsigned, std::uint64_t> lookaside;  // size -> blocks
        for (const std::uint64_t page : smallPages_[k]) {
            unsigned offset = 0, previous = 0;
            while (offset < kUnitsPerPage) {
                const std::uint64_t h = page + offset * kUnit;
                const auto header = memory_->get<PoolHeader>(h);
                if (header.previousSize != previous || header.blockSize == 0 ||
                    offset + header.blockSize > kUnitsPerPage)
                    return fmt::format(
                        "{} page {:#x}: the header at {:#x} does not chain "
                        "(previous {} want {}, size {})",
                        poolKindName(kind), page, h, header.previousSize, previous,
                        header.blockSize);
                if (header.poolType != 0) {
                    Count& c = found[{header.poolTag, paged}];
                    ++c.blocks;
                    c.bytes += header.blockSize * kUnit;
                } else if (header.poolIndex == kLookasideIndex) {
                    ++lookaside[header.blockSize];
                } else if (header.blockSize >= 2) {
                    freeBlocks.insert(h);
                }
                previous = header.blockSize;
                offset += header.blockSize;
            }
        }
        // Every listed block is free, of its list's size, and every free block is listed.
        std::uint64_t listed = 0;
        for (unsigned size = 0; size < kUnitsPerPage; ++size) {
            const std::uint64_t head = listHead(kind, size);
            for (auto e = memory_->get<std::uint64_t>(head); e != head;
                 e = memory_->get<std::uint64_t>(e)) {
                const std::uint64_t h = e - kLinkOffset;
                if (!freeBlocks.contains(h) || memory_->get<PoolHeader>(h).blockSize != size)
                    return fmt::format(
                        "{} free list {} holds {:#x}, which is no free block of "
                        "that size",
                        poolKindName(kind), size, h);
                if (++listed > freeBlocks.size())
                    return fmt::format("{} free list {} loops", poolKindName(kind), size);
                if (size != 0 && !listed_[k][size])
                    return fmt::format("{} free list {} is not marked as holding blocks",
                                       poolKindName(kind), size);
            }
        }
        if (listed != freeBlocks.size())
            return fmt::format("{}: {} free blocks but {} on the lists", poolKindName(kind),
                               freeBlocks.size(), listed);
        for (unsigned size = 1; size <= kLookasideUnits; ++size) {
            const std::uint64_t head = lookasideHead(kind, size);
            std::uint64_t n = 0;
            for (auto e = memory_->get<std::uint64_t>(head); e != 0 && n <= kLookasideDepth;
                 e = memory_->get<std::uint64_t>(e))
                ++n;
            if (n != lookasideDepth_[k][size] || n != lookaside[size] ||
                memory_->get<std::uint32_t>(head + 8) != n)
                return fmt::format(
                    "{} lookaside list {} holds {} blocks, but {} are counted and "
                    "{} marked",
                    poolKindName(kind), size, n, lookasideDepth_[k][size], lookaside[size]);
        }
    }
    std::uint32_t live = 0;
    for (std::uint32_t i = 0; i < bigEntries_; ++i) {
        const auto e =
            memory_->get<PoolTrackerBigPages>(bigTable_.value() + i * sizeof(PoolTrackerBigPages));
        if (e.va == 0 || (e.va & kBigEntryFree) != 0)
            continue;
        ++live;
        Count& c = found[{e.key, isPaged(*kindOf(VirtualAddress(e.va)))}];
        ++c.blocks;
        c.bytes += static_cast<std::int64_t>(e.numberOfBytes);
    }
    if (live != bigUsed_)
        return fmt::format("the big-page table holds {} allocations, but {} are counted", live,
                           bigUsed_);
    // The tracker table against the blocks (unless some tags overflowed into 'Ovfl').
    std::map<std::pair<std::uint32_t, bool>, Count> tracked;
    bool overflowed = false;
    for (const PoolTagUsage& t : tagUsage()) {
        overflowed |= t.tag == kOverflowTag;
        if (t.nonPagedAllocs != t.nonPagedFrees || t.nonPagedBytes != 0)
            tracked[{t.tag, false}] = {
                static_cast<std::int64_t>(t.nonPagedAllocs) - t.nonPagedFrees,
                static_cast<std::int64_t>(t.nonPagedBytes)};
        if (t.pagedAllocs != t.pagedFrees || t.pagedBytes != 0)
            tracked[{t.tag, true}] = {static_cast<std::int64_t>(t.pagedAllocs) - t.pagedFrees,
                                      static_cast<std::int64_t>(t.pagedBytes)};
    }
    if (!overflowed) {
        for (const auto& [key, c] : found) {
            const auto it = tracked.find(key);
            const Count t = it == tracked.end() ? Count{} : it->second;
            if (t.blocks != c.blocks || t.bytes != c.bytes)
                return fmt::format(
                    "tag {:#x} ({}): {} blocks of {} bytes found, the tracker "
                    "table counts {} of {}",
                    key.first, key.second ? "paged" : "nonpaged", c.blocks, c.bytes, t.blocks,
                    t.bytes);
        }
        for (const auto& [key, t] : tracked)
            if (!found.contains(key))
                return fmt::format(
                    "tag {:#x} ({}): the tracker table counts {} blocks, none "
                    "found",
                    key.first, key.second ? "paged" : "nonpaged", t.blocks);
    }
    std::uint64_t used[2] = {};
    for (const auto& [key, c] : found)
        used[key.second] += static_cast<std::uint64_t>(c.bytes);
    for (int paged = 0; paged < 2; ++paged)
        if (used[paged] != usage_[paged].used)
            return fmt::format("{} pool: blocks hold {} bytes, but {} are counted",
                               paged ? "paged" : "nonpaged", used[paged], usage_[paged].used);
    return std::nullopt;
}

// ---- the API as Windows names it --------------------------------------------------------

VirtualAddress ExAllocatePool2(Pool& pool, std::uint64_t flags, std::uint64_t bytes,
                               std::uint32_t tag, const std::shared_ptr<PoolQuota>& quota) {
    const auto kind = Pool::kindOfFlags(flags);
    if (!kind)
        return VirtualAddress();
    const auto block =
        pool.allocate(*kind, bytes, tag, (flags & pool_flag::kUseQuota) ? quota : nullptr,
                      (flags & pool_flag::kUninitialized) == 0);
    return block.value_or(VirtualAddress());
}

VirtualAddress ExAllocatePoolWithTag(Pool& pool, std::uint32_t poolType, std::uint64_t bytes,
                                     std::uint32_t tag) {
    const auto kind = Pool::kindOfType(poolType);
    if (!kind)
        return VirtualAddress();
    // Not zeroed, as ExAllocatePoolWithTag's blocks are not.
    return pool.allocate(*kind, bytes, tag, nullptr, false).value_or(VirtualAddress());
}

void ExFreePoolWithTag(Pool& pool, VirtualAddress block, std::uint32_t tag) {
    pool.free(block, tag);
}

void ExFreePool(Pool& pool, VirtualAddress block) {
    pool.free(block, std::nullopt);
}

}  // namespace ntoy::ex
