// Counters of the machine's engines, summed over all of them; the machine owns them.
#pragma once

#include <cstdint>

namespace ntoy::emu {

struct EngineCounters {
    // Code pages whose translations were thrown away, to be translated again when they next
    // run: code that changed, a breakpoint, a hook change, a stop placed on an instruction.
    // A cost that no hot path (a system call, a thread switch) may pay each time it runs.
    std::uint64_t codePagesDropped = 0;
    // #GP and #XM raised by the SIMD checks (Engine.h): what QEMU's translator leaves out.
    std::uint64_t simdFaults = 0;
};

}  // namespace ntoy::emu
