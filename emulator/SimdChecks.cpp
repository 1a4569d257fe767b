#include "emulator/SimdChecks.h"

#include <unicorn/unicorn.h>

#include <algorithm>
#include <cstring>

namespace ntoy::emu {
namespace {

// The one-byte opcodes after 0F that can be SSE (or CMPXCHG16B, FXSAVE and their group):
// everything else there (jumps, SETcc, CMOVcc, MOVZX, BT, ...) is settled without Capstone.
bool mayNeedCheck(std::span<const std::uint8_t> code) {
    std::size_t i = 0;
    for (; i < code.size(); ++i) {
        const std::uint8_t c = code[i];
        const bool prefix = c == 0xF0 || c == 0xF2 || c == 0xF3 || c == 0x2E || c == 0x36 ||
                            c == 0x3E || c == 0x26 || c == 0x64 || c == 0x65 || c == 0x66 ||
                            c == 0x67 || (c & 0xF0) == 0x40;
        if (!prefix)
            break;
    }
    if (i + 1 >= code.size() || code[i] != 0x0F)
        return false;
    const std::uint8_t op = code[i + 1];
    return (op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2F) || op == 0x38 || op == 0x3A ||
           (op >= 0x50 && op <= 0x7F) || op == 0xAE || (op >= 0xC2 && op <= 0xC7) || op >= 0xD0;
}

// Capstone's register as Unicorn names it; `narrow` is set for a 32-bit one.
int ucRegister(x86_reg r, bool* narrow = nullptr) {
    static constexpr std::pair<x86_reg, int> k64[] = {
        {X86_REG_RAX, UC_X86_REG_RAX}, {X86_REG_RCX, UC_X86_REG_RCX}, {X86_REG_RDX, UC_X86_REG_RDX},
        {X86_REG_RBX, UC_X86_REG_RBX}, {X86_REG_RSP, UC_X86_REG_RSP}, {X86_REG_RBP, UC_X86_REG_RBP},
        {X86_REG_RSI, UC_X86_REG_RSI}, {X86_REG_RDI, UC_X86_REG_RDI}, {X86_REG_R8, UC_X86_REG_R8},
        {X86_REG_R9, UC_X86_REG_R9},   {X86_REG_R10, UC_X86_REG_R10}, {X86_REG_R11, UC_X86_REG_R11},
        {X86_REG_R12, UC_X86_REG_R12}, {X86_REG_R13, UC_X86_REG_R13}, {X86_REG_R14, UC_X86_REG_R14},
        {X86_REG_R15, UC_X86_REG_R15},
    };
    static constexpr std::pair<x86_reg, int> k32[] = {
        {X86_REG_EAX, UC_X86_REG_RAX},  {X86_REG_ECX, UC_X86_REG_RCX},
        {X86_REG_EDX, UC_X86_REG_RDX},  {X86_REG_EBX, UC_X86_REG_RBX},
        {X86_REG_ESP, UC_X86_REG_RSP},  {X86_REG_EBP, UC_X86_REG_RBP},
        {X86_REG_ESI, UC_X86_REG_RSI},  {X86_REG_EDI, UC_X86_REG_RDI},
        {X86_REG_R8D, UC_X86_REG_R8},   {X86_REG_R9D, UC_X86_REG_R9},
        {X86_REG_R10D, UC_X86_REG_R10}, {X86_REG_R11D, UC_X86_REG_R11},
        {X86_REG_R12D, UC_X86_REG_R12}, {X86_REG_R13D, UC_X86_REG_R13},
        {X86_REG_R14D, UC_X86_REG_R14}, {X86_REG_R15D, UC_X86_REG_R15},
    };
    for (const auto& [cs, uc] : k64)
        if (cs == r)
            return uc;
    for (const auto& [cs, uc] : k32)
        if (cs == r) {
            if (narrow)
                *narrow = true;
            return uc;
        }
    if (r >= X86_REG_XMM0 && r <= X86_REG_XMM15)
        return UC_X86_REG_XMM0 + (r - X86_REG_XMM0);
    if (r == X86_REG_FS)
        return UC_X86_REG_FS_BASE;
    if (r == X86_REG_GS)
        return UC_X86_REG_GS_BASE;
    return 0;
}

std::optional<SimdOp> arithmeticOp(unsigned id) {
    switch (id) {
        case X86_INS_ADDPS:
            return SimdOp::addps;
        case X86_INS_ADDPD:
            return SimdOp::addpd;
        case X86_INS_ADDSS:
            return SimdOp::addss;
        case X86_INS_ADDSD:
            return SimdOp::addsd;
        case X86_INS_SUBPS:
            return SimdOp::subps;
        case X86_INS_SUBPD:
            return SimdOp::subpd;
        case X86_INS_SUBSS:
            return SimdOp::subss;
        case X86_INS_SUBSD:
            return SimdOp::subsd;
        case X86_INS_MULPS:
            return SimdOp::mulps;
        case X86_INS_MULPD:
            return SimdOp::mulpd;
        case X86_INS_MULSS:
            return SimdOp::mulss;
        case X86_INS_MULSD:
            return SimdOp::mulsd;
        case X86_INS_DIVPS:
            return SimdOp::divps;
        case X86_INS_DIVPD:
            return SimdOp::divpd;
        case X86_INS_DIVSS:
            return SimdOp::divss;
        case X86_INS_DIVSD:
            return SimdOp::divsd;
        case X86_INS_SQRTPS:
            return SimdOp::sqrtps;
        case X86_INS_SQRTPD:
            return SimdOp::sqrtpd;
        case X86_INS_SQRTSS:
            return SimdOp::sqrtss;
        case X86_INS_SQRTSD:
            return SimdOp::sqrtsd;
        case X86_INS_MINPS:
            return SimdOp::minps;
        case X86_INS_MINPD:
            return SimdOp::minpd;
        case X86_INS_MINSS:
            return SimdOp::minss;
        case X86_INS_MINSD:
            return SimdOp::minsd;
        case X86_INS_MAXPS:
            return SimdOp::maxps;
        case X86_INS_MAXPD:
            return SimdOp::maxpd;
        case X86_INS_MAXSS:
            return SimdOp::maxss;
        case X86_INS_MAXSD:
            return SimdOp::maxsd;
        case X86_INS_COMISS:
            return SimdOp::comiss;
        case X86_INS_COMISD:
            return SimdOp::comisd;
        case X86_INS_UCOMISS:
            return SimdOp::ucomiss;
        case X86_INS_UCOMISD:
            return SimdOp::ucomisd;
        case X86_INS_CVTSS2SD:
            return SimdOp::cvtss2sd;
        case X86_INS_CVTSD2SS:
            return SimdOp::cvtsd2ss;
        case X86_INS_CVTPS2PD:
            return SimdOp::cvtps2pd;
        case X86_INS_CVTPD2PS:
            return SimdOp::cvtpd2ps;
        case X86_INS_ADDSUBPS:
            return SimdOp::addsubps;
        case X86_INS_ADDSUBPD:
            return SimdOp::addsubpd;
        case X86_INS_HADDPS:
            return SimdOp::haddps;
        case X86_INS_HADDPD:
            return SimdOp::haddpd;
        case X86_INS_HSUBPS:
            return SimdOp::hsubps;
        case X86_INS_HSUBPD:
            return SimdOp::hsubpd;
        default:
            return std::nullopt;
    }
}

// Legacy SSE instructions whose 16-byte memory operand may be unaligned (Intel SDM vol. 1,
// 4.1.1 and 12.7: the unaligned moves, LDDQU, and the SSE4.2 string compares).
bool unalignedAllowed(unsigned id) {
    switch (id) {
        case X86_INS_MOVUPS:
        case X86_INS_MOVUPD:
        case X86_INS_MOVDQU:
        case X86_INS_LDDQU:
        case X86_INS_PCMPESTRI:
        case X86_INS_PCMPESTRM:
        case X86_INS_PCMPISTRI:
        case X86_INS_PCMPISTRM:
            return true;
        default:
            return false;
    }
}

// Alignment that an instruction requires whatever its operand's size says.
unsigned fixedAlignment(unsigned id) {
    switch (id) {
        case X86_INS_CMPXCHG16B:
        case X86_INS_FXSAVE:
        case X86_INS_FXSAVE64:
        case X86_INS_FXRSTOR:
        case X86_INS_FXRSTOR64:
            return 16;
        case X86_INS_XSAVE:
        case X86_INS_XSAVE64:
        case X86_INS_XSAVEOPT:
        case X86_INS_XSAVEOPT64:
        case X86_INS_XSAVEC:
        case X86_INS_XSAVEC64:
        case X86_INS_XSAVES:
        case X86_INS_XSAVES64:
        case X86_INS_XRSTOR:
        case X86_INS_XRSTOR64:
        case X86_INS_XRSTORS:
        case X86_INS_XRSTORS64:
            return 64;
        default:
            return 0;
    }
}

// Where in its memory operand an instruction finds the MXCSR it loads (the legacy area's
// MXCSR field for FXRSTOR and XRSTOR).
std::optional<unsigned> mxcsrOffset(unsigned id) {
    switch (id) {
        case X86_INS_LDMXCSR:
            return 0;
        case X86_INS_FXRSTOR:
        case X86_INS_FXRSTOR64:
        case X86_INS_XRSTOR:
        case X86_INS_XRSTOR64:
        case X86_INS_XRSTORS:
        case X86_INS_XRSTORS64:
            return 24;
        default:
            return std::nullopt;
    }
}

// The memory operand's size, where Capstone 4.0.2 gets it wrong: it calls COMISS's and
// COMISD's operands xmmword (a sweep of every 0F, 0F 38 and 0F 3A opcode found these).
unsigned memoryBytes(unsigned id, unsigned reported) {
    switch (id) {
        case X86_INS_COMISS:
        case X86_INS_UCOMISS:
            return 4;
        case X86_INS_COMISD:
        case X86_INS_UCOMISD:
            return 8;
        default:
            return reported;
    }
}

// 16-byte operands that are not SSE data: the privileged INVEPT, INVVPID and INVPCID.
bool isSseData(unsigned id) {
    return id != X86_INS_INVEPT && id != X86_INS_INVVPID && id != X86_INS_INVPCID;
}

bool isVex(const cs_insn& insn) {
    for (std::uint8_t g = 0; g < insn.detail->groups_count; ++g) {
        const auto group = insn.detail->groups[g];
        if (group == X86_GRP_AVX || group == X86_GRP_AVX2 || group == X86_GRP_AVX512 ||
            group == X86_GRP_FMA || group == X86_GRP_FMA4 || group == X86_GRP_F16C ||
            group == X86_GRP_XOP)
            return true;
    }
    return false;
}

}  // namespace

SimdClassifier::SimdClassifier() {
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &capstone_) != CS_ERR_OK) {
        capstone_ = 0;
        return;
    }
    cs_option(capstone_, CS_OPT_DETAIL, CS_OPT_ON);
    insn_ = cs_malloc(capstone_);
}

