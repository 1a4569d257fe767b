#include "kernel/rtl/Unwind.h"

#include <fmt/format.h>

#include <algorithm>

#include "kernel/ldr/BoundedRead.h"

namespace ntoy::rtl {
namespace {

constexpr std::size_t kRuntimeFunctionSize = 12;
// Chained unwind info can loop in a hostile image; real chains are a few links long.
constexpr int kMaxChain = 32;

std::optional<RuntimeFunction> runtimeFunctionAt(std::span<const std::byte> image,
                                                 std::uint64_t offset) {
    const auto begin = ldr::readAt<std::uint32_t>(image, offset);
    const auto end = ldr::readAt<std::uint32_t>(image, offset + 4);
    const auto unwind = ldr::readAt<std::uint32_t>(image, offset + 8);
    if (!begin || !end || !unwind)
        return std::nullopt;
    return RuntimeFunction{*begin, *end, *unwind};
}

// Slots (16-bit UNWIND_CODEs) an operation takes, with its operand.
unsigned slotsOf(UnwindOp op, std::uint8_t info) {
    switch (op) {
        case UnwindOp::AllocLarge:
            return info == 0 ? 2 : 3;
        case UnwindOp::SaveNonvol:
        case UnwindOp::SaveXmm128:
        case UnwindOp::Epilog:
            return 2;
        case UnwindOp::SaveNonvolFar:
        case UnwindOp::SaveXmm128Far:
            return 3;
        default:
            return 1;
    }
}

// The few instructions an x64 epilog may hold, read from the image's code: an `add rsp` or
// `lea rsp`, pops, then `ret` (or a jump within the function to them). Windows recognizes
// an epilog by exactly this shape, since unwind codes describe only the prolog.
class CodeReader {
public:
    CodeReader(const LoadedImage& image, std::uint64_t va) : image_(image), va_(va) {}
    std::optional<std::uint8_t> byte(std::uint64_t at) const {
        if (at < image_.base)
            return std::nullopt;
        return ldr::readAt<std::uint8_t>(image_.mapped, at - image_.base);
    }
    template <typename T>
    std::optional<T> value(std::uint64_t at) const {
        if (at < image_.base)
            return std::nullopt;
        return ldr::readAt<T>(image_.mapped, at - image_.base);
    }
    // A signed displacement of `wide` (4) or else 1 byte, sign-extended.
    std::optional<std::int64_t> displacement(std::uint64_t at, bool wide) const {
        if (wide) {
            if (const auto v = value<std::int32_t>(at))
                return *v;
        } else if (const auto v = value<std::int8_t>(at)) {
            return *v;
        }
        return std::nullopt;
    }
    std::uint64_t start() const { return va_; }
    std::uint64_t rvaOf(std::uint64_t va) const { return va - image_.base; }

private:
    const LoadedImage& image_;
    std::uint64_t va_;
};

bool isInsideEpilog(const CodeReader& code, const RuntimeFunction& function) {
    std::uint64_t pc = code.start();
    auto at = [&](std::uint64_t offset) { return code.byte(pc + offset); };
    const auto b0 = at(0), b1 = at(1), b2 = at(2);
    if (!b0)
        return false;
    // The stack adjustment must come first and have a REX.W prefix.
    if ((*b0 & 0xF8) == 0x48 && b1 && b2) {
        switch (*b1) {
            case 0x81:  // add rsp, imm32
                if (*b0 != 0x48 || *b2 != 0xC4)
                    return false;
                pc += 7;
                break;
            case 0x83:  // add rsp, imm8
                if (*b0 != 0x48 || *b2 != 0xC4)
                    return false;
                pc += 4;
                break;
            case 0x8D:  // lea rsp, [reg + disp]
                if ((*b0 & 0x06) != 0 || ((*b2 >> 3) & 7) != 4 || (*b2 & 7) == 4)
                    return false;
                if ((*b2 >> 6) == 1)
                    pc += 4;
                else if ((*b2 >> 6) == 2)
                    pc += 7;
                else
                    return false;
                break;
            default:
                break;
        }
    }
    for (int steps = 0; steps < 64; ++steps) {
        auto b = at(0);
        if (!b)
            return false;
        if ((*b & 0xF0) == 0x40) {  // REX prefix of a pop
            ++pc;
            b = at(0);
            if (!b)
                return false;
        }
        if (*b >= 0x58 && *b <= 0x5F) {  // pop reg
            ++pc;
            continue;
        }
        if (*b == 0xC2 || *b == 0xC3)  // ret
            return true;
        if (*b == 0xF3)  // rep ret
            return at(1) == std::uint8_t{0xC3};
        if (*b != 0xE9 && *b != 0xEB)  // jmp rel32 / rel8
            return false;
        const auto displacement = code.displacement(pc + 1, *b == 0xE9);
        if (!displacement)
            return false;
        pc += (*b == 0xE9 ? 5 : 2) + static_cast<std::uint64_t>(*displacement);
        const std::uint64_t rva = code.rvaOf(pc);
        if (rva < function.begin || rva >= function.end)
            return false;
    }
    return false;
}

// Runs the rest of an epilog that isInsideEpilog accepted.
std::expected<void, std::string> interpretEpilog(const CodeReader& code, UnwindContext& context,
                                                 const StackReader& readStack) {
    std::uint64_t pc = code.start();
    const auto cutShort = [&] {
        return std::unexpected(
            fmt::format("the epilog at {:#x} runs past the image", code.start()));
    };
    auto pop = [&]() -> std::expected<std::uint64_t, std::string> {
        const auto value = readStack(context.rsp());
        if (!value)
            return std::unexpected(fmt::format("cannot read the stack at {:#x}", context.rsp()));
        context.rsp() += 8;
        return *value;
    };
    for (int steps = 0; steps < 64; ++steps) {
        std::uint8_t rex = 0;
        auto b = code.byte(pc);
        if (b && (*b & 0xF0) == 0x40) {
            rex = *b & 0x0F;
            b = code.byte(++pc);
        }
        if (!b)
            return cutShort();
        if (*b >= 0x58 && *b <= 0x5F) {
            auto value = pop();
            if (!value)
                return std::unexpected(value.error());
            context.gpr[(*b - 0x58) + (rex & 1) * 8] = *value;
            ++pc;
        } else if (*b == 0x81 || *b == 0x83) {  // add rsp, imm32 / imm8
            const auto imm = code.displacement(pc + 2, *b == 0x81);
            if (!imm)
                return cutShort();
            context.rsp() += static_cast<std::uint64_t>(*imm);
            pc += *b == 0x81 ? 6 : 3;
        } else if (*b == 0x8D) {  // lea rsp, [reg + disp8/disp32]
            const auto modrm = code.byte(pc + 1);
            if (!modrm)
                return cutShort();
            const bool short8 = (*modrm >> 6) == 1;
            const auto disp = code.displacement(pc + 2, !short8);
            if (!disp)
                return cutShort();
            context.rsp() =
                context.gpr[(*modrm & 7) + (rex & 1) * 8] + static_cast<std::uint64_t>(*disp);
            pc += short8 ? 3 : 6;
        } else if (*b == 0xC2 || *b == 0xC3 || *b == 0xF3) {  // ret [imm16], rep ret
            const auto extra = *b == 0xC2 ? code.value<std::uint16_t>(pc + 1) : std::uint16_t{0};
            if (!extra)
                return cutShort();
            auto ret = pop();
            if (!ret)
                return std::unexpected(ret.error());
            context.rip = *ret;
            context.rsp() += *extra;
            return {};
        } else if (*b == 0xE9 || *b == 0xEB) {  // jmp rel32 / rel8, within the function
            const auto disp = code.displacement(pc + 1, *b == 0xE9);
            if (!disp)
                return cutShort();
            pc += (*b == 0xE9 ? 5 : 2) + static_cast<std::uint64_t>(*disp);
        } else {
            break;
        }
    }
    return std::unexpected(fmt::format("the epilog at {:#x} does not end in ret", code.start()));
}

}  // namespace

std::expected<FunctionTable, std::string> FunctionTable::parse(
    std::span<const std::byte> mappedImage, ldr::pe::ImageDataDirectory directory) {
    FunctionTable table;
    if (directory.VirtualAddress == 0 || directory.Size == 0)
        return table;
    if (!ldr::sliceAt(mappedImage, directory.VirtualAddress, directory.Size))
        return std::unexpected(
            fmt::format("the function table at rva {:#x} ({:#x} bytes) is outside the image",
                        directory.VirtualAddress, directory.Size));
    const std::size_t count = directory.Size / kRuntimeFunctionSize;
    table.entries_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        const auto f = *runtimeFunctionAt(
            mappedImage, std::uint64_t{directory.VirtualAddress} + i * kRuntimeFunctionSize);
        if (f.begin == 0 && f.end == 0)
            continue;  // padding
        if (f.begin >= f.end || f.end > mappedImage.size())
            return std::unexpected(
                fmt::format("function table entry {}: code {:#x}-{:#x} is not inside the image", i,
                            f.begin, f.end));
        if (!table.entries_.empty() && f.begin < table.entries_.back().end)
            return std::unexpected(fmt::format(
                "function table entry {} ({:#x}) is out of order or overlaps the one before", i,
                f.begin));
        table.entries_.push_back(f);
    }
    return table;
}

