// The kernel's look at user memory as it stands: bytes of user pages that are valid now,
// copied without resolving, faulting in or disarming anything. For the kernel's own
// inspection of what the CPU has just used (the instruction behind a #GP), where taking a
// fault on the guest's behalf would change what is being looked at. The debugger has its
// own, more privileged reader (kd::readVirtual).
#pragma once

#include <cstddef>
#include <span>

#include "kernel/mm/AddressSpace.h"

namespace ntoy::mm {

// Copies from [va, va + out.size()); stops at the first page that is not a valid user page
// (or at the end of user space). Returns the number of bytes copied.
std::size_t readResidentUser(const AddressSpace& space, VirtualAddress va,
                             std::span<std::byte> out);

}  // namespace ntoy::mm
