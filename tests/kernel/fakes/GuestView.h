// Reads and writes guest memory the way the CPU would reach it, through the page tables
// and the frame a PTE names, independently of the kernel's UserMemory. Tests use it to set
// up inputs and check outputs of the code under test.
#pragma once

#include <cstring>
#include <optional>
#include <type_traits>

#include "kernel/mm/AddressSpace.h"

namespace ntoy::test {

class GuestView {
public:
    explicit GuestView(mm::AddressSpace& space) : space_(space) {}

    // The host byte behind `va` if its page holds a frame (valid or not), else null.
    std::byte* hostByte(VirtualAddress va) const {
        const mm::Pte pte = space_.tables().pteAt(va);
        if (!pte.hasFrame())
            return nullptr;
        return space_.tables().memory().at(pte.pfn().address() + va.pageOffset());
    }

    // A value that lies within one page holding a frame.
    template <typename T>
    std::optional<T> peek(VirtualAddress va) const {
        static_assert(std::is_trivially_copyable_v<T>);
        std::byte* host = hostByte(va);
        if (!host || va.pageOffset() + sizeof(T) > kPageSize)
            return std::nullopt;
        T v;
        std::memcpy(&v, host, sizeof(T));
        return v;
    }
    // Writes a value within one committed page, giving the page its frame first.
    template <typename T>
    bool poke(VirtualAddress va, const T& v) {
        static_assert(std::is_trivially_copyable_v<T>);
        if (va.pageOffset() + sizeof(T) > kPageSize || !space_.materialize(va))
            return false;
        std::memcpy(hostByte(va), &v, sizeof(T));
        // The CPU marks the page it wrote Dirty (which tells the pager its copy is stale).
        if (const auto at = space_.tables().findPte(va)) {
            const mm::Pte pte = space_.tables().read(*at);
            if (pte.isValid())
                space_.tables().write(*at, mm::Pte(pte.raw() | std::uint64_t{0x40}));
            else
                space_.noteWritten(va);
        }
        return true;
    }

private:
    mm::AddressSpace& space_;
};

}  // namespace ntoy::test
