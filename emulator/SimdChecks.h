// The SSE behaviours 2.0.1's translator (QEMU 5.0) leaves out, and what it takes to put them
// back: a legacy SSE instruction's 16-byte memory operand must be 16-byte aligned (#GP
// otherwise), as must CMPXCHG16B's and FXSAVE's (XSAVE's: 64); loading MXCSR with a reserved
// bit set is #GP; and an SSE exception that MXCSR leaves unmasked raises #XM instead of giving
// the masked result.
//
// Both depend on values only known as the instruction runs (an address, MXCSR, the
// operands), so the engine checks the instructions that need it just before they run, with a
// code hook on exactly those instructions (Engine.h: "SIMD checks"). This file decides which
// instructions those are, and what a check finds:
// - classify(): what, if anything, an instruction needs checked;
// - effectiveAddress(): where its memory operand is;
// - simdExceptions(): which MXCSR exceptions an arithmetic instruction raises on these
//   operands, computed by the host CPU itself (the same IEEE operation in the same rounding
//   mode, with every exception masked); no guest code ever runs on the host.
#pragma once

#include <capstone/capstone.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>

namespace ntoy::emu {

// The arithmetic instructions whose exceptions are checked, by mnemonic (the host runs each
// by that name).
// clang-format off
#define NTOY_SIMD_ARITHMETIC(X)                                                                 \
    X(addps) X(addpd) X(addss) X(addsd) X(subps) X(subpd) X(subss) X(subsd) X(mulps) X(mulpd)    \
    X(mulss) X(mulsd) X(divps) X(divpd) X(divss) X(divsd) X(sqrtps) X(sqrtpd) X(sqrtss)          \
    X(sqrtsd) X(minps) X(minpd) X(minss) X(minsd) X(maxps) X(maxpd) X(maxss) X(maxsd)            \
    X(comiss) X(comisd) X(ucomiss) X(ucomisd) X(cvtss2sd) X(cvtsd2ss) X(cvtps2pd) X(cvtpd2ps)    \
    X(addsubps) X(addsubpd) X(haddps) X(haddpd) X(hsubps) X(hsubpd)
// clang-format on

enum class SimdOp : std::uint8_t {
#define NTOY_SIMD_ENUM(name) name,
    NTOY_SIMD_ARITHMETIC(NTOY_SIMD_ENUM)
#undef NTOY_SIMD_ENUM
};

// A memory operand, with registers named as Unicorn names them (0: none).
struct MemoryOperand {
    int segment = 0;  // UC_X86_REG_FS or UC_X86_REG_GS when overridden; others have base 0
    int base = 0;
    int index = 0;
    unsigned scale = 1;
    std::int64_t displacement = 0;
    bool ripRelative = false;  // base is the next instruction's address
    bool address32 = false;    // a 67 prefix: the sum wraps at 4 GiB
    unsigned bytes = 0;        // the operand's size
};

// Not SIMD, but chosen and run the same way: MOV to or from CR8. 2.0.1 runs it against an APIC
// it does not have (a write is lost, a read gives 0), so the engine keeps CR8 itself and the
// instruction's hook moves it; on x64 CR8 is the IRQL, which kernel code sets inline.
struct Cr8Move {
    bool write = false;    // MOV CR8, reg (else MOV reg, CR8)
    std::uint8_t gpr = 0;  // 0 RAX ... 15 R15
};
inline constexpr std::uint8_t kCr8MoveLength = 4;  // REX.R 0F 20/22 /r
std::optional<Cr8Move> cr8Move(std::span<const std::uint8_t> code);

struct SimdSite {
    std::uint8_t length = 0;               // the instruction's
    std::optional<MemoryOperand> memory;   // its memory operand, if any
    unsigned alignment = 0;                // the memory operand must be so aligned (0: not)
    std::optional<SimdOp> arithmetic;      // an instruction whose exceptions are checked
    int destination = 0, source = 0;       // arithmetic: UC_X86_REG_XMMn (source 0: memory)
    std::optional<unsigned> loadsMxcsrAt;  // LDMXCSR, FXRSTOR, XRSTOR: MXCSR's offset in memory
    bool reservedMxcsrFaults = false;      // LDMXCSR, FXRSTOR: MXCSR bits 16-31 set are #GP
    std::optional<Cr8Move> cr8;            // the engine runs it (Cr8Move)
};

class SimdClassifier {
public:
    SimdClassifier();
    ~SimdClassifier();
    SimdClassifier(const SimdClassifier&) = delete;
    SimdClassifier& operator=(const SimdClassifier&) = delete;

    // What the instruction at the start of `code` needs checked; empty for nothing (most
    // instructions, which a cheap look at the opcode settles without Capstone).
    std::optional<SimdSite> classify(std::span<const std::uint8_t> code) const;

private:
    csh capstone_ = 0;
    cs_insn* insn_ = nullptr;
};

// The operand's address, from register values (`reg` reads a UC_X86_REG_*) and the address
// of the instruction's end.
std::uint64_t effectiveAddress(const MemoryOperand& m, std::uint64_t nextInstruction,
                               const std::function<std::uint64_t(int)>& reg);

// A 128-bit register or memory operand, low quadword first.
using Xmm = std::array<std::uint64_t, 2>;

// The MXCSR exception flags (bits 0-5) that `op` on these operands raises under `mxcsr`, as
// a real CPU records them when some are unmasked: a pre-computation exception (invalid,
// denormal, divide by zero) that is unmasked stops the instruction before the result is
// rounded, so the post-computation ones (overflow, underflow, precision) are then not
// recorded. Zero when the instruction completes without #XM.
unsigned simdExceptions(SimdOp op, const Xmm& destination, const Xmm& source, std::uint32_t mxcsr);

// Whether `mxcsr` unmasks any exception (a mask bit 7-12 clear).
constexpr bool unmasksSimdExceptions(std::uint32_t mxcsr) {
    return (mxcsr & 0x1F80) != 0x1F80;
}

}  // namespace ntoy::emu
