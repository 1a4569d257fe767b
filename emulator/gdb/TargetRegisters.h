// The guest's registers in gdb's layout, read from and written to the processor: the general
// ones through hal::Cpu, the x87 block through hal::DebugTarget.
#pragma once

#include <expected>
#include <string>

#include "emulator/gdb/RegisterFile.h"
#include "kernel/hal/Cpu.h"
#include "kernel/hal/DebugTarget.h"

namespace ntoy::gdb {

RegisterFile readRegisters(hal::Cpu& cpu, hal::DebugTarget& target);
// Writes each register that differs between `before` and `after`, so that a `G` packet
// which changes one register touches only that one. Fails on the first register the guest
// cannot be given (a segment selector: the kernel owns those).
std::expected<void, std::string> writeRegisters(hal::Cpu& cpu, hal::DebugTarget& target,
                                                const RegisterFile& before,
                                                const RegisterFile& after);

}  // namespace ntoy::gdb
