// A real machine and kernel with a guest from images/ loaded, for tests that need the live
// state the debugger reads: runs the guest until a chosen page fault and keeps that event.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "emulator/Machine.h"
#include "kernel/Kernel.h"

namespace ntoy::test {

// A page-fault event, kept after the kernel's own has gone.
struct CapturedFault {
    std::uint64_t number = 0, rip = 0, cr2 = 0;
    std::uint32_t errorCode = 0;
    mm::PageTables::Walk walkBefore;
    std::optional<mm::Vad> vad;
    mm::PageFaultOutcome outcome;
    ke::PageFaultEvent event() const {
        return {number, rip, cr2, errorCode, walkBefore, vad, outcome};
    }
};

class LiveKernel {
public:
    // Boots `ram` bytes (with a paging file of `pagefilePages` pages, if any) and loads
    // images/IMAGE with `args`; fails the test (nullptr) if it cannot.
    static std::unique_ptr<LiveKernel> load(const std::string& image,
                                            const std::vector<std::string>& args = {},
                                            std::uint64_t ram = 64ull << 20,
                                            std::uint64_t pagefilePages = 0);
    ~LiveKernel();

    Kernel& kernel() { return *kernel_; }
    ps::Process& process() { return *kernel_->process(); }

    // Resumes until a fault for which `wanted` is true has been handled (the guest is then
    // paused before retrying the instruction), or the guest ends (empty).
    std::optional<CapturedFault> runToFault(
        const std::function<bool(const mm::PageFaultOutcome&)>& wanted);
    // Resumes to the end; the exit status.
    std::optional<std::uint32_t> runToExit();

private:
    class PauseOnFault;
    std::unique_ptr<emu::Machine> machine_;
    std::unique_ptr<Kernel> kernel_;
    std::unique_ptr<PauseOnFault> observer_;
};

// The path of a staged guest image.
std::string imagePath(const std::string& name);

}  // namespace ntoy::test
