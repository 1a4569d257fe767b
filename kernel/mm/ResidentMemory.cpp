#include "kernel/mm/ResidentMemory.h"

#include <algorithm>
#include <cstring>

#include "kernel/mm/SystemLayout.h"

namespace ntoy::mm {

std::size_t readResidentUser(const AddressSpace& space, VirtualAddress va,
                             std::span<std::byte> out) {
    std::size_t done = 0;
    while (done < out.size()) {
        const std::uint64_t at = va.value() + done;
        if (at < va.value() || !isUserAddress(at))
            break;
        // Never brings a paged-out table back: none of its pages is valid.
        const Pte pte = space.tables().peekPte(VirtualAddress(at)).value_or(Pte());
        if (!pte.isValid() || !pte.has(PteBit::User))
            break;
        const std::size_t offset = at & (kPageSize - 1);
        const std::size_t n = std::min<std::size_t>(out.size() - done, kPageSize - offset);
        std::memcpy(out.data() + done, space.tables().memory().at(pte.pfn().address() + offset), n);
        done += n;
    }
    return done;
}

}  // namespace ntoy::mm
