// The executive's pools: paged and nonpaged pool, allocated as Windows' x64 pool allocator
// allocates them, with every structure in guest system memory where ring-0 code and the
// debugger read it (the layouts are in PoolLayout.h).
//
//   - A block under a page carries a POOL_HEADER; sizes count 16-byte units. Blocks are carved
//     from pool pages; the free ones of each size wait on their descriptor's ListHeads[size],
//     a LIST_ENTRY in the block, and coalesce with free neighbours when freed. A page whose
//     blocks are all free goes back to the system.
//   - Freed blocks of up to 32 units first go to the descriptor's lookaside list of their
//     size (bounded), whole, marked free but never coalesced, and the next allocation of that
//     size takes the newest back.
//   - A block of more than 4064 bytes is whole pages, with no header: the big-page table
//     records its address, tag, pool and size.
//   - Each tag's allocations, frees and bytes are counted in the tracker table, paged and
//     nonpaged apart; a table that fills up counts the rest under 'Ovfl', as Windows does.
//
// A broken contract is Windows' bug check: freeing with the wrong tag, twice, or an address
// that is no allocation is BAD_POOL_CALLER (0xC2); a header or free list found corrupt is
// BAD_POOL_HEADER (0x19).
#pragma once

#include <bitset>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kernel/base/NtStatus.h"
#include "kernel/ex/PoolLayout.h"
#include "kernel/ke/BugCheck.h"
#include "kernel/mm/SystemSpace.h"

namespace ntoy::mm {
class MemoryManager;
}

namespace ntoy::ex {

// POOL_TYPE's base types, and the POOL_FLAG_* of ExAllocatePool2 (wdm.h).
namespace pool_type {
inline constexpr std::uint32_t kNonPagedPool = 0, kPagedPool = 1, kNonPagedPoolNx = 0x200;
inline constexpr std::uint32_t kQuotaMask = 8;  // POOL_QUOTA_FAIL_INSTEAD_OF_RAISE's bit
}  // namespace pool_type
namespace pool_flag {
inline constexpr std::uint64_t kUseQuota = 0x1, kUninitialized = 0x2, kSession = 0x4,
                               kCacheAligned = 0x8, kRaiseOnFailure = 0x20, kNonPaged = 0x40,
                               kNonPagedExecute = 0x80, kPaged = 0x100;
inline constexpr std::uint64_t kRequired = 0xFFFF'FFFF;  // the flags a caller must understand
}  // namespace pool_flag

// A tag as its four bytes read in memory order ('Even'), non-printables as '.'.
std::string tagText(std::uint32_t tag);

// The three pools ntoy keeps, each with its descriptor.
enum class PoolKind : std::uint8_t { NonPagedNx, NonPagedExecute, Paged };
inline constexpr std::size_t kPoolKindCount = 3;
const char* poolKindName(PoolKind kind);
constexpr bool isPaged(PoolKind k) {
    return k == PoolKind::Paged;
}

// A process's pool quota (EPROCESS_QUOTA_BLOCK): what it is charged, paged and nonpaged, its
// peaks and its limits. Shared by the allocations charged to it, which may outlive the
// process, so that freeing one gives the charge back.
struct PoolQuota {
    std::uint64_t usage[2] = {};  // [0] nonpaged, [1] paged
    std::uint64_t peak[2] = {};
    std::uint64_t limit[2] = {~0ull, ~0ull};
    std::uint64_t billedTo = 0;  // the process's body in pool: the header's ProcessBilled
};

// One tag's line of the tracker table.
struct PoolTagUsage {
    std::uint32_t tag = 0;
    std::uint32_t nonPagedAllocs = 0, nonPagedFrees = 0, pagedAllocs = 0, pagedFrees = 0;
    std::uint64_t nonPagedBytes = 0, pagedBytes = 0;
};

// Usage of one pool (nonpaged counts both nonpaged descriptors): bytes in allocated blocks,
// their peak, and the limit.
struct PoolUsage {
    std::uint64_t used = 0, peak = 0, limit = 0;
    std::uint64_t pages = 0, bigPages = 0;
    std::uint64_t allocs = 0, frees = 0;
};

class Pool {
public:
    // Builds the descriptors, the tracker table and the big-page table in nonpaged pool.
    explicit Pool(mm::MemoryManager& mm);
    ~Pool();
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    // A block of `bytes` from `kind`, tagged `tag`, zeroed unless `zero` is false, charged to
    // `quota` if given. STATUS_INSUFFICIENT_RESOURCES when the pool is exhausted,
    // STATUS_QUOTA_EXCEEDED when the quota is. A zero tag is BAD_POOL_CALLER (0x9B), as
    // ExAllocatePool2 makes it.
    std::expected<VirtualAddress, NtStatus> allocate(PoolKind kind, std::uint64_t bytes,
                                                     std::uint32_t tag,
                                                     const std::shared_ptr<PoolQuota>& quota = {},
                                                     bool zero = true);
    // Writes `bytes` into an allocation at `va`, as ring-0 code would (paging it in).
    void write(VirtualAddress va, std::span<const std::byte> bytes);
    // ExFreePoolWithTag (ExFreePool without `tag`).
    void free(VirtualAddress va, std::optional<std::uint32_t> tag);
    // The same, from a destructor: a bug check is kept for takePendingStop() instead of
    // thrown.
    void freeNoThrow(VirtualAddress va, std::uint32_t tag) noexcept;
    std::optional<ke::BugCheckStop> takePendingStop() { return std::exchange(pendingStop_, {}); }

