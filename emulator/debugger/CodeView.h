// Guest code as the debugger reads it: instructions at a virtual address, read with
// kd::readVirtual (never faulting anything in) and decoded by Capstone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "emulator/debugger/Disassembler.h"
#include "kernel/mm/AddressSpace.h"

namespace ntoy::dbg {

// Up to `count` instructions from `va`; fewer where the code is not readable or decodable.
std::vector<Instruction> instructionsAt(const mm::AddressSpace& space,
                                        const Disassembler& disassembler, std::uint64_t va,
                                        std::size_t count);

// "mov byte ptr [rax], cl", or "(code not readable)".
std::string instructionTextAt(const mm::AddressSpace& space, const Disassembler& disassembler,
                              std::uint64_t va);

// "0x140001050  88 08                 mov byte ptr [rax], cl"
std::string formatInstruction(const Instruction& instruction);

}  // namespace ntoy::dbg
