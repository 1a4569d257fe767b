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
    cs_insn* insns = nullptr;
    const std::size_t n = cs_disasm(*handle_, reinterpret_cast<const std::uint8_t*>(code.data()),
                                    code.size(), address, maxCount, &insns);
    for (std::size_t i = 0; i < n; ++i) {
        const cs_insn& in = insns[i];
        std::string text = in.mnemonic;
        if (in.op_str[0] != '\0')
            text += std::string(" ") + in.op_str;
        out.push_back(
            {in.address, std::vector<std::uint8_t>(in.bytes, in.bytes + in.size), std::move(text)});
    }
    if (insns)
        cs_free(insns, n);
    return out;
}

}  // namespace ntoy::dbg
