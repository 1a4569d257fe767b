// Memory as gdb's `x` prints it (the address, then units in hex, 8 bytes or halfwords, 4
// words or 2 giant words a line), and as WinDbg's db/dw/dd/dq print it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace ntoy::dbg {

// `bytes` read at `address`; a trailing partial unit is left out.
std::string formatDump(std::uint64_t address, std::span<const std::byte> bytes, unsigned unitSize);

// 16 bytes a line after a WinDbg address: bytes with a '-' in the middle and the ASCII after
// them (db), 8 words (dw), 4 dwords (dd) or 2 qwords as 00000000`00000000 (dq).
std::string formatWinDbgDump(std::uint64_t address, std::span<const std::byte> bytes,
                             unsigned unitSize);

}  // namespace ntoy::dbg
