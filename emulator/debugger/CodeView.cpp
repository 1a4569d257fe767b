#include "emulator/debugger/CodeView.h"

#include <fmt/format.h>

#include "kernel/kd/DebuggerMemory.h"

namespace ntoy::dbg {

std::vector<Instruction> instructionsAt(const mm::AddressSpace& space,
                                        const Disassembler& disassembler, std::uint64_t va,
                                        std::size_t count) {
    std::vector<std::byte> code(count * kMaxInstructionLength);
    code.resize(kd::readVirtual(space, VirtualAddress(va), code));
    return disassembler.disassemble(code, va, count);
}

std::string instructionTextAt(const mm::AddressSpace& space, const Disassembler& disassembler,
                              std::uint64_t va) {
    const auto one = instructionsAt(space, disassembler, va, 1);
    return one.empty() ? "(code not readable)" : one.front().text;
}

std::string formatInstruction(const Instruction& in) {
    std::string bytes;
    for (std::uint8_t b : in.bytes)
        bytes += fmt::format("{:02x}", b);
    return fmt::format("{:#x}  {:<20} {}", in.address, bytes, in.text);
}

}  // namespace ntoy::dbg
