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
    // Operand details give branch targets and RIP-relative addresses.
    cs_option(*handle, CS_OPT_DETAIL, CS_OPT_ON);
    return Disassembler(std::move(handle));
}

namespace {

void addTargets(const cs_insn& insn, Instruction& out) {
    const cs_x86& x86 = insn.detail->x86;
    bool branch = false;
    for (std::uint8_t i = 0; i < insn.detail->groups_count; ++i) {
        const auto g = insn.detail->groups[i];
        branch |= g == CS_GRP_JUMP || g == CS_GRP_CALL || g == CS_GRP_BRANCH_RELATIVE;
    }
    for (std::uint8_t i = 0; i < x86.op_count; ++i) {
        const cs_x86_op& op = x86.operands[i];
        if (op.type == X86_OP_IMM && branch)
            out.branchTarget = static_cast<std::uint64_t>(op.imm);
        else if (op.type == X86_OP_MEM && op.mem.base == X86_REG_RIP &&
                 op.mem.index == X86_REG_INVALID)
            out.memoryTarget = insn.address + insn.size + static_cast<std::uint64_t>(op.mem.disp);
    }
}

}  // namespace

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
                           std::move(text), std::nullopt, std::nullopt});
            addTargets(*insn, out.back());
            continue;
        }
        // With fewer bytes than the longest instruction left, it may only be cut short.
        if (left < kMaxInstructionLength)
            break;
        out.push_back({address, {*bytes}, "(bad)", std::nullopt, std::nullopt});
        ++bytes;
        --left;
        ++address;
    }
    return out;
}

}  // namespace ntoy::dbg
