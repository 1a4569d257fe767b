// A virtual address descriptor: one allocation in a process's user space. Its pages' commit
// state and protection live in their PTEs; the VAD holds what is common to all of them.
#pragma once

#include <cstdint>
#include <optional>

#include "kernel/base/Types.h"
#include "kernel/mm/Protection.h"

namespace ntoy::mm {

enum class VadType : std::uint8_t { Private, Image };

// Who keeps VAD nodes in pool, as Windows does ('VadS' for a private allocation, 'Vad ' for
// an image's), charged to the process's pool quota: the kernel. An address space without one
// (unit tests) keeps its VADs on the host only.
class VadPool {
public:
    // A node's block, or empty if the pool or the quota has no room.
    virtual std::optional<std::uint64_t> allocateVad(VadType type) = 0;
    virtual void freeVad(std::uint64_t block, VadType type) noexcept = 0;
    // Whether `more` nodes would fit in the quota now.
    virtual bool roomFor(std::uint64_t more) const = 0;
    virtual ~VadPool() = default;
};

struct Vad {
    std::uint64_t startVpn = 0;
    std::uint64_t endVpn = 0;             // inclusive, as in Windows
    std::uint32_t allocationProtect = 0;  // PAGE_*, as given when the allocation was made
    VadType type = VadType::Private;
    // Made by the kernel as a thread's stack: a label for the debugger. Which guard pages grow
    // a stack is decided by the current thread's TEB (AddressSpace::currentStack).
    bool threadStack = false;
    // A page of the system's mapped into the process, as KUSER_SHARED_DATA is in every one:
    // its frame stays the system's (neither charged to the process nor in its working set),
    // and the process can neither commit, protect nor free it (AddressSpace::mapSystemPage).
    bool systemPage = false;
    // Its node in nonpaged pool (VadPool), or 0 without one.
    std::uint64_t poolBlock = 0;

    VirtualAddress start() const { return VirtualAddress(startVpn << kPageShift); }
    VirtualAddress end() const { return VirtualAddress((endVpn + 1) << kPageShift); }  // exclusive
    std::uint64_t pages() const { return endVpn - startVpn + 1; }
    bool contains(VirtualAddress va) const {
        return va.pageNumber() >= startVpn && va.pageNumber() <= endVpn;
    }
    // PAGE_NOCACHE or PAGE_WRITECOMBINE as given when the allocation was made: every page
    // committed or protected in it takes this one, whatever the call asks for.
    CacheAttribute cacheAttribute() const {
        const auto prot = MmProtection::fromWin32(allocationProtect);
        return prot ? prot->cacheAttribute() : CacheAttribute::Cached;
    }
};

}  // namespace ntoy::mm
