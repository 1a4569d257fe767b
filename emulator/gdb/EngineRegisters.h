// The guest's registers in gdb's layout, read from and written to the engine: the general
// ones through hal::Cpu, the x87 block straight from Unicorn, which hal::Cpu does not carry.
#pragma once

#include <expected>
#include <string>

#include "emulator/Engine.h"
#include "emulator/gdb/RegisterFile.h"

namespace ntoy::gdb {

RegisterFile readRegisters(emu::Engine& engine);
// Writes each register that differs between `before` and `after`, so that a `G` packet
// which changes one register touches only that one. Fails on the first register the guest
// cannot be given (a segment selector: the kernel owns those).
std::expected<void, std::string> writeRegisters(emu::Engine& engine, const RegisterFile& before,
                                                const RegisterFile& after);

}  // namespace ntoy::gdb