const RuntimeFunction* FunctionTable::lookup(std::uint32_t rva) const {
    const auto it = std::ranges::upper_bound(entries_, rva, {}, &RuntimeFunction::begin);
    if (it == entries_.begin())
        return nullptr;
    const RuntimeFunction& f = *std::prev(it);
    return rva < f.end ? &f : nullptr;
}

std::expected<UnwindInfo, std::string> decodeUnwindInfo(std::span<const std::byte> mappedImage,
                                                        std::uint32_t rva) {
    const auto header = ldr::sliceAt(mappedImage, rva, 4);
    if (!header)
        return std::unexpected(fmt::format("unwind info at rva {:#x} is outside the image", rva));
    const auto byte = [&](std::size_t i) { return std::to_integer<std::uint8_t>((*header)[i]); };
    UnwindInfo info;
    info.version = byte(0) & 7;
    info.flags = byte(0) >> 3;
    info.prologSize = byte(1);
    const std::uint8_t count = byte(2);
    info.frameRegister = byte(3) & 0x0F;
    info.frameOffset = (byte(3) >> 4) * 16u;
    if (info.version != 1 && info.version != 2)
        return std::unexpected(
            fmt::format("unwind info at rva {:#x}: unknown version {}", rva, info.version));
    const auto slots = ldr::sliceAt(mappedImage, std::uint64_t{rva} + 4, count * 2ull);
    if (!slots)
        return std::unexpected(
            fmt::format("unwind info at rva {:#x}: its codes run outside the image", rva));
    auto slot = [&](unsigned i) {
        std::uint16_t v;
        std::memcpy(&v, slots->data() + i * 2, 2);
        return v;
    };
    for (unsigned i = 0; i < count;) {
        const std::uint16_t s = slot(i);
        UnwindCode code;
        code.prologOffset = static_cast<std::uint8_t>(s & 0xFF);
        code.op = static_cast<UnwindOp>((s >> 8) & 0x0F);
        code.info = static_cast<std::uint8_t>(s >> 12);
        const unsigned n = slotsOf(code.op, code.info);
        if (i + n > count)
            return std::unexpected(
                fmt::format("unwind info at rva {:#x}: code {} needs {} slots, {} are left", rva, i,
                            n, count - i));
        switch (code.op) {
            case UnwindOp::AllocLarge:
                code.operand = code.info == 0 ? slot(i + 1) * 8u
                                              : slot(i + 1) | (std::uint32_t{slot(i + 2)} << 16);
                break;
            case UnwindOp::AllocSmall:
                code.operand = code.info * 8u + 8u;
                break;
            case UnwindOp::SaveNonvol:
                code.operand = slot(i + 1) * 8u;
                break;
            case UnwindOp::SaveXmm128:
                code.operand = slot(i + 1) * 16u;
                break;
            case UnwindOp::SaveNonvolFar:
            case UnwindOp::SaveXmm128Far:
                code.operand = slot(i + 1) | (std::uint32_t{slot(i + 2)} << 16);
                break;
            case UnwindOp::Epilog:
                if (info.version != 2)
                    return std::unexpected(
                        fmt::format("unwind info at rva {:#x}: operation 6 before version 2", rva));
                break;
            case UnwindOp::SpareCode:
                return std::unexpected(
                    fmt::format("unwind info at rva {:#x}: unknown operation 7", rva));
            case UnwindOp::SetFpreg:
                if (info.frameRegister == 0)
                    return std::unexpected(fmt::format(
                        "unwind info at rva {:#x}: a frame pointer without a frame register", rva));
                break;
            default:
                if (static_cast<unsigned>(code.op) > 10)
                    return std::unexpected(
                        fmt::format("unwind info at rva {:#x}: unknown operation {}", rva,
                                    static_cast<unsigned>(code.op)));
                break;
        }
        info.codes.push_back(code);
        i += n;
    }
    // After the codes, padded to an even count: the chained entry or the handler.
    const std::uint64_t after = std::uint64_t{rva} + 4 + ((count + 1u) & ~1u) * 2u;
    if (info.flags & kUnwFlagChainInfo) {
        info.chained = runtimeFunctionAt(mappedImage, after);
        if (!info.chained)
            return std::unexpected(fmt::format(
                "unwind info at rva {:#x}: its chained entry is outside the image", rva));
    } else if (info.flags & (kUnwFlagExceptionHandler | kUnwFlagTerminationHandler)) {
        info.handler = ldr::readAt<std::uint32_t>(mappedImage, after);
        if (!info.handler)
            return std::unexpected(
                fmt::format("unwind info at rva {:#x}: its handler is outside the image", rva));
    }
    return info;
}

