#include "kernel/kd/KernelState.h"

#include <fmt/format.h>

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
