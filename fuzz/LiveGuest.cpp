#include "fuzz/LiveGuest.h"

#include <fmt/format.h>

#include "emulator/Engine.h"
#include "fuzz/FuzzSupport.h"

namespace ntoy::fuzz {
namespace {

constexpr std::uint64_t kRamBytes = 64ull << 20;
// hello.exe runs a few thousand blocks; anything far beyond that is a guest sent astray.
constexpr std::uint64_t kBlockBudget = 1'000'000;
// The exit status of a process ended for its budget: STATUS_TIMEOUT.
constexpr std::uint32_t kOutOfBudget = 0x00000102;

}  // namespace

LiveGuest& LiveGuest::get() {
    static LiveGuest live;
    return live;
}

LiveGuest::LiveGuest() : image_(imagesDir() / "hello.exe") {
    silenceGuestOutput();
    auto machine = emu::Machine::create(kRamBytes);
    if (!machine)
        fail(fmt::format("cannot create the machine: {}", machine.error()));
    machine_ = std::move(*machine);
    auto kernel = Kernel::boot(*machine_);
    if (!kernel)
        fail(fmt::format("cannot boot: {}", kernel.error()));
    kernel_ = std::move(*kernel);
}

void LiveGuest::loadFresh() {
    if (auto loaded = kernel_->load(image_, {image_.string()}, imagesDir()); !loaded)
        fail(fmt::format("cannot load {}: {}", image_.string(), loaded.error().message));
    blocks_ = 0;
    // Hooked before the guest's first instruction, so that every block it runs counts.
    auto& engine = dynamic_cast<emu::Engine&>(kernel_->process()->cpu());
    uc_hook hook;
    if (uc_hook_add(engine.uc(), &hook, UC_HOOK_BLOCK, reinterpret_cast<void*>(&onBlock), this, 1,
                    0) != UC_ERR_OK)
        fail("cannot hook the engine for the block budget");
}

void LiveGuest::onBlock(uc_engine*, std::uint64_t, std::uint32_t, void* self) {
    auto* live = static_cast<LiveGuest*>(self);
    if (++live->blocks_ == kBlockBudget)
        live->kernel_->process()->terminate(kOutOfBudget);
}

}  // namespace ntoy::fuzz
