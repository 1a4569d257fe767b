// The emulator's own walk of the 4-level page tables in guest RAM, as the CPU does it. The
// machine needs it where Unicorn 2.0.1 would walk through the MMU with side effects (raising
// #PF by longjmp): to read code bytes for the translation guard, and to know whether code at
// an address can run before it drops translated code there.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "kernel/hal/PhysicalMemory.h"

namespace ntoy::emu {

class PageWalker {
public:
    explicit PageWalker(hal::PhysicalMemory ram) : ram_(ram) {}

    struct Translation {
        PhysicalAddress address;
        bool writable, user, executable;
    };
    // The translation of `va` under the tables at `cr3`, with the rights every level grants;
    // empty if an entry on the way is not present or names memory outside RAM.
    std::optional<Translation> translate(std::uint64_t cr3, std::uint64_t va) const;

    // Copies bytes from `va` on, stopping at the first page that is not present; returns how
    // many were copied. Reads only: no Accessed bit is set, nothing faults.
    std::size_t read(std::uint64_t cr3, std::uint64_t va, std::span<std::uint8_t> out) const;

private:
    hal::PhysicalMemory ram_;
};

}  // namespace ntoy::emu
