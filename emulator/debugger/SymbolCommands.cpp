// The session's commands over symbols and the stack, in WinDbg's layouts: ln (the symbols
// nearest an address), lm (the loaded modules) and k (the call stack, unwound with each
// image's .pdata).
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "emulator/debugger/CommandArguments.h"
#include "emulator/debugger/DebugSession.h"
#include "kernel/kd/DebuggerMemory.h"
#include "kernel/kd/NumberArgument.h"
#include "kernel/kd/WinDbgText.h"
#include "kernel/mm/SystemLayout.h"
#include "kernel/rtl/Unwind.h"

namespace ntoy::dbg {
namespace {

constexpr std::uint64_t kDefaultFrames = 20;
constexpr std::uint64_t kMaxFrames = 1000;

}  // namespace

void DebugSession::nearSymbolsCommand(Words args) {
    if (args.size() != 1)
        return error("usage: ln ADDR");
    auto at = address(args[0]);
    if (!at)
        return error(at.error());
    const auto location = symbols_.locate(*at);
    if (!location)
        return error(fmt::format("{:#x} is in no module (lm lists them)", *at));
    const Module& m = *location->module;
    const std::uint64_t start = location->symbol ? m.base + location->symbol->rva : m.base;
    std::string line = fmt::format("({})   {}", kd::address64(start), formatLocation(*location));
    if (location->next)
        line += fmt::format("   |  ({})   {}!{}", kd::address64(m.base + location->next->rva),
                            m.name, location->next->name);
    out_ << line << '\n';
    if (location->symbol && location->offset == 0)
        out_ << "Exact matches:\n    " << formatLocation(*location) << '\n';
}

void DebugSession::modulesCommand(Words args) {
    if (!args.empty())
        return error("usage: lm");
    out_ << "start             end                 module name\n";
    std::vector<const Module*> byAddress;
    for (const auto& m : symbols_.modules())
        byAddress.push_back(m.get());
    std::ranges::sort(byAddress, {}, &Module::base);
    for (const Module* m : byAddress) {
        out_ << fmt::format("{} {}   {:<12} {:<18} {}\n", kd::address64(m->base),
                            kd::address64(m->base + m->size), m->name, "(" + m->symbolSource + ")",
                            m->path);
        if (!m->problem.empty())
            out_ << fmt::format("    {}\n", m->problem);
    }
}

void DebugSession::stackCommand(Words args) {
    if (args.size() > 1)
        return error("usage: k [FRAMES]");
    std::uint64_t frames = kDefaultFrames;
    if (args.size() == 1) {
        auto n = kd::parseWinDbgNumber(args[0]);
        if (!n)
            return error(n.error());
        if (*n == 0 || *n > kMaxFrames)
            return error(fmt::format("between 1 and {:#x} frames", kMaxFrames));
        frames = *n;
    }
    rtl::UnwindContext context;
    withRegisters([&](hal::Cpu& cpu) {
        for (unsigned i = 0; i < context.gpr.size(); ++i)
            context.gpr[i] = cpu.reg(static_cast<hal::Reg>(i));  // hal::Reg starts in this order
        context.rip = cpu.reg(hal::Reg::Rip);
    });
    // User mode walks the user stack; ring-0 code (a driver's routine) its kernel stack, which
    // the process's page tables reach too.
    if (!mm::isUserAddress(context.rip) && !symbols_.moduleAt(context.rip))
        return error(
            fmt::format("the thread is in the kernel's own code (rip {:#x}), not in "
                        "user mode or a loaded image: there is no stack to walk",
                        context.rip));
    const mm::AddressSpace& space = kernel_.process()->space();
    const rtl::StackReader readStack = [&](std::uint64_t va) -> std::optional<std::uint64_t> {
        std::uint64_t value;
        if (kd::readVirtual(space, VirtualAddress(va),
                            std::as_writable_bytes(std::span(&value, 1))) != sizeof value)
            return std::nullopt;
        return value;
    };
    out_ << " # Child-SP          RetAddr               Call Site\n";
    for (std::uint64_t n = 0; n < frames; ++n) {
        const std::string site = symbols_.describe(context.rip);
        const std::string callSite = site.empty() ? kd::address64(context.rip) : site;
        const Module* m = symbols_.moduleAt(context.rip);
        const auto image = m ? m->unwindImage() : std::nullopt;
        rtl::UnwindContext caller = context;
        const auto unwound = rtl::virtualUnwind(image ? &*image : nullptr, caller, readStack);
        if (!unwound) {
            out_ << fmt::format("{:02x} {} {}     {}\n", n, kd::address64(context.rsp()),
                                "????????`????????", callSite);
            return error(fmt::format("the walk stops: {}", unwound.error()));
        }
        out_ << fmt::format("{:02x} {} {}     {}\n", n, kd::address64(context.rsp()),
                            kd::address64(caller.rip), callSite);
        // The thread's first frame returns nowhere (in user mode), or outside every image (a
        // ring-0 routine's entry); a frame that does not move the stack up would loop.
        const bool kernelFrame = mm::isSystemAddress(context.rip);
        if (caller.rip == 0 || (!kernelFrame && !mm::isUserAddress(caller.rip)) ||
            (kernelFrame && (!mm::isSystemAddress(caller.rip) || !symbols_.moduleAt(caller.rip))))
            return;
        if (caller.rsp() <= context.rsp())
            return error("the walk stops: the caller's stack pointer is not above this frame's");
        context = caller;
    }
}

}  // namespace ntoy::dbg
