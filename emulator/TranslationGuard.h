// Keeps instructions that abort Unicorn 2.0.1's translator, or that it gets wrong in a way
// that gives user code the machine, away from it.
//
// Some encodings make 2.0.1's x86 translator emit TCG code that reads an uninitialised
// temporary, and TCG then aborts the host process ("tcg fatal error", SIGABRT): the far
// CALL/JMP forms FF /3 and FF /5 with a register operand, and the LOCK prefix on instructions
// that cannot be locked (CMP, CMPS, BT with a register, ...). All of them are #UD on a real
// CPU. A sweep of 3.4 million encodings (prefixes x one-, two- and three-byte opcodes x ModRM)
// found 5,440 that abort, every one in these two families; tests/emulator keeps the sweep.
//
// The way round it (see UnicornQuirks.h): every memory region lacks UC_PROT_EXEC, so the
// translator's every code-byte read goes through UC_HOOK_MEM_FETCH_PROT before the page walk.
// The guard follows the reads instruction by instruction (the translator reads them in order
// from the block's start, which is the CPU's RIP while it translates) and refuses the first
// byte of an instruction that would abort. Refusing makes Unicorn leave the translation
// cleanly (UC_ERR_FETCH_PROT) before anything of the block has run; the engine then steps up
// to that instruction and reports #UD there.
//
// The same way keeps 2.0.1 from running a 32- or 16-bit IRET (CF without REX.W): when the
// EFLAGS image it pops has VM set, it enters virtual-8086 mode at any CPL, with CS 0, where a
// real CPU at CPL 3 ignores VM and faults on the null CS. The engine performs those IRETs
// itself (Engine::emulateNarrowIret).
#pragma once

#include <capstone/capstone.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>

namespace ntoy::emu {

// Whether the instruction at the start of `code` (up to 15 bytes; fewer if the rest is not
// readable) aborts 2.0.1's translator. Every such instruction is #UD on a real CPU.
bool abortsTranslator(std::span<const std::uint8_t> code);

// The operand size (4 or 2) of a 32- or 16-bit IRET at the start of `code`; empty for any
// other instruction, IRETQ included.
std::optional<unsigned> narrowIretOperandSize(std::span<const std::uint8_t> code);

class TranslationGuard {
public:
    TranslationGuard();
    ~TranslationGuard();
    TranslationGuard(const TranslationGuard&) = delete;
    TranslationGuard& operator=(const TranslationGuard&) = delete;

    // Reads up to out.size() bytes of guest code at a virtual address; returns the count.
    using CodeReader = std::function<std::size_t(std::uint64_t va, std::span<std::uint8_t> out)>;

    // The translator, building the block that starts at `blockStart`, reads code at `va`.
    // False refuses the read: the instruction starting at `va` would abort the translator.
    bool allowRead(std::uint64_t va, std::uint64_t blockStart, const CodeReader& read);

    // The next translation of the block at `blockStart` is one instruction (the trap flag is
    // set) and the byte refused in it was inside that instruction: where Capstone cannot decode
    // an instruction (an invalid one), the guard takes its next byte for the next instruction.
    // That one translation reads without checks; the translator stops after the instruction.
    void trustOneInstructionAt(std::uint64_t blockStart) { trusted_ = blockStart; }

    // Where the next instruction starts, if the last allowRead began (and decoded) a new
    // instruction: the translator asks about its code hooks for that one next (Engine.h,
    // SIMD checks).
    std::optional<std::uint64_t> nextInstruction() const { return next_; }

private:
    std::optional<std::uint64_t> trusted_;
    bool trustedInUse_ = false;
    csh capstone_ = 0;
    cs_insn* insn_ = nullptr;  // Capstone's decode buffer, allocated once
    std::optional<std::uint64_t> block_;
    std::uint64_t instructionStart_ = 0, instructionEnd_ = 0;
    std::optional<std::uint64_t> next_;
};

}  // namespace ntoy::emu
