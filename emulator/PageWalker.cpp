#include "emulator/PageWalker.h"

#include <algorithm>
#include <cstring>

namespace ntoy::emu {
namespace {

constexpr std::uint64_t kPresent = 1, kWrite = 2, kUser = 4, kLarge = 0x80;
constexpr std::uint64_t kNoExecute = 1ull << 63;
constexpr std::uint64_t kFrameMask = 0x000F'FFFF'FFFF'F000;

}  // namespace

std::optional<PageWalker::Translation> PageWalker::translate(std::uint64_t cr3,
                                                             std::uint64_t va) const {
    Translation t{PhysicalAddress(), true, true, true};
    std::uint64_t table = cr3 & kFrameMask;
    for (int level = 0; level < 4; ++level) {
        const unsigned shift = 39 - 9 * level;
        const PhysicalAddress at(table + ((va >> shift) & 511) * 8);
        if (!ram_.contains(at))
            return std::nullopt;
        const auto entry = ram_.read<std::uint64_t>(at);
        if (!(entry & kPresent))
            return std::nullopt;
        t.writable = t.writable && (entry & kWrite);
        t.user = t.user && (entry & kUser);
        t.executable = t.executable && !(entry & kNoExecute);
        const bool leaf = level == 3 || (level > 0 && (entry & kLarge));
        if (leaf) {
            const std::uint64_t pageMask = (1ull << shift) - 1;
            t.address = PhysicalAddress(((entry & kFrameMask) & ~pageMask) | (va & pageMask));
            if (!ram_.contains(t.address))
                return std::nullopt;
            return t;
        }
        table = entry & kFrameMask;
    }
    return std::nullopt;
}

std::size_t PageWalker::read(std::uint64_t cr3, std::uint64_t va,
                             std::span<std::uint8_t> out) const {
    std::size_t done = 0;
    while (done < out.size()) {
        const auto t = translate(cr3, va + done);
        if (!t)
            break;
        const std::size_t n =
            std::min<std::size_t>(out.size() - done, kPageSize - ((va + done) & kPageMask));
        std::memcpy(out.data() + done, ram_.at(t->address), n);
        done += n;
    }
    return done;
}

}  // namespace ntoy::emu
