// Every workaround for Debian's Unicorn 2.0.1 lives here (see
// shared/design/unicorn-2.0.1-paging.md). The library keeps three CPU fields out of reach of
// its API: the exception in flight (never cleared, so the second #PF would become #DF), the
// #PF error code, and EFER (whose NXE and SCE bits its CPU model drops). We find their byte
// offsets in a saved uc_context at start-up by differential probing, and patch them there.
// A self-test then checks the rest of what ntoy relies on; if the library behaves
// differently, ntoy refuses to run with a one-line reason.
#pragma once

#include <unicorn/unicorn.h>

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>

namespace ntoy::emu {

struct ContextLayout {
    std::size_t contextSize = 0;        // uc_context_size()
    std::size_t exceptionInFlight = 0;  // int32: -1 when no exception is being delivered
    std::size_t errorCode = 0;          // int32: error code of the last exception
    std::size_t efer = 0;               // int64: the EFER MSR
};

inline constexpr std::uint32_t kMsrEfer = 0xC0000080;
inline constexpr std::uint64_t kEferSce = 1u << 0;
inline constexpr std::uint64_t kEferLme = 1u << 8;
inline constexpr std::uint64_t kEferLma = 1u << 10;
inline constexpr std::uint64_t kEferNxe = 1u << 11;

// Finds the context layout on scratch Unicorn instances. Fails if any probe finds zero or
// several candidate offsets.
std::expected<ContextLayout, std::string> probeContextLayout();

// Runs the behaviours ntoy depends on against a scratch machine built with the workarounds:
// user-mode entry by iretq, #UD stopping the run, #PF delivery with the right error code and CR2,
// many faults in a row without #DF, NX enforcement, U/S enforcement, the identity data-address
// shortcut, and the TLB flush. Returns the first deviation found.
std::expected<void, std::string> selfTest(const ContextLayout& layout);

// The probe and self-test together, run once per host process.
const std::expected<ContextLayout, std::string>& checkedContextLayout();

// Per-engine access to the hidden fields through one reusable context buffer.
class CpuStatePatcher {
public:
    CpuStatePatcher(uc_engine* uc, const ContextLayout& layout);
    ~CpuStatePatcher();
    CpuStatePatcher(const CpuStatePatcher&) = delete;
    CpuStatePatcher& operator=(const CpuStatePatcher&) = delete;

    // To be called in every UC_HOOK_INTR callback: returns the exception's error code and
    // marks no exception in flight, so the next fault is delivered as itself.
    std::uint32_t acknowledgeException();
    // Sets EFER directly, keeping NXE and SCE that the MSR path would drop.
    void setEfer(std::uint64_t efer);
    std::uint64_t efer();

private:
    uc_engine* uc_;
    ContextLayout layout_;
    uc_context* context_ = nullptr;
};

// Makes the CPU forget every cached translation (TLB and jump cache). 2.0.1 has no call for
// this; mapping and unmapping a dummy page far from all other regions does it.
void flushTlb(uc_engine* uc);

// 2.0.1 adds the SYSCALL instruction's length to RIP after the UC_HOOK_INSN callback
// returns, even when the callback wrote RIP; the hook sees RIP at the SYSCALL itself.
inline constexpr std::uint64_t kSyscallInstructionLength = 2;

// 2.0.1 does not deliver #UD (an invalid or undefined opcode) to UC_HOOK_INTR: uc_emu_start
// returns this error with RIP still at the instruction.
inline constexpr uc_err kInvalidOpcodeStop = UC_ERR_INSN_INVALID;

// 2.0.1's uc_ctl_remove_cache translates its address through the guest MMU: for a page that
// is not present it raises #PF by longjmp out of the caller (skipping C++ frames) and leaves
// the exception in flight, so the next fault becomes #DF. ntoy never calls it; it drops the
// whole translation cache (UC_CTL_TB_FLUSH) between runs instead.

// The dummy page used by flushTlb(): it must overlap no region of any engine.
inline constexpr std::uint64_t kTlbFlushDummyPage = 0x7FFF'FFFF'0000;

}  // namespace ntoy::emu