    // ExAllocatePool2's arguments: the kind its flags name, or empty if they name none, more
    // than one, or a flag it does not know.
    static std::optional<PoolKind> kindOfFlags(std::uint64_t flags);
    // ExAllocatePoolWithTag's POOL_TYPE: the kind, or empty for a type ntoy does not have.
    static std::optional<PoolKind> kindOfType(std::uint32_t poolType);
    // The pool holding `va`'s page, if any.
    static std::optional<PoolKind> kindOf(VirtualAddress va);

    // --- what the debugger and the statistics read
    std::vector<PoolTagUsage> tagUsage() const;  // from the guest's tracker table
    PoolUsage usage(bool paged) const;
    // The guest structures: for !pool, !poolfind, and ring-0 code.
    VirtualAddress descriptor(PoolKind kind) const { return descriptors_[index(kind)]; }
    VirtualAddress trackerTable() const { return trackerTable_; }
    std::uint32_t trackerEntries() const { return trackerEntries_; }
    VirtualAddress bigPageTable() const { return bigTable_; }
    std::uint32_t bigPageEntries() const { return bigEntries_; }
    // The big allocation at `va` (page-aligned): its tag, bytes and kind.
    struct BigPage {
        VirtualAddress va;
        std::uint32_t tag;
        std::uint64_t bytes;
        PoolKind kind;
    };
    std::optional<BigPage> bigPageAt(VirtualAddress va) const;
    std::vector<BigPage> bigPages() const;
    // The pages small blocks are carved from, in address order.
    std::vector<VirtualAddress> smallPages(PoolKind kind) const;

    // Checks every structure: headers chain in every pool page, free blocks are on their
    // lists (or lookaside), and the tracker table's counts match the blocks found. Returns
    // the first inconsistency.
    std::optional<std::string> verify() const;

