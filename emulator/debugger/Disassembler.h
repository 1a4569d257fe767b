// x86-64 disassembly by Capstone, in Intel syntax, for `dis` and the fault stop.
#pragma once

#include <capstone/capstone.h>

#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ntoy::dbg {

// The longest x86 instruction.
inline constexpr std::size_t kMaxInstructionLength = 15;

struct Instruction {
    std::uint64_t address = 0;
    std::vector<std::uint8_t> bytes;
    std::string text;  // "mov byte ptr [rax], cl"
    // Addresses worth naming next to it: where a direct jump or call goes, and what a
    // RIP-relative operand reaches.
    std::optional<std::uint64_t> branchTarget;
    std::optional<std::uint64_t> memoryTarget;
};

class Disassembler {
public:
    static std::expected<Disassembler, std::string> create();

    // Up to `maxCount` instructions from `code`, which sits at `address`. A byte that starts
    // no instruction is "(bad)", one byte long, as objdump shows it; where too few bytes are
    // left to tell (the code may go on past what was read), it stops.
    std::vector<Instruction> disassemble(std::span<const std::byte> code, std::uint64_t address,
                                         std::size_t maxCount) const;

private:
    struct Close {
        void operator()(csh* handle) const;
    };
    explicit Disassembler(std::unique_ptr<csh, Close> handle) : handle_(std::move(handle)) {}
    std::unique_ptr<csh, Close> handle_;
};

}  // namespace ntoy::dbg
