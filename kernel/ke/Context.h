// The x64 CONTEXT and EXCEPTION_RECORD, in Windows' layout, and their exchange with the CPU.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "kernel/hal/Cpu.h"

namespace ntoy::ke {

inline constexpr std::uint32_t kContextAmd64 = 0x100000;
inline constexpr std::uint32_t kContextControl = kContextAmd64 | 0x1;
inline constexpr std::uint32_t kContextInteger = kContextAmd64 | 0x2;
inline constexpr std::uint32_t kContextSegments = kContextAmd64 | 0x4;
inline constexpr std::uint32_t kContextFloatingPoint = kContextAmd64 | 0x8;
inline constexpr std::uint32_t kContextFull =
    kContextControl | kContextInteger | kContextFloatingPoint;

struct alignas(16) Context {
    std::uint64_t pHome[6];
    std::uint32_t contextFlags;
    std::uint32_t mxCsr;
    std::uint16_t segCs, segDs, segEs, segFs, segGs, segSs;
    std::uint32_t eFlags;
    std::uint64_t dr[6];  // Dr0-Dr3, Dr6, Dr7
    std::uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
    std::uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    std::uint64_t rip;
    // XMM_SAVE_AREA32 (FXSAVE layout)
    struct {
        std::uint16_t controlWord, statusWord;
        std::uint8_t tagWord, reserved1;
        std::uint16_t errorOpcode;
        std::uint32_t errorOffset;
        std::uint16_t errorSelector, reserved2;
        std::uint32_t dataOffset;
        std::uint16_t dataSelector, reserved3;
        std::uint32_t mxCsr, mxCsrMask;
        std::uint8_t floatRegisters[8][16];
        std::uint8_t xmm[16][16];
        std::uint8_t reserved4[96];
    } fltSave;
    std::uint8_t vectorRegister[26][16];
    std::uint64_t vectorControl, debugControl;
    std::uint64_t lastBranchToRip, lastBranchFromRip, lastExceptionToRip, lastExceptionFromRip;
};
static_assert(sizeof(Context) == 0x4D0);
static_assert(offsetof(Context, contextFlags) == 0x30);
static_assert(offsetof(Context, eFlags) == 0x44);
static_assert(offsetof(Context, rax) == 0x78);
static_assert(offsetof(Context, rip) == 0xF8);
static_assert(offsetof(Context, fltSave) == 0x100);
static_assert(offsetof(Context, fltSave.xmm) == 0x1A0);

struct ExceptionRecord {
    std::uint32_t exceptionCode;
    std::uint32_t exceptionFlags;
    std::uint64_t exceptionRecord;
    std::uint64_t exceptionAddress;
    std::uint32_t numberParameters;
    std::uint32_t reserved;
    std::uint64_t exceptionInformation[15];
};
static_assert(sizeof(ExceptionRecord) == 0x98);

// The CPU's user state as a CONTEXT, and back. Writing back keeps the user segment selectors
// and lets user code change only the arithmetic and direction/trap flags.
Context captureContext(hal::Cpu& cpu);
void restoreContext(hal::Cpu& cpu, const Context& ctx);
// The same at CPL0, for ring-0 code's own exceptions: the segments stay the kernel's.
void restoreKernelContext(hal::Cpu& cpu, const Context& ctx);

}  // namespace ntoy::ke
