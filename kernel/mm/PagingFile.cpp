#include "kernel/mm/PagingFile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "kernel/base/Types.h"
#include "kernel/ke/BugCheck.h"

namespace ntoy::mm {

std::expected<std::unique_ptr<PagingFile>, std::string> PagingFile::create(
    std::uint64_t pages, const std::filesystem::path& directory,
    const std::filesystem::path& path) {
    if (pages < 2)
        return std::unexpected("a paging file needs at least 2 pages (8 KB)");
    if (pages > (1ull << 32) - 1)
        return std::unexpected("a paging file holds at most 16 TB");
    io::UniqueFd fd;
    std::filesystem::path where = path;
    const bool temporary = path.empty();
    if (temporary) {
        std::string name = (directory / "ntoy-pagefile-XXXXXX").string();
        fd = io::UniqueFd(::mkostemp(name.data(), O_CLOEXEC));
        if (!fd.valid())
            return std::unexpected(fmt::format("cannot create a paging file in {}: {}",
                                               directory.string(), std::strerror(errno)));
        // Nobody else needs the name: the file goes when the last descriptor does, even if
        // ntoy is killed.
        ::unlink(name.c_str());
        where = name;
    } else {
        fd = io::UniqueFd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (!fd.valid())
            return std::unexpected(fmt::format(
                "cannot create the paging file {}: {}{}", path.string(), std::strerror(errno),
                errno == EEXIST ? " (ntoy never writes over a file that exists)" : ""));
    }
    // The file's blocks are reserved now where the disk has room, so that paging never meets
    // a full disk. Where it cannot be reserved (no room: most runs never page, and must not
    // fail for it; or a file system that cannot reserve) the file is sparse: a write that
    // fails later leaves its pages in RAM, on the Modified list.
    const off_t bytes = static_cast<off_t>(pages * kPageSize);
    int error = ::posix_fallocate(fd.get(), 0, bytes);
    if (error == EOPNOTSUPP || error == EINVAL || error == ENOSPC)
        error = ::ftruncate(fd.get(), bytes) == 0 ? 0 : errno;
    if (error != 0) {
        if (!temporary)
            ::unlink(path.c_str());
        return std::unexpected(fmt::format("cannot reserve {} pages for the paging file {}: {}",
                                           pages, where.string(), std::strerror(error)));
    }
    return std::unique_ptr<PagingFile>(
        new PagingFile(std::move(fd), std::move(where), !temporary, pages));
}

PagingFile::PagingFile(io::UniqueFd fd, std::filesystem::path path, bool unlinkAtEnd,
                       std::uint64_t pages)
    : fd_(std::move(fd)), path_(std::move(path)), unlinkAtEnd_(unlinkAtEnd), bitmap_(pages) {
    bitmap_[kNoSlot] = true;  // kept back, never counted as used
}

PagingFile::~PagingFile() {
    if (unlinkAtEnd_)
        ::unlink(path_.c_str());
}

std::optional<PagingFile::Run> PagingFile::allocate(std::uint32_t count) {
    if (count == 0 || freeSlots() == 0)
        return std::nullopt;
    const Slot end = static_cast<Slot>(bitmap_.size());
    Slot first = searchFrom_ < end ? searchFrom_ : 1;
    while (bitmap_[first])  // a free slot exists, so this ends
        first = first + 1 < end ? first + 1 : 1;
    std::uint32_t n = 0;
    while (n < count && first + n < end && !bitmap_[first + n]) {
        bitmap_[first + n] = true;
        ++n;
    }
    used_ += n;
    peak_ = std::max(peak_, used_);
    searchFrom_ = first + n;
    return Run{first, n};
}

void PagingFile::release(Slot slot) {
    // Giving back a slot that holds nothing would let two pages share one: a kernel bug.
    NTOY_ASSERT(slot != kNoSlot && slot < bitmap_.size() && bitmap_[slot],
                ke::BugCheckCode::MemoryManagement, 0x6100, slot, bitmap_.size(), 0);
    bitmap_[slot] = false;
    --used_;
}

bool PagingFile::transfer(bool writing, Slot first, std::span<std::byte* const> pages) {
    NTOY_ASSERT(!pages.empty() && pages.size() <= kMaxCluster && first != kNoSlot &&
                    first + pages.size() <= bitmap_.size(),
                ke::BugCheckCode::MemoryManagement, 0x6101, first, pages.size(), 0);
    std::array<iovec, kMaxCluster> iov{};
    for (std::size_t i = 0; i < pages.size(); ++i)
        iov[i] = {pages[i], kPageSize};
    off_t offset = static_cast<off_t>(std::uint64_t{first} * kPageSize);
    std::size_t done = 0, index = 0;
    const std::size_t total = pages.size() * kPageSize;
    // Short transfers resume where they stopped; an error ends the attempt.
    while (done < total) {
        const int n = static_cast<int>(pages.size() - index);
        const ssize_t moved = writing ? ::pwritev(fd_.get(), iov.data() + index, n, offset)
                                      : ::preadv(fd_.get(), iov.data() + index, n, offset);
        if (moved < 0 && errno == EINTR)
            continue;
        if (moved <= 0)
            return false;
        done += static_cast<std::size_t>(moved);
        offset += moved;
        std::size_t left = static_cast<std::size_t>(moved);
        while (left > 0 && left >= iov[index].iov_len)
            left -= iov[index++].iov_len;
        if (left > 0) {
            iov[index].iov_base = static_cast<std::byte*>(iov[index].iov_base) + left;
            iov[index].iov_len -= left;
        }
    }
    return true;
}

bool PagingFile::write(Slot first, std::span<const std::byte* const> pages) {
    // pwritev's iovec is not const-correct; nothing is written through these.
    std::array<std::byte*, kMaxCluster> bases{};
    for (std::size_t i = 0; i < pages.size() && i < kMaxCluster; ++i)
        bases[i] = const_cast<std::byte*>(pages[i]);
    ++writes_;
    if (!transfer(true, first, std::span(bases.data(), pages.size())))
        return false;
    pagesWritten_ += pages.size();
    return true;
}

bool PagingFile::read(Slot first, std::span<std::byte* const> pages, bool pageTable) {
    ++reads_;
    const bool injected = failReadsFrom_ != kNoSlot && first + pages.size() > failReadsFrom_ &&
                          (!pageTable || failTableReads_);
    if (injected || !transfer(false, first, pages)) {
        ++failedReads_;
        return false;
    }
    pagesRead_ += pages.size();
    return true;
}

bool PagingFile::peek(Slot slot, std::span<std::byte> page) const {
    if (!inUse(slot) || page.size() != kPageSize)
        return false;
    const off_t offset = static_cast<off_t>(std::uint64_t{slot} * kPageSize);
    std::size_t done = 0;
    while (done < kPageSize) {
        const ssize_t n = ::pread(fd_.get(), page.data() + done, kPageSize - done,
                                  offset + static_cast<off_t>(done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace ntoy::mm
