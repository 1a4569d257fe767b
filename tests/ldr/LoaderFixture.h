// A process on the kernel fakes and a scratch directory tree for its images:
//
//   <root>/app/      the executable's folder
//   <root>/system/   the system folder (ntdll.dll, kernel32.dll)
//   <root>/outside/  a folder no image may be loaded from
//
// Images are written with PeBuilder (TestImages.h); the tree goes when the test ends.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "kernel/ldr/ImageLoader.h"
#include "tests/kernel/fakes/TestSystem.h"
#include "tests/ldr/TestImages.h"

namespace ntoy::ldr::test {

class LoaderFixture : public ::testing::Test {
protected:
    LoaderFixture() {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        root_ = std::filesystem::temp_directory_path() /
                fmt::format("ntoy-{}-{}-{}", info->test_suite_name(), info->name(), ::getpid());
        std::filesystem::remove_all(root_);
    }
    ~LoaderFixture() override { std::filesystem::remove_all(root_); }

    std::filesystem::path app() const { return root_ / "app"; }
    std::filesystem::path system() const { return root_ / "system"; }
    std::filesystem::path outside() const { return root_ / "outside"; }

    // ntdll.dll and kernel32.dll (which imports ntdll) in the system folder.
    void writeSystemDlls() {
        writeImage(system() / "ntdll.dll",
                   dllExporting("ntdll.dll", {"RtlUserThreadStart", "NtClose"}).build());
        writeImage(system() / "kernel32.dll",
                   dllExporting("kernel32.dll", {"ExitProcess", "GetLastError"},
                                {{"ntdll.dll", {ImportSymbolSpec::byName("NtClose")}}}, 0x180100000)
                       .build());
    }

    std::expected<const ps::LoadedImage*, LoadError> loadExe(const std::filesystem::path& exe) {
        return ImageLoader(*process_).loadExecutable(exe, system());
    }

    const ps::LoadedImage* image(std::string_view name) const {
        for (const ps::LoadedImage& m : process_->images())
            if (m.name == name)
                return &m;
        return nullptr;
    }
    std::size_t imageVads() const {
        std::size_t n = 0;
        for (const auto& [start, vad] : process_->space().vads())
            n += vad.type == mm::VadType::Image;
        return n;
    }

    std::filesystem::path root_;
    ntoy::test::TestSystem system_{2048};
    std::unique_ptr<ps::Process> process_ = system_.createProcess();
};

}  // namespace ntoy::ldr::test
