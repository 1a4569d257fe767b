#include "kernel/kd/KernelState.h"

#include <fmt/format.h>

#include <charconv>
#include <filesystem>

#include "kernel/Kernel.h"
#include "kernel/mm/SystemLayout.h"

namespace ntoy::kd {

std::expected<ps::Process*, std::string> currentProcess(Kernel& kernel) {
    if (ps::Process* p = kernel.process())
        return p;
    return std::unexpected("no process: the guest has not been loaded or has exited");
}

std::expected<const mm::PageTables*, std::string> tablesFor(Kernel& kernel, VirtualAddress va) {
    if (!isCanonical(va.value()))
        return std::unexpected(fmt::format(
            "{:#x} is not a canonical address (bits 63-47 must all be equal)", va.value()));
    if (ps::Process* p = kernel.process())
        return &p->space().tables();
    if (mm::isSystemAddress(va.value()))
        return &kernel.memoryManager().systemTables();
    return std::unexpected(currentProcess(kernel).error());
}

std::expected<ps::Process*, std::string> processById(Kernel& kernel, std::string_view text) {
    const bool hex = text.starts_with("0x") || text.starts_with("0X");
    std::uint64_t id = 0;
    const std::string_view digits = hex ? text.substr(2) : text;
    const auto [end, error] =
        std::from_chars(digits.data(), digits.data() + digits.size(), id, hex ? 16 : 10);
    if (digits.empty() || error != std::errc() || end != digits.data() + digits.size())
        return std::unexpected(fmt::format(
            "'{}' is not a process id (decimal, as ntoy prints them, or 0x hex)", text));
    if (id > ~std::uint32_t{0})
        return std::unexpected(fmt::format("no process {} (!process 0 0 lists them)", text));
    if (ps::Process* p = kernel.findProcess(static_cast<std::uint32_t>(id));
        p && p->hasAddressSpace())
        return p;
    return std::unexpected(fmt::format("no process {} (!process 0 0 lists them)", id));
}

std::string imageName(const ps::Process& process) {
    return std::filesystem::path(process.imagePath).filename().string();
}

std::string_view threadStateName(const ps::Thread& thread) {
    switch (thread.state) {
        case ps::Thread::State::Initialized:
            return "Initialized";
        case ps::Thread::State::Ready:
            return "Ready";
        case ps::Thread::State::Running:
            return "Running";
        case ps::Thread::State::Waiting:
            return "Waiting";
        case ps::Thread::State::Terminated:
            return "Terminated";
    }
    return "?";
}

ThreadPointers threadPointers(Kernel& kernel, ps::Thread& thread) {
    ThreadPointers out;
    if (thread.state == ps::Thread::State::Terminated || !thread.process().hasAddressSpace())
        return out;
    kernel.withUserRegisters(thread, [&](hal::Cpu& cpu) {
        out.rip = cpu.reg(hal::Reg::Rip);
        out.rsp = cpu.reg(hal::Reg::Rsp);
    });
    return out;
}

AllocationUsage allocationUsage(const ps::Process& process, const mm::Vad& vad) {
    if (vad.type == mm::VadType::Image) {
        for (const ps::LoadedImage& image : process.images())
            if (vad.contains(image.base))
                return {"Image", image.path};
        return {"Image", ""};
    }
    if (vad.threadStack)
        return {"Stack", ""};
    if (vad.contains(process.peb))
        return {"PEB", ""};
    for (const auto& thread : process.threads())
        if (vad.contains(thread->teb))
            return {"TEB", ""};
    return {"<unknown>", ""};
}

}  // namespace ntoy::kd
