// The paging file: a host file of 4 KB slots that holds the contents of committed pages
// while no frame does. Slots are handed out from a bitmap; a run of neighbouring pages is
// written or read with one pwritev/preadv, which is what makes clustering pay.
//
// Slot 0 is never handed out: as on Windows, a pagefile PTE whose offset is 0 would read as
// demand-zero, so a slot number is never 0.
//
// The file is the host's, not the guest's: it is created exclusive (never over a file that
// exists), unlinked as soon as it is open when it lives in a temporary directory, and
// unlinked when the paging file ends otherwise, so nothing is left behind.
//
// A read can be made to fail (failReadsFrom), for the in-page-error path and its tests.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kernel/io/UniqueFd.h"

namespace ntoy::mm {

class PagingFile {
public:
    using Slot = std::uint32_t;
    static constexpr Slot kNoSlot = 0;
    // How many pages one write or read moves at most: Windows' modified-page writer writes
    // up to 64 KB clusters of pagefile pages, and reads ahead as far.
    static constexpr std::size_t kMaxCluster = 16;

    // A paging file of `pages` pages (at least 2: slot 0 is kept back). In `directory`, under
    // a name of its own, when `path` is empty; else exactly at `path`, which must not exist.
    static std::expected<std::unique_ptr<PagingFile>, std::string> create(
        std::uint64_t pages, const std::filesystem::path& directory,
        const std::filesystem::path& path = {});
    ~PagingFile();
    PagingFile(const PagingFile&) = delete;
    PagingFile& operator=(const PagingFile&) = delete;

    // Pages in the file, and how many may ever hold a page (all but slot 0).
    std::uint64_t pages() const { return bitmap_.size(); }
    std::uint64_t usablePages() const { return pages() - 1; }
    std::uint64_t used() const { return used_; }
    std::uint64_t peak() const { return peak_; }
    std::uint64_t freeSlots() const { return usablePages() - used_; }
    std::uint64_t pagesWritten() const { return pagesWritten_; }
    std::uint64_t pagesRead() const { return pagesRead_; }
    std::uint64_t writes() const { return writes_; }
    std::uint64_t reads() const { return reads_; }
    std::uint64_t failedReads() const { return failedReads_; }
    const std::filesystem::path& path() const { return path_; }

    // Takes a run of up to `count` free neighbouring slots: the first free slot at or after
    // where the last run ended (next fit, so that pages written one after another stay
    // neighbours in the file) and the free slots that follow it. Empty when the file is full.
    struct Run {
        Slot first;
        std::uint32_t count;
    };
    std::optional<Run> allocate(std::uint32_t count);
    void release(Slot slot);
    bool inUse(Slot slot) const { return slot < bitmap_.size() && bitmap_[slot]; }

    // Writes pages[i] to slot first+i, all at once. False if the host refused (the slots stay
    // taken; the caller releases them).
    bool write(Slot first, std::span<const std::byte* const> pages);
    // Reads slot first+i into pages[i]. False on a host error or an injected failure; a read
    // of a page table (`pageTable`) fails by injection only if failReadsFrom said so.
    bool read(Slot first, std::span<std::byte* const> pages, bool pageTable = false);

    // Reads one slot for an onlooker (the invariant checker): no statistics, no injected
    // failure. False on a host error.
    bool peek(Slot slot, std::span<std::byte> page) const;

    // Every read of a slot at or above `slot` fails from now on (kNoSlot: none does): a
    // page's, and a page table's only with `pageTablesToo` (a table that cannot be read back
    // stops the machine, so `--inject-pagefile-read-errors`, which shows the guest its
    // in-page errors, spares them).
    void failReadsFrom(Slot slot, bool pageTablesToo = false) {
        failReadsFrom_ = slot;
        failTableReads_ = pageTablesToo;
    }

private:
    PagingFile(io::UniqueFd fd, std::filesystem::path path, bool unlinkAtEnd, std::uint64_t pages);
    bool transfer(bool writing, Slot first, std::span<std::byte* const> pages);

    io::UniqueFd fd_;
    std::filesystem::path path_;
    bool unlinkAtEnd_;
    std::vector<bool> bitmap_;  // true: the slot holds a page
    Slot searchFrom_ = 1;       // where the next search for a free run starts
    std::uint64_t used_ = 0, peak_ = 0;
    std::uint64_t pagesWritten_ = 0, pagesRead_ = 0, writes_ = 0, reads_ = 0, failedReads_ = 0;
    Slot failReadsFrom_ = kNoSlot;
    bool failTableReads_ = false;
};

}  // namespace ntoy::mm