SimdClassifier::~SimdClassifier() {
    if (insn_)
        cs_free(insn_, 1);
    if (capstone_)
        cs_close(&capstone_);
}

std::optional<Cr8Move> cr8Move(std::span<const std::uint8_t> code) {
    // REX with R set (CR8 is CR0 + 8; W and X change nothing), 0F 20 (read) or 0F 22 (write),
    // then a register operand (mod 11) whose reg field is 0.
    if (code.size() < kCr8MoveLength || (code[0] & 0xF4) != 0x44 || code[1] != 0x0F ||
        (code[2] != 0x20 && code[2] != 0x22) || (code[3] & 0xF8) != 0xC0)
        return std::nullopt;
    return Cr8Move{code[2] == 0x22,
                   static_cast<std::uint8_t>((code[3] & 7) | ((code[0] & 1) != 0 ? 8 : 0))};
}

std::optional<SimdSite> SimdClassifier::classify(std::span<const std::uint8_t> code) const {
    if (!insn_ || !mayNeedCheck(code))
        return std::nullopt;
    const std::uint8_t* p = code.data();
    std::size_t size = code.size();
    std::uint64_t address = 0;
    if (!cs_disasm_iter(capstone_, &p, &size, &address, insn_) || isVex(*insn_))
        return std::nullopt;  // an invalid instruction (#UD), or a VEX one (#UD in 2.0.1)
    const cs_x86& x = insn_->detail->x86;
    SimdSite site;
    site.length = static_cast<std::uint8_t>(insn_->size);
    for (std::uint8_t i = 0; i < x.op_count; ++i) {
        const cs_x86_op& op = x.operands[i];
        if (op.type != X86_OP_MEM)
            continue;
        MemoryOperand m;
        bool narrow = false;
        m.segment = (op.mem.segment == X86_REG_FS || op.mem.segment == X86_REG_GS)
                        ? ucRegister(op.mem.segment)
                        : 0;
        m.ripRelative = op.mem.base == X86_REG_RIP || op.mem.base == X86_REG_EIP;
        m.base = m.ripRelative ? 0 : ucRegister(op.mem.base, &narrow);
        m.index = ucRegister(op.mem.index, &narrow);
        m.scale = op.mem.scale > 0 ? static_cast<unsigned>(op.mem.scale) : 1;
        m.displacement = op.mem.disp;
        m.address32 = narrow || x.addr_size == 4;
        m.bytes = memoryBytes(insn_->id, op.size);
        site.memory = m;
    }
    const unsigned id = insn_->id;
    if (const unsigned fixed = fixedAlignment(id); fixed != 0 && site.memory)
        site.alignment = fixed;
    else if (site.memory && site.memory->bytes == 16 && !unalignedAllowed(id) && isSseData(id))
        site.alignment = 16;
    site.loadsMxcsrAt = mxcsrOffset(id);
    site.reservedMxcsrFaults =
        id == X86_INS_LDMXCSR || id == X86_INS_FXRSTOR || id == X86_INS_FXRSTOR64;
    if (const auto op = arithmeticOp(id);
        op && x.op_count == 2 && x.operands[0].type == X86_OP_REG) {
        site.arithmetic = op;
        site.destination = ucRegister(x.operands[0].reg);
        site.source = x.operands[1].type == X86_OP_REG ? ucRegister(x.operands[1].reg) : 0;
        if (site.destination == 0 || (site.source == 0 && !site.memory))
            site.arithmetic.reset();
    }
    if (site.alignment == 0 && !site.arithmetic && !site.loadsMxcsrAt)
        return std::nullopt;
    return site;
}

