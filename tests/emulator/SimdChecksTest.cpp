#include "emulator/SimdChecks.h"

#include <gtest/gtest.h>
#include <unicorn/unicorn.h>

#include <bit>
#include <cstdint>
#include <vector>

namespace ntoy::emu {
namespace {

std::optional<SimdSite> classify(std::vector<std::uint8_t> code) {
    static const SimdClassifier classifier;
    return classifier.classify(code);
}

TEST(SimdChecks, Cr8MovesAreFoundWithTheirRegister) {
    const auto move = [](std::vector<std::uint8_t> code) { return cr8Move(code); };
    const auto write = move({0x44, 0x0F, 0x22, 0xC0});  // mov cr8, rax
    ASSERT_TRUE(write);
    EXPECT_TRUE(write->write);
    EXPECT_EQ(write->gpr, 0u);
    const auto read = move({0x44, 0x0F, 0x20, 0xC3});  // mov rbx, cr8
    ASSERT_TRUE(read);
    EXPECT_FALSE(read->write);
    EXPECT_EQ(read->gpr, 3u);
    EXPECT_EQ(move({0x4D, 0x0F, 0x20, 0xC7})->gpr, 15u);  // mov r15, cr8 (REX.W too)
    EXPECT_FALSE(move({0x0F, 0x22, 0xC0}));               // mov cr0, rax: no REX.R
    EXPECT_FALSE(move({0x0F, 0x20, 0xD8}));               // mov rax, cr3
    EXPECT_FALSE(move({0x44, 0x0F, 0x22, 0xD8}));         // mov cr11 (reg field 3): not CR8
    EXPECT_FALSE(move({0x44, 0x0F, 0x22}));               // cut short
}

TEST(SimdChecks, AlignedSseMemoryFormsNeedSixteenBytes) {
    const auto movdqa = classify({0x66, 0x0F, 0x6F, 0x00});  // movdqa xmm0, [rax]
    ASSERT_TRUE(movdqa);
    EXPECT_EQ(movdqa->alignment, 16u);
    EXPECT_EQ(movdqa->length, 4u);
    ASSERT_TRUE(movdqa->memory);
    EXPECT_EQ(movdqa->memory->base, UC_X86_REG_RAX);
    EXPECT_EQ(classify({0x0F, 0x29, 0x44, 0x24, 0x20})->alignment, 16u);  // movaps [rsp+32], xmm0
    EXPECT_EQ(classify({0x0F, 0x58, 0x00})->alignment, 16u);              // addps xmm0, [rax]
    EXPECT_EQ(classify({0x66, 0x0F, 0xEF, 0x00})->alignment, 16u);        // pxor xmm0, [rax]
    EXPECT_EQ(classify({0xF0, 0x48, 0x0F, 0xC7, 0x08})->alignment, 16u);  // cmpxchg16b [rax]
    EXPECT_EQ(classify({0x0F, 0xAE, 0x00})->alignment, 16u);              // fxsave [rax]
}

TEST(SimdChecks, UnalignedFormsAndOtherInstructionsNeedNothing) {
    EXPECT_FALSE(classify({0x0F, 0x10, 0x00}));                    // movups xmm0, [rax]
    EXPECT_FALSE(classify({0xF3, 0x0F, 0x6F, 0x00}));              // movdqu xmm0, [rax]
    EXPECT_FALSE(classify({0xF3, 0x0F, 0x7E, 0x00}));              // movq xmm0, [rax] (8 bytes)
    EXPECT_FALSE(classify({0x66, 0x0F, 0x6F, 0xC1}));              // movdqa xmm0, xmm1
    EXPECT_FALSE(classify({0x0F, 0x84, 0, 0, 0, 0}));              // je
    EXPECT_FALSE(classify({0x48, 0x8B, 0x00}));                    // mov rax, [rax]
    EXPECT_FALSE(classify({0xC5, 0xF9, 0x6F, 0x00}));              // vmovdqa: #UD in 2.0.1
    EXPECT_FALSE(classify({0x0F, 0x6F, 0x00}));                    // movq mm0, [rax] (MMX)
    EXPECT_FALSE(classify({0x66, 0x0F, 0x3A, 0x61, 0x00, 0x00}));  // pcmpestri xmm0, [rax], 0
    // comisd's operand is 8 bytes (Capstone 4.0.2 says 16): crt.strings met this one.
    const auto comisd = classify({0x66, 0x0F, 0x2F, 0x05, 0xBA, 0xB6, 0x00, 0x00});
    ASSERT_TRUE(comisd);  // arithmetic, checked once MXCSR unmasks an exception
    EXPECT_EQ(comisd->alignment, 0u);
    EXPECT_EQ(comisd->memory->bytes, 8u);
    EXPECT_EQ(classify({0x0F, 0x2F, 0x00})->alignment, 0u);  // comiss xmm0, [rax]
}

TEST(SimdChecks, ArithmeticAndMxcsrLoadsAreFound) {
    const auto divss = classify({0xF3, 0x0F, 0x5E, 0xC1});  // divss xmm0, xmm1
    ASSERT_TRUE(divss);
    EXPECT_EQ(divss->alignment, 0u);
    EXPECT_EQ(divss->arithmetic, SimdOp::divss);
    EXPECT_EQ(divss->destination, UC_X86_REG_XMM0);
    EXPECT_EQ(divss->source, UC_X86_REG_XMM1);
    const auto divsdMemory = classify({0xF2, 0x44, 0x0F, 0x5E, 0x08});  // divsd xmm9, [rax]
    ASSERT_TRUE(divsdMemory);
    EXPECT_EQ(divsdMemory->destination, UC_X86_REG_XMM9);
    EXPECT_EQ(divsdMemory->source, 0);
    EXPECT_EQ(divsdMemory->memory->bytes, 8u);
    EXPECT_EQ(divsdMemory->alignment, 0u);                            // a scalar operand
    EXPECT_EQ(classify({0x0F, 0xAE, 0x14, 0x24})->loadsMxcsrAt, 0u);  // ldmxcsr [rsp]
    const auto fxrstor = classify({0x0F, 0xAE, 0x08});                // fxrstor [rax]
    EXPECT_EQ(fxrstor->loadsMxcsrAt, 24u);
    EXPECT_EQ(fxrstor->alignment, 16u);
}

TEST(SimdChecks, EffectiveAddresses) {
    const auto reg = [](int r) -> std::uint64_t {
        return r == UC_X86_REG_RAX       ? 0x1000
               : r == UC_X86_REG_RCX     ? 3
               : r == UC_X86_REG_GS_BASE ? 0x50000
                                         : 0;
    };
    // movdqa xmm0, [rax+rcx*8+0x10]
    const auto sib = classify({0x66, 0x0F, 0x6F, 0x44, 0xC8, 0x10});
    EXPECT_EQ(effectiveAddress(*sib->memory, 0, reg), 0x1000u + 24 + 0x10);
    // movaps xmm0, [rip+0x100], 7 bytes long at 0x4000
    const auto rip = classify({0x0F, 0x28, 0x05, 0x00, 0x01, 0x00, 0x00});
    EXPECT_EQ(effectiveAddress(*rip->memory, 0x4000 + rip->length, reg), 0x4107u);
    // movdqa xmm0, gs:[rax]
    const auto gs = classify({0x65, 0x66, 0x0F, 0x6F, 0x00});
    EXPECT_EQ(effectiveAddress(*gs->memory, 0, reg), 0x51000u);
    // movdqa xmm0, [eax-0x1001]: 32-bit addressing wraps
    const auto narrow = classify({0x67, 0x66, 0x0F, 0x6F, 0x80, 0xFF, 0xEF, 0xFF, 0xFF});
    EXPECT_EQ(effectiveAddress(*narrow->memory, 0, reg), 0xFFFF'FFFFu);
}

Xmm floats(float a, float b = 0, float c = 0, float d = 0) {
    const auto bits = [](float f) { return std::uint64_t{std::bit_cast<std::uint32_t>(f)}; };
    return {bits(a) | bits(b) << 32, bits(c) | bits(d) << 32};
}

TEST(SimdChecks, HostComputesTheExceptionsAnInstructionRaises) {
    constexpr std::uint32_t kDefault = 0x1F80;
    constexpr std::uint32_t kZeroDivideUnmasked = 0x1D80, kInvalidUnmasked = 0x1F00;
    constexpr std::uint32_t kPrecisionUnmasked = 0x0F80, kOverflowUnmasked = 0x1B80;
    EXPECT_EQ(simdExceptions(SimdOp::divss, floats(1), floats(0), kZeroDivideUnmasked), 0x04u);
    EXPECT_EQ(simdExceptions(SimdOp::divss, floats(1), floats(0), kDefault), 0u);
    EXPECT_EQ(simdExceptions(SimdOp::divss, floats(1), floats(2), kZeroDivideUnmasked), 0u);
    EXPECT_EQ(simdExceptions(SimdOp::sqrtss, floats(0), floats(-1), kInvalidUnmasked), 0x01u);
    EXPECT_EQ(simdExceptions(SimdOp::divss, floats(1), floats(3), kPrecisionUnmasked), 0x20u);
    // Scalar: the upper lanes (here 1/0) take no part.
    EXPECT_EQ(simdExceptions(SimdOp::divss, floats(1, 1), floats(2, 0), kZeroDivideUnmasked), 0u);
    // Packed: any lane. Lane 0 divides by zero (unmasked, before rounding), lane 1
    // overflows: only the divide by zero is recorded.
    EXPECT_EQ(simdExceptions(SimdOp::divps, floats(1, 3e38f), floats(0, 1e-10f, 1, 1),
                             kZeroDivideUnmasked & kOverflowUnmasked),
              0x04u);
    // With only overflow unmasked, the overflow is reported with its inexact result.
    EXPECT_EQ(simdExceptions(SimdOp::mulps, floats(3e38f), floats(10), kOverflowUnmasked), 0x28u);
    // The host's own MXCSR is left as it was.
    std::uint32_t host = 0;
    __asm__ volatile("stmxcsr %0" : "=m"(host));
    simdExceptions(SimdOp::divss, floats(1), floats(0), 0);
    std::uint32_t after = 0;
    __asm__ volatile("stmxcsr %0" : "=m"(after));
    EXPECT_EQ(after, host);
}

}  // namespace
}  // namespace ntoy::emu
