// Driver Verifier's memory options for drivers' pool calls (`--verifier`):
// - special pool: each allocation of a driver gets a page of its own in the system-PTE
//   region (its lower half), ending at the page's end (to 16 bytes) before a page never mapped; the
//   rest of the page holds a pattern checked at free (SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION,
//   0xC1), and a freed page is unmapped for good, so an overrun or a use after free faults at the
//   instruction (PAGE_FAULT_IN_NONPAGED_AREA), the report naming the block;
// - pool tracking: a driver's blocks are remembered until freed, and any still there when its
//   unload routine has run is DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4, 0x62), each listed.
#include <fmt/format.h>

#include <cstring>

#include "kernel/Kernel.h"
#include "kernel/io/SystemImages.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy {
namespace {

constexpr std::uint8_t kSpecialPattern = 0xAB;
constexpr std::uint64_t kSpecialAlignment = 16;
// SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION's fourth parameter: what was wrong.
constexpr std::uint64_t kFreeOfUnallocated = 0x20;
constexpr std::uint64_t kNearbyBytesCorrupted = 0x23;
constexpr std::uint64_t kLeakedAtUnload = 0x62;  // DRIVER_VERIFIER_DETECTED_VIOLATION's

std::string tagName(std::uint32_t tag) {
    std::string s;
    for (int i = 0; i < 4; ++i) {
        const auto c = static_cast<char>((tag >> (8 * i)) & 0xFF);
        s += (c >= 0x20 && c < 0x7F) ? c : '.';
    }
    return s;
}

}  // namespace

const io::SystemImage* Kernel::driverOf(std::uint64_t caller) const {
    const io::SystemImage* image =
        systemImages_ ? systemImages_->containing(VirtualAddress(caller)) : nullptr;
    return image && image != ntoskrnl_ ? image : nullptr;
}

std::string Kernel::describeBlock(const VerifiedBlock& b) const {
    return fmt::format("'{}' block of {} bytes at {:#x}, allocated at {}", tagName(b.tag), b.bytes,
                       b.block.value(),
                       systemImages_ ? systemImages_->locate(VirtualAddress(b.caller))
                                     : fmt::format("{:#x}", b.caller));
}

VirtualAddress Kernel::verifiedAllocate(std::optional<ex::PoolKind> kind, std::uint64_t bytes,
                                        std::uint32_t tag, bool zero, std::uint64_t caller) {
    const io::SystemImage* driver = driverOf(caller);
    VirtualAddress block;
    const auto& region = mm::systemRegion(mm::SystemRegion::SystemPtes);
    if (specialNext_ == 0)
        specialNext_ = region.base;
    // Once the region is used up (addresses are never used twice), ordinary pool, as Windows
    // falls back when special pool runs out.
    const bool special = driver && verifier_.specialPool && kind && bytes != 0 &&
                         bytes <= kPageSize - kSpecialAlignment &&
                         specialNext_ + 2 * kPageSize <= mm::kLockedMappingsBase;
    if (special) {
        // A page of its own, then a page never mapped.
        const VirtualAddress page(specialNext_);
        const auto rw = *mm::MmProtection::fromWin32(mm::page::kReadWrite);
        const auto frame = mm_->mapSystemPage(page, rw);
        if (!frame)
            return VirtualAddress();
        specialNext_ += 2 * kPageSize;
        block = page + (kPageSize - alignUp(bytes, kSpecialAlignment));
        std::byte* data = mm_->pfns().memory().frame(*frame).data();
        std::memset(data, kSpecialPattern, kPageSize);
        if (zero)
            std::memset(data + (block.value() - page.value()), 0, bytes);
    } else {
        if (!kind)
            return VirtualAddress();
        block = pool_->allocate(*kind, bytes, tag, {}, zero).value_or(VirtualAddress());
    }
    if (block.value() != 0 && driver) {
        const VerifiedBlock record{block, bytes, tag, caller, special, driver->name};
        if (special)
            specialPages_[block.value() & ~kPageMask] = record;
        if (verifier_.poolTracking)
            trackedBlocks_[block.value()] = record;
    }
    return block;
}