std::uint64_t effectiveAddress(const MemoryOperand& m, std::uint64_t nextInstruction,
                               const std::function<std::uint64_t(int)>& reg) {
    std::uint64_t a = static_cast<std::uint64_t>(m.displacement);
    if (m.ripRelative)
        a += nextInstruction;
    if (m.base != 0)
        a += reg(m.base);
    if (m.index != 0)
        a += reg(m.index) * m.scale;
    if (m.address32)
        a &= 0xFFFF'FFFFu;
    if (m.segment != 0)
        a += reg(m.segment);
    return a;
}

unsigned simdExceptions(SimdOp op, const Xmm& destination, const Xmm& source, std::uint32_t mxcsr) {
    // The guest's rounding, flush-to-zero and denormals-are-zero, every exception masked and
    // no flag set: the host computes the masked result and records what it met.
    const std::uint32_t in = (mxcsr & 0xE040u) | 0x1F80u;
    std::uint32_t out = 0, saved = 0;
    using V = long long __attribute__((vector_size(16)));
    V a, b;
    std::memcpy(&a, destination.data(), 16);
    std::memcpy(&b, source.data(), 16);
    switch (op) {
#define NTOY_SIMD_RUN(name)                                     \
    case SimdOp::name:                                          \
        __asm__ volatile(                                       \
            "stmxcsr %[saved]\n\t"                              \
            "ldmxcsr %[in]\n\t" #name                           \
            " %[b], %[a]\n\t"                                   \
            "stmxcsr %[out]\n\t"                                \
            "ldmxcsr %[saved]"                                  \
            : [a] "+x"(a), [out] "=m"(out), [saved] "=m"(saved) \
            : [b] "x"(b), [in] "m"(in)                          \
            : "cc");                                            \
        break;
        NTOY_SIMD_ARITHMETIC(NTOY_SIMD_RUN)
#undef NTOY_SIMD_RUN
    }
    const unsigned raised = out & 0x3F;
    const unsigned unmasked = ~(mxcsr >> 7) & 0x3F;
    const unsigned pre = raised & 0x07;  // invalid, denormal, divide by zero
    if (pre & unmasked)
        return pre;
    return (raised & unmasked) ? raised : 0;
}

}  // namespace ntoy::emu
