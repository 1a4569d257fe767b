// A real machine and kernel for the fuzz targets that drive a running guest (the gdb stub, the
// debugger): booted once per fuzzing process, with hello.exe loaded afresh for every input.
//
// Whatever an input does to the guest (registers and memory written through gdb, say), the
// guest gets a budget of translation blocks per input; past it the process is ended, so that
// a guest sent into an endless loop costs the fuzzer a moment, not a timeout.
#pragma once

#include <unicorn/unicorn.h>

#include <cstdint>
#include <filesystem>
#include <memory>

#include "emulator/Machine.h"
#include "kernel/Kernel.h"

namespace ntoy::fuzz {

class LiveGuest {
public:
    // The one instance, booted on first use; a process that cannot boot it aborts.
    static LiveGuest& get();

    Kernel& kernel() { return *kernel_; }
    const std::filesystem::path& image() const { return image_; }

    // Loads a fresh hello.exe (the previous process goes) and arms the block budget.
    void loadFresh();

private:
    LiveGuest();
    static void onBlock(uc_engine* uc, std::uint64_t address, std::uint32_t size, void* self);

    std::unique_ptr<emu::Machine> machine_;
    std::unique_ptr<Kernel> kernel_;
    std::filesystem::path image_;
    std::uint64_t blocks_ = 0;
};

}  // namespace ntoy::fuzz