    // Lookaside lists: sizes up to this many units, at most this many blocks each.
    static constexpr unsigned kLookasideUnits = 32;
    static constexpr unsigned kLookasideDepth = 64;

private:
    class Memory;
    static std::size_t index(PoolKind k) { return static_cast<std::size_t>(k); }
    std::expected<VirtualAddress, NtStatus> allocateSmall(PoolKind kind, unsigned units,
                                                          std::uint32_t tag);
    std::expected<VirtualAddress, NtStatus> allocateBig(PoolKind kind, std::uint64_t bytes,
                                                        std::uint32_t tag);
    // Writes an allocated block's header at `h` and counts it: the block's address.
    VirtualAddress handOut(PoolKind kind, std::uint64_t h, unsigned previousSize, unsigned units,
                           std::uint32_t tag);
    void freeSmall(PoolKind kind, VirtualAddress va, std::optional<std::uint32_t> tag);
    void freeBig(VirtualAddress va, std::optional<std::uint32_t> tag);
    std::optional<VirtualAddress> newPage(PoolKind kind, std::uint64_t pages);
    // Makes [h, h + size units) a free block after one of `previousSize` units, and lists it.
    void insertFree(PoolKind kind, std::uint64_t h, unsigned previousSize, unsigned size);
    // The descriptor's ListHeads[size] and lookaside head for blocks of `units`.
    std::uint64_t listHead(PoolKind kind, unsigned size) const;
    std::uint64_t lookasideHead(PoolKind kind, unsigned units) const;
    // Takes the LIST_ENTRY at `entry` off ListHeads[size], checking its neighbours point back;
    // a list left empty is marked so.
    void unlink(PoolKind kind, unsigned size, std::uint64_t entry);
    // The checks a header gets before its block is freed (BAD_POOL_HEADER).
    void checkHeader(std::uint64_t h, const layout::PoolHeader& header);
    // The quota an allocation at `va` was charged to (BAD_POOL_CALLER 0xD if none).
    std::shared_ptr<PoolQuota> unbill(VirtualAddress va, std::uint32_t tag, std::uint64_t billed);
    void track(std::uint32_t tag, bool paged, std::int64_t bytes, bool alloc);
    void noteUsage(PoolKind kind, std::int64_t bytes);
    // The big-page table: insert (rebuilt, larger if need be, when 3/4 of it is taken), find.
    bool bigInsert(VirtualAddress va, std::uint32_t tag, PoolKind kind, std::uint64_t bytes);
    bool bigGrow();
    std::optional<std::uint32_t> bigFind(VirtualAddress va) const;
    [[noreturn]] void notAnAllocation(PoolKind kind, VirtualAddress va);

    mm::MemoryManager& mm_;
    mm::SystemSpace& system_;
    std::unique_ptr<Memory> memory_;
    VirtualAddress descriptors_[kPoolKindCount];
    std::bitset<256> listed_[kPoolKindCount];  // which ListHeads may be non-empty (a cache)
    std::uint32_t lookasideDepth_[kPoolKindCount][kLookasideUnits + 1] = {};
    VirtualAddress trackerTable_;
    std::uint32_t trackerEntries_ = 0;
    VirtualAddress bigTable_;
    std::uint32_t bigEntries_ = 0, bigUsed_ = 0, bigSlotsTaken_ = 0;  // entries, live, not empty
    std::set<std::uint64_t> smallPages_[kPoolKindCount];
    std::unordered_map<std::uint64_t, std::shared_ptr<PoolQuota>> charged_;
    PoolUsage usage_[2];  // [0] nonpaged, [1] paged
    std::optional<ke::BugCheckStop> pendingStop_;
};

// The kernel-side API as Windows names it (wdm.h), on `pool`: a null address where Windows
// returns NULL (flags naming no pool, or the pool or quota exhausted; ExAllocatePool2's
// POOL_FLAG_USE_QUOTA charges `quota`). Frees with a wrong tag, twice, or of no allocation
// bug check as Windows' do.
VirtualAddress ExAllocatePool2(Pool& pool, std::uint64_t flags, std::uint64_t bytes,
                               std::uint32_t tag, const std::shared_ptr<PoolQuota>& quota = {});
VirtualAddress ExAllocatePoolWithTag(Pool& pool, std::uint32_t poolType, std::uint64_t bytes,
                                     std::uint32_t tag);
void ExFreePoolWithTag(Pool& pool, VirtualAddress block, std::uint32_t tag);
void ExFreePool(Pool& pool, VirtualAddress block);

// Pool blocks a host structure owns (a handle table's pages): freed with it, or before.
class PoolBlocks {
public:
    PoolBlocks() = default;
    PoolBlocks(const PoolBlocks&) = delete;
    PoolBlocks& operator=(const PoolBlocks&) = delete;
    ~PoolBlocks() { releaseAll(); }
    void add(Pool& pool, VirtualAddress va, std::uint32_t tag) {
        pool_ = &pool;
        blocks_.push_back({va, tag});
    }
    std::size_t size() const { return blocks_.size(); }
    // A bug check found freeing one is kept for the kernel (Pool::takePendingStop).
    void releaseAll() noexcept {
        for (const Block& b : blocks_)
            pool_->freeNoThrow(b.va, b.tag);
        blocks_.clear();
    }

private:
    struct Block {
        VirtualAddress va;
        std::uint32_t tag;
    };
    Pool* pool_ = nullptr;
    std::vector<Block> blocks_;
};

}  // namespace ntoy::ex
