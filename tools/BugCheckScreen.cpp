#include "tools/BugCheckScreen.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <optional>

#include "emulator/debugger/Disassembler.h"
#include "kernel/io/SystemImages.h"
#include "kernel/kd/Extensions.h"
#include "kernel/kd/WinDbgText.h"
#include "kernel/mm/SystemLayout.h"
#include "kernel/rtl/Unwind.h"

namespace ntoy::cli {
namespace {

struct Fault {
    std::uint64_t rip = 0;
    std::optional<std::uint64_t> address;
};

// Where each code keeps the instruction and the address (ntoy's parameters, docs/drivers.md).
std::optional<Fault> faultOf(const ke::BugCheck& c) {
    const auto& p = c.parameters;
    switch (static_cast<ke::BugCheckCode>(c.code)) {
        case ke::BugCheckCode::IrqlNotLessOrEqual:
        case ke::BugCheckCode::DriverIrqlNotLessOrEqual:
            return Fault{p[3], p[0]};
        case ke::BugCheckCode::PageFaultInNonpagedArea:
        case ke::BugCheckCode::AttemptedWriteToReadonlyMemory:
        case ke::BugCheckCode::AttemptedExecuteOfNoexecuteMemory:
        case ke::BugCheckCode::DriverPageFaultInFreedSpecialPool:
        case ke::BugCheckCode::DriverPageFaultBeyondEndOfAllocation:
            return Fault{p[2], p[0]};
        case ke::BugCheckCode::KmodeExceptionNotHandled:
            // An access violation's address is its second parameter; a raised one has none.
            return p[0] == 0xC0000005 && p[3] != 0 ? Fault{p[1], p[3]} : Fault{p[1], std::nullopt};
        default:
            return std::nullopt;
    }
}

// The stack of the ring-0 code that bug checked, as `k` shows it: each frame unwound with its
// image's unwind data (.pdata), from the registers at the bug check, while the frames are in
// loaded images.
std::string stackText(Kernel& kernel, const io::SystemImages& images) {
    constexpr int kFrames = 24;
    const auto& registers = kernel.bugCheckRegisters();
    if (!registers)
        return {};
    rtl::UnwindContext context;
    std::copy_n(registers->begin(), context.gpr.size(), context.gpr.begin());
    context.rip = (*registers)[16];
    std::map<const io::SystemImage*, rtl::FunctionTable> tables;
    // What is resident only: the dead machine's memory stays as it was (no page comes back).
    const mm::MemoryManager& mm = kernel.memoryManager();
    const rtl::StackReader readStack = [&](std::uint64_t va) -> std::optional<std::uint64_t> {
        if (!mm::isSystemAddress(va) || (va & kPageMask) > kPageSize - 8)
            return std::nullopt;
        const auto at = mm.systemTables().findPte(VirtualAddress(va));
        const mm::Pte pte = at ? mm.systemTables().read(*at) : mm::Pte();
        if (!pte.isValid())
            return std::nullopt;
        std::uint64_t value;
        std::memcpy(&value, mm.pfns().memory().at(pte.pfn().address() + (va & kPageMask)), 8);
        return value;
    };
    std::string out = "\nSTACK_TEXT (k):\n # Child-SP          RetAddr               Call Site\n";
    for (int n = 0; n < kFrames; ++n) {
        const io::SystemImage* image = images.containing(VirtualAddress(context.rip));
        if (!image)
            break;
        auto table = tables.find(image);
        if (table == tables.end()) {
            auto parsed = rtl::FunctionTable::parse(
                image->image->mappedImage(),
                image->image->dataDirectory(ldr::pe::DirectoryIndex::Exception));
            table = tables.emplace(image, parsed ? std::move(*parsed) : rtl::FunctionTable()).first;
        }
        const rtl::LoadedImage loaded{image->base.value(), image->image->mappedImage(),
                                      &table->second};
        rtl::UnwindContext caller = context;
        const std::string site = images.locate(VirtualAddress(context.rip));
        if (!rtl::virtualUnwind(&loaded, caller, readStack)) {
            out += fmt::format("{:02x} {} ????????`????????     {}\n", n,
                               kd::address64(context.rsp()), site);
            break;
        }
        out += fmt::format("{:02x} {} {}     {}\n", n, kd::address64(context.rsp()),
                           kd::address64(caller.rip), site);
        if (caller.rsp() <= context.rsp())
            break;  // a loop, or the stack's end
        context = caller;
    }
    return out;
}

}  // namespace

std::string bugCheckAnalysis(Kernel& kernel, const ke::BugCheck& check) {
    const io::SystemImages* images = kernel.systemImages();
    if (!images)
        return {};
    const std::string stack = stackText(kernel, *images);
    const auto fault = faultOf(check);
    if (!fault || !images->containing(VirtualAddress(fault->rip)))
        return stack;
    std::string out = fmt::format("FAULTING_IP: {}\n", images->locate(VirtualAddress(fault->rip)));
    // The instruction's bytes, from the image's own page (never past it).
    const std::uint64_t rip = fault->rip;
    const std::size_t n =
        std::min<std::uint64_t>(dbg::kMaxInstructionLength, kPageSize - (rip & kPageMask));
    std::array<std::byte, dbg::kMaxInstructionLength> code{};
    bool read = true;
    try {
        kernel.readSystemMemory(VirtualAddress(rip), std::span(code.data(), n));
    } catch (const ke::BugCheckStop&) {
        read = false;
    }
    if (auto disassembler = dbg::Disassembler::create(); read && disassembler) {
        const auto instructions = disassembler->disassemble(std::span(code.data(), n), rip, 1);
        if (!instructions.empty()) {
            std::string bytes;
            for (std::uint8_t b : instructions.front().bytes)
                bytes += fmt::format("{:02x}", b);
            out += fmt::format("  {:08x}`{:08x} {:<16} {}\n", rip >> 32, rip & 0xFFFFFFFF, bytes,
                               instructions.front().text);
        }
    }
    if (fault->address) {
        out +=
            fmt::format("\nThe address, {:#x}, as the CPU walked to it (!pte):\n", *fault->address);
        if (auto pte = kd::runExtension(kernel, fmt::format("!pte {:#x}", *fault->address)))
            out += *pte;
        else
            out += pte.error() + "\n";
    }
    return out + stack;
}

}  // namespace ntoy::cli