std::expected<void, std::string> virtualUnwind(const LoadedImage* image, UnwindContext& context,
                                               const StackReader& readStack) {
    auto read = [&](std::uint64_t va) -> std::expected<std::uint64_t, std::string> {
        const auto value = readStack(va);
        if (!value)
            return std::unexpected(fmt::format("cannot read the stack at {:#x}", va));
        return *value;
    };
    const RuntimeFunction* entry = nullptr;
    if (image && image->functions && context.rip >= image->base &&
        context.rip - image->base < image->mapped.size())
        entry = image->functions->lookup(static_cast<std::uint32_t>(context.rip - image->base));
    if (!entry) {
        // A leaf: no prolog, nothing saved, the return address on top of the stack.
        auto ret = read(context.rsp());
        if (!ret)
            return std::unexpected(ret.error());
        context.rip = *ret;
        context.rsp() += 8;
        return {};
    }
    const std::uint32_t rva = static_cast<std::uint32_t>(context.rip - image->base);
    RuntimeFunction function = *entry;
    bool machineFrame = false;
    for (int link = 0;; ++link) {
        if (link == kMaxChain)
            return std::unexpected(fmt::format("the unwind info of {:#x} chains more than {} times",
                                               context.rip, kMaxChain));
        auto info = decodeUnwindInfo(image->mapped, function.unwindInfo);
        if (!info)
            return std::unexpected(info.error());
        std::uint64_t frame = context.rsp();
        if (info->frameRegister != 0)
            frame = context.gpr[info->frameRegister] - info->frameOffset;
        // In the prolog only the instructions already run are undone; in an epilog the rest
        // of the epilog is run instead, since the codes describe the prolog.
        std::uint32_t prologOffset = ~0u;
        if (rva >= function.begin && rva - function.begin < info->prologSize) {
            prologOffset = rva - function.begin;
        } else if (link == 0) {
            const CodeReader code(*image, context.rip);
            if (isInsideEpilog(code, function))
                return interpretEpilog(code, context, readStack);
        }
        for (std::size_t i = 0; i < info->codes.size(); ++i) {
            const UnwindCode& c = info->codes[i];
            if (prologOffset < c.prologOffset)
                continue;
            switch (c.op) {
                case UnwindOp::PushNonvol: {
                    auto value = read(context.rsp());
                    if (!value)
                        return std::unexpected(value.error());
                    context.gpr[c.info] = *value;
                    context.rsp() += 8;
                    break;
                }
                case UnwindOp::AllocLarge:
                case UnwindOp::AllocSmall:
                    context.rsp() += c.operand;
                    break;
                case UnwindOp::SetFpreg:
                    context.rsp() = context.gpr[info->frameRegister] - info->frameOffset;
                    break;
                case UnwindOp::SaveNonvol:
                case UnwindOp::SaveNonvolFar: {
                    auto value = read(frame + c.operand);
                    if (!value)
                        return std::unexpected(value.error());
                    context.gpr[c.info] = *value;
                    break;
                }
                case UnwindOp::PushMachframe: {
                    // The CPU's interrupt frame: rip, cs, rflags, rsp, ss (after an error code).
                    const std::uint64_t at = context.rsp() + (c.info != 0 ? 8 : 0);
                    auto rip = read(at);
                    auto rsp = read(at + 24);
                    if (!rip)
                        return std::unexpected(rip.error());
                    if (!rsp)
                        return std::unexpected(rsp.error());
                    context.rip = *rip;
                    context.rsp() = *rsp;
                    machineFrame = true;
                    break;
                }
                case UnwindOp::SaveXmm128:
                case UnwindOp::SaveXmm128Far:  // the context holds no XMM registers
                case UnwindOp::Epilog:
                case UnwindOp::SpareCode:
                    break;
            }
        }
        if (!info->chained)
            break;
        function = *info->chained;
    }
    if (!machineFrame) {
        auto ret = read(context.rsp());
        if (!ret)
            return std::unexpected(ret.error());
        context.rip = *ret;
        context.rsp() += 8;
    }
    return {};
}

}  // namespace ntoy::rtl
