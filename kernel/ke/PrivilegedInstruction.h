// Tells a privileged instruction (one that is legal only at CPL0) from other causes of #GP,
// so that user mode sees STATUS_PRIVILEGED_INSTRUCTION for it, as on Windows.
#pragma once

#include <cstdint>
#include <span>

namespace ntoy::ke {

// `code` holds the bytes at the faulting RIP (up to 15).
bool isPrivilegedInstruction(std::span<const std::uint8_t> code);

}  // namespace ntoy::ke
