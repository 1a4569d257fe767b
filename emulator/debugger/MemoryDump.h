// Memory as gdb's `x` prints it: the address, then units in hex, 8 bytes or halfwords, 4
// words or 2 giant words a line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace ntoy::dbg {

// `bytes` read at `address`; a trailing partial unit is left out.
std::string formatDump(std::uint64_t address, std::span<const std::byte> bytes, unsigned unitSize);

}  // namespace ntoy::dbg
