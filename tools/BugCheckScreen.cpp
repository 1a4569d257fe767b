#include "tools/BugCheckScreen.h"

#include <fmt/format.h>

#include <array>
#include <optional>

#include "emulator/debugger/Disassembler.h"
#include "kernel/io/SystemImages.h"
#include "kernel/kd/Extensions.h"
#include "kernel/mm/SystemLayout.h"

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

}  // namespace

std::string bugCheckAnalysis(Kernel& kernel, const ke::BugCheck& check) {
    const auto fault = faultOf(check);
    const io::SystemImages* images = kernel.systemImages();
    if (!fault || !images || !images->containing(VirtualAddress(fault->rip)))
        return {};
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
    return out;
}

}  // namespace ntoy::cli
