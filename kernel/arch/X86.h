// x86-64 architectural constants: control-register bits, the segment selectors (Windows x64
// ones, so a CONTEXT shows SegCs 0x33 and SegSs 0x2B as on Windows) and descriptor encoding.
#pragma once

#include <array>
#include <cstdint>

namespace ntoy::x86 {

inline constexpr std::uint64_t kCr0Pe = 1u << 0, kCr0Mp = 1u << 1, kCr0Et = 1u << 4,
                               kCr0Ne = 1u << 5, kCr0Wp = 1u << 16, kCr0Pg = 1u << 31;
inline constexpr std::uint64_t kCr4Pae = 1u << 5, kCr4Osfxsr = 1u << 9, kCr4Osxmmexcpt = 1u << 10;

// GDT slots, as on 64-bit Windows.
inline constexpr std::uint16_t kKernelCs = 0x10, kKernelSs = 0x18;
inline constexpr std::uint16_t kUserCompatCs = 0x23, kUserSs = 0x2B, kUserCs = 0x33;
inline constexpr std::uint16_t kTssSelector = 0x40;
// CF PF AF ZF SF TF DF OF: the RFLAGS bits user code may set (POPF, NtContinue, a debugger).
// IF, IOPL and the rest are the kernel's.
inline constexpr std::uint64_t kUserWritableFlags = 0x0DD5;
inline constexpr std::uint32_t kTssLimit = 0x67;
// FS in every user thread: Windows' 32-bit TEB segment (used by WOW64; a 64-bit thread finds
// its TEB through GS).
inline constexpr std::uint16_t kUserFs = 0x53;
inline constexpr std::size_t kGdtEntries = 11;  // 0x00 … 0x50; the TSS takes two slots

// SYSCALL's encoding (0F 05): the return address is this far past the instruction.
inline constexpr std::uint64_t kSyscallLength = 2;

// The kernel's TLB-flush routine (see hal::SystemRegisters): mov rax, cr3; mov cr3, rax;
// syscall.
inline constexpr std::array<std::uint8_t, 8> kTlbFlushRoutine = {0x0F, 0x20, 0xD8, 0x0F,
                                                                 0x22, 0xD8, 0x0F, 0x05};

// The kernel's ring-0 probes (Kernel::ring0Read/ring0Write): one access of system memory at
// CPL0, ended by SYSCALL as every kernel routine is (hal::Processor::callKernelRoutine).
inline constexpr std::array<std::uint8_t, 5> kRing0ReadRoutine = {
    0x48, 0x8B, 0x01,  // mov rax, [rcx]
    0x0F, 0x05,        // syscall
};
inline constexpr std::array<std::uint8_t, 5> kRing0WriteRoutine = {
    0x48, 0x89, 0x11,  // mov [rcx], rdx
    0x0F, 0x05,        // syscall
};

// Builds the GDT: flat 64-bit code and data for ring 0 and ring 3, and a 64-bit TSS at
// `tssBase` (the CPU needs one in long mode; ours is never used for a stack switch because
// Unicorn delivers exceptions to the host, not through the IDT).
constexpr std::array<std::uint64_t, kGdtEntries> buildGdt(std::uint64_t tssBase) {
    std::array<std::uint64_t, kGdtEntries> gdt{};
    gdt[kKernelCs / 8] = 0x00209B0000000000;      // P, DPL0, code, L
    gdt[kKernelSs / 8] = 0x00CF93000000FFFF;      // P, DPL0, data RW
    gdt[kUserCompatCs / 8] = 0x00CFFB000000FFFF;  // P, DPL3, 32-bit code
    gdt[kUserSs / 8] = 0x00CFF3000000FFFF;        // P, DPL3, data RW
    gdt[kUserCs / 8] = 0x0020FB0000000000;        // P, DPL3, code, L
    gdt[kTssSelector / 8] = kTssLimit | ((tssBase & 0xFFFFFF) << 16) | (0x89ull << 40) |
                            (((tssBase >> 24) & 0xFF) << 56);
    gdt[kTssSelector / 8 + 1] = tssBase >> 32;
    gdt[kUserFs / 8] = 0x0040F30000003C00;  // P, DPL3, data RW, 32-bit, limit 0x3C00 (as Windows)
    return gdt;
}

}  // namespace ntoy::x86
