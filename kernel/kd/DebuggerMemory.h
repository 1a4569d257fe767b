// Guest memory as a debugger sees it: read and written through the page tables with a
// debugger's privilege (read-only pages can be written, for breakpoints and patches), but
// never faulting anything in: a page without a frame is simply not accessible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kernel/mm/AddressSpace.h"

namespace ntoy::kd {

// Each returns the number of bytes transferred: short when it reaches a page that is not
// present (or, for physical memory, the end of RAM).
std::size_t readVirtual(const mm::AddressSpace& space, VirtualAddress va, std::span<std::byte> out);
std::size_t writeVirtual(mm::AddressSpace& space, VirtualAddress va, std::span<const std::byte> in);
std::size_t readPhysical(const hal::PhysicalMemory& ram, PhysicalAddress pa,
                         std::span<std::byte> out);
std::size_t writePhysical(const hal::PhysicalMemory& ram, PhysicalAddress pa,
                          std::span<const std::byte> in);

// After bytes were written behind the CPU's back: drops code translated from the written
// pages that are present and executable.
void dropWrittenCode(mm::AddressSpace& space, VirtualAddress va, std::uint64_t length);

}  // namespace ntoy::kd
