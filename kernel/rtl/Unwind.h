// x64 stack unwinding from an image's exception data, as Windows' RtlLookupFunctionEntry and
// RtlVirtualUnwind do it: the function table (.pdata) and the UNWIND_INFO it points at,
// decoded and checked against the image, and one frame unwound at a time from a register
// context. Host-side and independent of the kernel: the debugger's stack walk uses it, and a
// kernel-side unwinder can. Everything read from the image is bounds-checked; reads of the
// stack go through a callback that may fail.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kernel/ldr/PeFormat.h"

namespace ntoy::rtl {

// RUNTIME_FUNCTION: the RVAs of a function's code [begin, end) and of its UNWIND_INFO.
struct RuntimeFunction {
    std::uint32_t begin = 0;
    std::uint32_t end = 0;
    std::uint32_t unwindInfo = 0;
    bool operator==(const RuntimeFunction&) const = default;
};

// An image's function table, sorted by address, as .pdata must be.
class FunctionTable {
public:
    // `mappedImage` is the image as laid out in memory; `directory` its Exception directory.
    // An empty directory is an empty table (an image without unwind data).
    static std::expected<FunctionTable, std::string> parse(std::span<const std::byte> mappedImage,
                                                           ldr::pe::ImageDataDirectory directory);
    // The entry whose code holds `rva`, as RtlLookupFunctionEntry finds it.
    const RuntimeFunction* lookup(std::uint32_t rva) const;
    std::span<const RuntimeFunction> entries() const { return entries_; }

private:
    std::vector<RuntimeFunction> entries_;
};

// UNWIND_OP_CODES.
enum class UnwindOp : std::uint8_t {
    PushNonvol = 0,
    AllocLarge = 1,
    AllocSmall = 2,
    SetFpreg = 3,
    SaveNonvol = 4,
    SaveNonvolFar = 5,
    Epilog = 6,  // version 2 only: describes an epilog, changes nothing when unwinding
    SpareCode = 7,
    SaveXmm128 = 8,
    SaveXmm128Far = 9,
    PushMachframe = 10,
};

// One unwind code with its operand decoded: the bytes allocated (Alloc*), the offset of a
// save from the frame base (Save*), nothing for the others.
struct UnwindCode {
    std::uint8_t prologOffset = 0;  // where in the prolog the instruction ends
    UnwindOp op = UnwindOp::PushNonvol;
    std::uint8_t info = 0;  // the register, or for PushMachframe whether an error code is there
    std::uint32_t operand = 0;
    bool operator==(const UnwindCode&) const = default;
};

inline constexpr std::uint8_t kUnwFlagExceptionHandler = 1;
inline constexpr std::uint8_t kUnwFlagTerminationHandler = 2;
inline constexpr std::uint8_t kUnwFlagChainInfo = 4;

struct UnwindInfo {
    std::uint8_t version = 1;
    std::uint8_t flags = 0;
    std::uint8_t prologSize = 0;
    std::uint8_t frameRegister = 0;          // 0: no frame register
    std::uint32_t frameOffset = 0;           // in bytes (the scaled offset times 16)
    std::vector<UnwindCode> codes;           // as stored: the last prolog instruction first
    std::optional<RuntimeFunction> chained;  // UNW_FLAG_CHAININFO
    std::optional<std::uint32_t> handler;    // the language handler's RVA, with its flags
};

// The UNWIND_INFO at `rva`, checked: inside the image, a known version, whole codes.
std::expected<UnwindInfo, std::string> decodeUnwindInfo(std::span<const std::byte> mappedImage,
                                                        std::uint32_t rva);

// The integer registers in the x64 unwind numbering (rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi,
// r8-r15: hal::Reg's order), and rip.
struct UnwindContext {
    std::array<std::uint64_t, 16> gpr{};
    std::uint64_t rip = 0;
    static constexpr unsigned kRsp = 4;
    std::uint64_t& rsp() { return gpr[kRsp]; }
    std::uint64_t rsp() const { return gpr[kRsp]; }
};

// Reads a 64-bit value of the stack; nothing if it cannot be read.
using StackReader = std::function<std::optional<std::uint64_t>(std::uint64_t va)>;

// An image as loaded: where it is, its bytes as laid out (read for the epilog check) and its
// function table.
struct LoadedImage {
    std::uint64_t base = 0;
    std::span<const std::byte> mapped;
    const FunctionTable* functions = nullptr;
};

// Unwinds one frame, as RtlVirtualUnwind: `context` becomes the caller's, its rip the return
// address. `image` is the one holding context.rip, or nullptr if none does; with no image or
// no function entry the function is a leaf, whose return address is at rsp. In the prolog
// only the codes of the instructions already run apply; in an epilog the rest of the epilog
// is emulated instead. Errors name the unreadable stack slot or the bad unwind data.
std::expected<void, std::string> virtualUnwind(const LoadedImage* image, UnwindContext& context,
                                               const StackReader& readStack);

}  // namespace ntoy::rtl
