#include "emulator/debugger/CodeView.h"

#include <fmt/format.h>

#include "emulator/debugger/Symbols.h"
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

std::string formatInstruction(const Instruction& in, const Symbols* symbols) {
    std::string bytes;
    for (std::uint8_t b : in.bytes)
        bytes += fmt::format("{:02x}", b);
    std::string line = fmt::format("{:#x}  {:<20} {}", in.address, bytes, in.text);
    auto named = [&](std::uint64_t va) {
        const std::string name = symbols ? symbols->describe(va) : std::string();
        return name.empty() ? std::string() : fmt::format(" <{}>", name);
    };
    if (in.branchTarget)
        line += named(*in.branchTarget);
    if (in.memoryTarget)
        line += fmt::format("  # {:#x}{}", *in.memoryTarget, named(*in.memoryTarget));
    return line;
}

std::string formatListing(std::span<const Instruction> code, std::uint64_t rip,
                          const Symbols* symbols) {
    std::string out;
    for (std::size_t i = 0; i < code.size(); ++i) {
        const Instruction& in = code[i];
        if (symbols) {
            const auto at = symbols->locate(in.address);
            if (at && (i == 0 || (at->symbol && at->offset == 0)))
                out += formatLocation(*at) + ":\n";
        }
        out += (in.address == rip ? "=> " : "   ") + formatInstruction(in, symbols) + '\n';
    }
    return out;
}

}  // namespace ntoy::dbg
