#include "tests/debug/LiveKernel.h"

#include <filesystem>

#include "kernel/mm/PagingFile.h"

#include <gtest/gtest.h>

namespace ntoy::test {

class LiveKernel::PauseOnFault final : public ke::KernelObserver {
public:
    explicit PauseOnFault(Kernel& kernel) : kernel_(kernel) {}
    std::function<bool(const mm::PageFaultOutcome&)> wanted;
    std::optional<CapturedFault> captured;

    void pageFault(const ke::PageFaultEvent& e) override {
        if (!wanted || captured || !wanted(e.outcome))
            return;
        captured =
            CapturedFault{e.number, e.rip, e.cr2, e.errorCode, e.walkBefore, e.vad, e.outcome};
        kernel_.requestPause();
    }

private:
    Kernel& kernel_;
};

std::string imagePath(const std::string& name) {
    return std::string(NTOY_IMAGES_DIR) + "/" + name;
}

std::unique_ptr<LiveKernel> LiveKernel::load(const std::string& image,
                                             const std::vector<std::string>& args,
                                             std::uint64_t ram, std::uint64_t pagefilePages) {
    auto live = std::unique_ptr<LiveKernel>(new LiveKernel());
    auto machine = emu::Machine::create(ram);
    if (!machine) {
        ADD_FAILURE() << machine.error();
        return nullptr;
    }
    live->machine_ = std::move(*machine);
    std::unique_ptr<mm::PagingFile> pagefile;
    if (pagefilePages != 0) {
        auto created =
            mm::PagingFile::create(pagefilePages, std::filesystem::temp_directory_path());
        if (!created) {
            ADD_FAILURE() << created.error();
            return nullptr;
        }
        pagefile = std::move(*created);
    }
    auto kernel = Kernel::boot(*live->machine_, {}, std::move(pagefile));
    if (!kernel) {
        ADD_FAILURE() << kernel.error();
        return nullptr;
    }
    live->kernel_ = std::move(*kernel);
    std::vector<std::string> argv{imagePath(image)};
    argv.insert(argv.end(), args.begin(), args.end());
    if (auto loaded = live->kernel_->load(imagePath(image), argv, NTOY_IMAGES_DIR); !loaded) {
        ADD_FAILURE() << loaded.error().message;
        return nullptr;
    }
    live->observer_ = std::make_unique<PauseOnFault>(*live->kernel_);
    live->kernel_->setObserver(live->observer_.get());
    return live;
}

LiveKernel::~LiveKernel() {
    if (kernel_)
        kernel_->setObserver(nullptr);
}

std::optional<CapturedFault> LiveKernel::runToFault(
    const std::function<bool(const mm::PageFaultOutcome&)>& wanted) {
    observer_->wanted = wanted;
    observer_->captured.reset();
    while (!observer_->captured) {
        auto state = kernel_->resume();
        if (!state) {
            ADD_FAILURE() << state.error().message;
            break;
        }
        if (*state == Kernel::RunState::Exited)
            break;
    }
    observer_->wanted = nullptr;
    return std::exchange(observer_->captured, std::nullopt);
}

std::optional<std::uint32_t> LiveKernel::runToExit() {
    for (;;) {
        auto state = kernel_->resume();
        if (!state) {
            ADD_FAILURE() << state.error().message;
            return std::nullopt;
        }
        if (*state == Kernel::RunState::Exited)
            return kernel_->exitStatus();
    }
}

}  // namespace ntoy::test
