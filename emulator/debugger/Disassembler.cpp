#include "emulator/debugger/Disassembler.h"

namespace ntoy::dbg {

void Disassembler::Close::operator()(csh* handle) const {
    cs_close(handle);
    delete handle;
}

std::expected<Disassembler, std::string> Disassembler::create() {
    auto handle = std::unique_ptr<csh, Close>(new csh{});
    if (const cs_err e = cs_open(CS_ARCH_X86, CS_MODE_64, handle.get()); e != CS_ERR_OK) {
        delete handle.release();
        return std::unexpected(std::string("capstone: ") + cs_strerror(e));
    }
    return Disassembler(std::move(handle));
}

std::vector<Instruction> Disassembler::disassemble(std::span<const std::byte> code,
                                                   std::uint64_t address,
                                                   std::size_t maxCount) const {
    std::vector<Instruction> out;
    if (code.empty() || maxCount == 0)
        return out;
    const std::unique_ptr<cs_insn, void (*)(cs_insn*)> insn(cs_malloc(*handle_),
                                                            [](cs_insn* i) { cs_free(i, 1); });
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(code.data());
    std::size_t left = code.size();
    while (out.size() < maxCount && left != 0) {
        if (cs_disasm_iter(*handle_, &bytes, &left, &address, insn.get())) {
            std::string text = insn->mnemonic;
            if (insn->op_str[0] != '\0')
                text += std::string(" ") + insn->op_str;
            out.push_back({insn->address,
                           std::vector<std::uint8_t>(insn->bytes, insn->bytes + insn->size),
                           std::move(text)});
            continue;
        }
        // With fewer bytes than the longest instruction left, it may only be cut short.
        if (left < kMaxInstructionLength)
            break;
        out.push_back({address, {*bytes}, "(bad)"});
        ++bytes;
        --left;
        ++address;
    }
    return out;
}

}  // namespace ntoy::dbg