void Kernel::verifiedFree(VirtualAddress block, std::optional<std::uint32_t> tag) {
    // An MDL freed as plain pool with its pages still locked (IoFreeMdl checks the same).
    freeingMdl(block, 0);
    trackedBlocks_.erase(block.value());
    const auto& region = mm::systemRegion(mm::SystemRegion::SystemPtes);
    if (!region.contains(block.value())) {
        pool_->free(block, tag);
        return;
    }
    const auto page = specialPages_.find(block.value() & ~kPageMask);
    if (page == specialPages_.end() || page->second.freed || page->second.block != block)
        ke::bugCheck(
            ke::BugCheckCode::SpecialPoolDetectedMemoryCorruption, block.value(), 0, 0,
            kFreeOfUnallocated,
            page != specialPages_.end()
                ? "a free of special pool that is not a live block: " + describeBlock(page->second)
                : "a free of special pool that was never allocated");
    // The pattern around the block, as the allocation left it.
    const VirtualAddress base(block.value() & ~kPageMask);
    std::vector<std::byte> bytes(kPageSize);
    readSystem(base, bytes);
    const std::uint64_t start = block.value() - base.value();
    for (std::uint64_t i = 0; i < kPageSize; ++i) {
        if (i >= start && i < start + page->second.bytes)
            continue;
        if (bytes[i] != std::byte{kSpecialPattern})
            ke::bugCheck(
                ke::BugCheckCode::SpecialPoolDetectedMemoryCorruption, block.value(),
                base.value() + i, 0, kNearbyBytesCorrupted,
                fmt::format("the bytes around a special pool block were written ({:#x}, "
                            "{} before the block): {}",
                            base.value() + i, i < start ? fmt::format("{}", start - i) : "after",
                            describeBlock(page->second)));
    }
    mm_->unmapSystemPage(base);
    page->second.freed = true;
}

void Kernel::specialPoolFault(hal::Cpu& cpu, std::uint64_t address, bool write, std::uint64_t rip) {
    const auto page = specialPages_.find(address & ~kPageMask);
    const auto before = specialPages_.find((address & ~kPageMask) - kPageSize);
    const bool freed = page != specialPages_.end() && page->second.freed;
    const bool beyond =
        page == specialPages_.end() && before != specialPages_.end() && !before->second.freed;
    if (!freed && !beyond)
        return;
    ke::bugCheck(freed ? ke::BugCheckCode::DriverPageFaultInFreedSpecialPool
                       : ke::BugCheckCode::DriverPageFaultBeyondEndOfAllocation,
                 address, write ? 1 : 0, rip, 0,
                 fmt::format("a {} of {:#x} {}{}", write ? "write" : "read", address,
                             ring0Location(cpu, rip), specialPoolNote(address)));
}

std::string Kernel::specialPoolNote(std::uint64_t address) const {
    const auto page = specialPages_.find(address & ~kPageMask);
    const auto before = specialPages_.find((address & ~kPageMask) - kPageSize);
    if (page != specialPages_.end())
        return fmt::format("; special pool: {} {}", page->second.freed ? "the freed" : "the live",
                           describeBlock(page->second));
    if (before != specialPages_.end() && !before->second.freed)
        return fmt::format("; special pool: past the end of the {}", describeBlock(before->second));
    return {};
}

void Kernel::checkLeaks(const io::SystemImage& driver) {
    std::vector<const VerifiedBlock*> leaked;
    for (const auto& [va, b] : trackedBlocks_)
        if (b.driver == driver.name)
            leaked.push_back(&b);
    if (leaked.empty())
        return;
    std::string list;
    for (const VerifiedBlock* b : leaked)
        list += "\n  " + describeBlock(*b);
    ke::bugCheck(ke::BugCheckCode::DriverVerifierDetectedViolation, kLeakedAtUnload,
                 driver.base.value(), 0, leaked.size(),
                 fmt::format("{} unloaded with {} pool allocation{} not freed:{}", driver.name,
                             leaked.size(), leaked.size() == 1 ? "" : "s", list));
}

}  // namespace ntoy
