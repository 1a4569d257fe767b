#include "emulator/TranslationGuard.h"

#include "kernel/base/Types.h"

#include <array>

namespace ntoy::emu {
namespace {

// The parts of an instruction the rules look at.
struct Prefixed {
    bool lock = false;
    bool operandSize16 = false;  // 66
    bool rexW = false;           // a REX.W that counts: the last prefix before the opcode
    int map = 0;                 // 0: one-byte opcodes, 1: 0F, 2: 0F 38, 3: 0F 3A
    std::uint8_t opcode = 0;
    std::optional<std::uint8_t> modrm;
};

std::optional<Prefixed> decodeOpcode(std::span<const std::uint8_t> code) {
    Prefixed p;
    std::size_t i = 0;
    // Legacy prefixes and REX, in any order: the translator (like the CPU) takes a REX that is
    // not last as ignored and goes on reading prefixes after it.
    for (; i < code.size(); ++i) {
        const std::uint8_t c = code[i];
        if (c == 0xF0) {
            p.lock = true;
            p.rexW = false;
            continue;
        }
        const bool legacy = c == 0xF2 || c == 0xF3 || c == 0x2E || c == 0x36 || c == 0x3E ||
                            c == 0x26 || c == 0x64 || c == 0x65 || c == 0x66 || c == 0x67;
        if (!legacy && (c & 0xF0) != 0x40)
            break;
        p.operandSize16 |= c == 0x66;
        p.rexW = (c & 0xF8) == 0x48;
    }
    if (i < code.size() && code[i] == 0x0F) {
        if (++i >= code.size())
            return std::nullopt;
        p.map = code[i] == 0x38 ? 2 : code[i] == 0x3A ? 3 : 1;
        if (p.map != 1)
            ++i;
    }
    if (i >= code.size())
        return std::nullopt;
    p.opcode = code[i++];
    if (i < code.size())
        p.modrm = code[i];
    return p;
}

// The instructions the LOCK prefix is architecturally allowed on, and only with a memory
// destination (Intel SDM, LOCK): ADD ADC AND BTC BTR BTS CMPXCHG CMPXCHG8B/16B DEC INC NEG NOT
// OR SBB SUB XOR XADD XCHG.
bool lockable(const Prefixed& p) {
    if (!p.modrm || (*p.modrm >> 6) == 3)
        return false;
    const unsigned reg = (*p.modrm >> 3) & 7;
    const std::uint8_t op = p.opcode;
    switch (p.map) {
        case 0:
            if (op <= 0x35 && (op & 7) <= 1 && (op >> 3) != 7)  // ALU Eb/Ev, Gb/Gv but CMP
                return true;
            if (op == 0x80 || op == 0x81 || op == 0x83)  // ALU Ev, imm but CMP (/7)
                return reg != 7;
            if (op == 0x86 || op == 0x87)  // XCHG
                return true;
            if (op == 0xFE || op == 0xFF)  // INC, DEC
                return reg <= 1;
            if (op == 0xF6 || op == 0xF7)  // NOT, NEG
                return reg == 2 || reg == 3;
            return false;
        case 1:
            if (op == 0xAB || op == 0xB3 || op == 0xBB)  // BTS, BTR, BTC Ev, Gv
                return true;
            if (op == 0xBA)  // BTS, BTR, BTC Ev, imm8
                return reg >= 5;
            if (op == 0xB0 || op == 0xB1 || op == 0xC0 || op == 0xC1)  // CMPXCHG, XADD
                return true;
            if (op == 0xC7)  // CMPXCHG8B/16B
                return reg == 1;
            return false;
        default:
            return false;
    }
}

}  // namespace

bool abortsTranslator(std::span<const std::uint8_t> code) {
    const auto p = decodeOpcode(code);
    if (!p)
        return false;
    if (p->lock && !lockable(*p))
        return true;
    // Far CALL/JMP through a register (FF /3, FF /5 with mod 3): there is no register form.
    if (p->map == 0 && p->opcode == 0xFF && p->modrm && (*p->modrm >> 6) == 3) {
        const unsigned reg = (*p->modrm >> 3) & 7;
        return reg == 3 || reg == 5;
    }
    return false;
}

std::optional<unsigned> narrowIretOperandSize(std::span<const std::uint8_t> code) {
    const auto p = decodeOpcode(code);
    if (!p || p->map != 0 || p->opcode != 0xCF || p->rexW || p->lock)
        return std::nullopt;
    return p->operandSize16 ? 2u : 4u;
}

TranslationGuard::TranslationGuard() {
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &capstone_) != CS_ERR_OK)
        capstone_ = 0;
    else
        insn_ = cs_malloc(capstone_);
}

TranslationGuard::~TranslationGuard() {
    if (insn_)
        cs_free(insn_, 1);
    if (capstone_)
        cs_close(&capstone_);
}

bool TranslationGuard::allowRead(std::uint64_t va, std::uint64_t blockStart,
                                 const CodeReader& read) {
    next_.reset();
    // A new block, or the same block translated again (after a fault or a refusal), starts
    // over at its first byte.
    if (block_ != blockStart || va == blockStart) {
        block_ = blockStart;
        instructionStart_ = instructionEnd_ = blockStart;
        // A trust is for one translation: the first that starts at its block.
        if (trustedInUse_ || (trusted_ && *trusted_ != blockStart)) {
            trusted_.reset();
            trustedInUse_ = false;
        } else if (trusted_) {
            trustedInUse_ = true;
        }
    }
    if (trustedInUse_)
        return true;
    // The rest of an instruction already checked.
    if (va > instructionStart_ && va < instructionEnd_)
        return true;
    // An operand of 2, 4 or 8 bytes that crosses into the next page is read as two aligned
    // reads (2.0.1's load_helper): the page's last 2, 4 or 8 bytes, then the next page's
    // first. The first starts up to 7 bytes before the operand, on bytes of this instruction
    // or the one before it, or before the block: no instruction the translator decodes
    // starts there, so it is not checked as one.
    const std::uint64_t toPageEnd = kPageSize - (va & kPageMask);
    if (va < instructionStart_ && instructionStart_ - va < 8 &&
        (toPageEnd == 2 || toPageEnd == 4 || toPageEnd == 8))
        return true;
    // `va` starts an instruction: the next one, or (if the translator's idea of a length ever
    // differed from Capstone's) wherever it went on reading. When in doubt it is checked.
    std::array<std::uint8_t, 15> bytes{};
    const std::size_t n = read(va, bytes);
    const std::span<const std::uint8_t> code(bytes.data(), n);
    instructionStart_ = va;
    instructionEnd_ = va + 1;
    if (insn_ && n != 0) {
        const std::uint8_t* p = bytes.data();
        std::size_t size = n;
        std::uint64_t address = va;
        if (cs_disasm_iter(capstone_, &p, &size, &address, insn_)) {
            instructionEnd_ = va + insn_->size;
            next_ = instructionEnd_;
        }
    }
    return !abortsTranslator(code) && !narrowIretOperandSize(code);
}

}  // namespace ntoy::emu
