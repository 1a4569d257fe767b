// Images in system space (io::SystemImages): ntoskrnl.exe and drivers, mapped page by page
// with their sections' protections, relocated, bound to ntoskrnl's exports, INIT discarded.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "kernel/io/SystemImages.h"
#include "kernel/mm/MemoryManager.h"
#include "kernel/mm/SystemLayout.h"
#include "tests/kernel/CaughtBugCheck.h"
#include "tests/kernel/fakes/TestSystem.h"
#include "tests/ldr/PeBuilder.h"

namespace ntoy::test {
namespace {

using ldr::test::bytesOf;
using ldr::test::ImportSymbolSpec;
using ldr::test::kData;
using ldr::test::kRdata;
using ldr::test::kText;
using ldr::test::PeBuilder;
namespace pe = ldr::pe;

constexpr std::uint64_t kKernelBase = mm::systemRegion(mm::SystemRegion::DriverImages).base;

class SystemImagesTest : public ::testing::Test {
protected:
    SystemImagesTest() : images_(system_.mm()) {
        dir_ = std::filesystem::temp_directory_path() /
               ("ntoy-system-images-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
    }
    ~SystemImagesTest() override { std::filesystem::remove_all(dir_); }

    std::filesystem::path write(const std::string& name, const std::vector<std::byte>& bytes) {
        const auto path = dir_ / name;
        std::ofstream(path, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()),
                   static_cast<std::streamsize>(bytes.size()));
        return path;
    }
    // A kernel exporting `names`, each a RET at its own offset in .text, linked where it goes.
    const io::SystemImage& loadKernel(const std::vector<std::string>& names) {
        PeBuilder k;
        k.characteristics |= pe::kFileDll;
        k.imageBase = kKernelBase;
        const std::uint32_t text = k.addSection(".text", kText, bytesOf("\xC3\xC3\xC3\xC3"));
        std::vector<ldr::test::ExportSpec> exports;
        for (std::size_t i = 0; i < names.size(); ++i)
            exports.push_back({.name = names[i],
                               .ordinal = static_cast<std::uint16_t>(i + 1),
                               .rva = text + static_cast<std::uint32_t>(i),
                               .forwarder = {}});
        k.addExportSection("ntoskrnl.exe", 1, exports);
        auto loaded = images_.load(write("ntoskrnl.exe", k.build()), nullptr);
        EXPECT_TRUE(loaded) << (loaded ? "" : loaded.error().message);
        return **loaded;
    }
    // A driver: .text, INIT, .data, imports from `dll` of `names`, relocations.
    PeBuilder driver(const std::string& dll, const std::vector<std::string>& names) {
        PeBuilder d;
        d.characteristics |= pe::kFileDll;
        d.subsystem = pe::kSubsystemNative;
        textRva_ = d.addSection(".text", kText, bytesOf("\xC3"));
        initRva_ = d.addSection("INIT", kText | pe::kScnMemDiscardable, bytesOf("\xC3"));
        dataRva_ = d.addSection(".data", kData, std::vector<std::byte>(16));
        d.entryPoint = initRva_;
        std::vector<ImportSymbolSpec> symbols;
        for (const auto& n : names)
            symbols.push_back(ImportSymbolSpec::byName(n));
        imports_ = d.addImportSection({{dll, symbols}});
        // .data's first quadword holds the address of .text, relocated with the image.
        return d;
    }
    std::optional<mm::Pte> pte(VirtualAddress va) {
        const auto at = system_.mm().systemTables().findPte(va);
        if (!at)
            return std::nullopt;
        return system_.mm().systemTables().read(*at);
    }
    std::uint64_t readQword(VirtualAddress va) {
        std::uint64_t v = 0;
        std::memcpy(&v, system_.mm().systemSpace().access(va, false), sizeof v);
        system_.mm().systemSpace().unpinAll();
        return v;
    }

    TestSystem system_{4096};
    io::SystemImages images_;
    std::filesystem::path dir_;
    std::uint32_t textRva_ = 0, initRva_ = 0, dataRva_ = 0;
    ldr::test::ImportLayout imports_;
};

TEST_F(SystemImagesTest, MapsEachSectionWithItsProtectionAndBindsImportsToTheKernel) {
    const io::SystemImage& kernel = loadKernel({"DbgPrint", "ExAllocatePool2"});
    EXPECT_EQ(kernel.base.value(), kKernelBase) << "linked where it goes: not moved";
    auto built = driver("ntoskrnl.exe", {"ExAllocatePool2", "DbgPrint"});
    auto loaded = images_.load(write("drv.sys", built.build()), &kernel);
    ASSERT_TRUE(loaded) << loaded.error().message;
    const io::SystemImage& d = **loaded;
    EXPECT_NE(d.base, kernel.base);
    EXPECT_EQ(d.base.value() % 0x10000, 0u);

    const auto text = pte(d.base + textRva_);
    ASSERT_TRUE(text && text->isValid());
    EXPECT_FALSE(text->has(mm::PteBit::Write));
    EXPECT_FALSE(text->has(mm::PteBit::NoExecute));
    EXPECT_FALSE(text->has(mm::PteBit::User)) << "system pages are the supervisor's";
    const auto data = pte(d.base + dataRva_);
    ASSERT_TRUE(data && data->isValid());
    EXPECT_TRUE(data->has(mm::PteBit::Write));
    EXPECT_TRUE(data->has(mm::PteBit::NoExecute));
    const auto headers = pte(d.base);
    ASSERT_TRUE(headers && headers->isValid());
    EXPECT_FALSE(headers->has(mm::PteBit::Write));

    // Each IAT slot holds the kernel's export: DbgPrint is at .text+0, ExAllocatePool2 at +1.
    const std::uint64_t kernelText = kernel.base.value() + 0x1000;
    EXPECT_EQ(readQword(d.base + imports_.iatSlotRvas[0][0]), kernelText + 1);
    EXPECT_EQ(readQword(d.base + imports_.iatSlotRvas[0][1]), kernelText + 0);
    EXPECT_EQ(images_.containing(d.base + textRva_), &d);
    EXPECT_EQ(images_.locate(d.base + textRva_ + 0x10), "drv.sys+0x1010");
}

TEST_F(SystemImagesTest, NamesEveryMissingImportAtOnce) {
    const io::SystemImage& kernel = loadKernel({"DbgPrint"});
    const std::uint64_t charge = system_.mm().commit().charge();
    auto built = driver("ntoskrnl.exe", {"IoCreateDevice", "DbgPrint", "KeInsertQueueDpc"});
    auto loaded = images_.load(write("drv.sys", built.build()), &kernel);
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().message,
              "drv.sys imports functions that ntoskrnl.exe does not export: IoCreateDevice, "
              "KeInsertQueueDpc");
    EXPECT_EQ(system_.mm().commit().charge(), charge) << "nothing mapped";
}

TEST_F(SystemImagesTest, RefusesImportsFromAnyOtherModule) {
    const io::SystemImage& kernel = loadKernel({"DbgPrint"});
    auto built = driver("HAL.dll", {"KeStallExecutionProcessor"});
    auto loaded = images_.load(write("drv.sys", built.build()), &kernel);
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().message,
              "drv.sys imports from HAL.dll: a driver imports from ntoskrnl.exe alone");
}

TEST_F(SystemImagesTest, DiscardsInitAndGivesEverythingBackOnUnload) {
    const io::SystemImage& kernel = loadKernel({"DbgPrint"});
    const std::uint64_t charge = system_.mm().commit().charge();
    auto built = driver("ntoskrnl.exe", {"DbgPrint"});
    auto loaded = images_.load(write("drv.sys", built.build()), &kernel);
    ASSERT_TRUE(loaded) << loaded.error().message;
    io::SystemImage& d = **loaded;
    ASSERT_TRUE(pte(d.base + initRva_)->isValid());
    const std::uint64_t mapped = system_.mm().commit().charge() - charge;
    images_.discardInit(d);
    EXPECT_FALSE(pte(d.base + initRva_)->isValid()) << "INIT is gone after DriverEntry";
    EXPECT_TRUE(pte(d.base + textRva_)->isValid());
    EXPECT_EQ(system_.mm().commit().charge(), charge + mapped - 1);
    const VirtualAddress base = d.base;
    images_.unload(d);
    EXPECT_FALSE(pte(base + textRva_)->isValid());
    EXPECT_EQ(images_.containing(base + textRva_), nullptr);
    // Page tables made for the image stay; every page of the image went back.
    EXPECT_LE(system_.mm().commit().charge(), charge + 3);
}

TEST_F(SystemImagesTest, RelocatesAnImageThatCannotGoWhereItWasLinked) {
    const io::SystemImage& kernel = loadKernel({"DbgPrint"});
    auto built = driver("ntoskrnl.exe", {"DbgPrint"});
    built.imageBase = kKernelBase;  // taken by the kernel
    // .data's first quadword points at .text, with a relocation for it.
    built.addRelocation(dataRva_);
    built.addRelocationSection();
    auto bytes = built.build();
    const std::uint64_t linked = kKernelBase + textRva_;
    std::memcpy(bytes.data() + *built.fileOffsetOf(dataRva_), &linked, sizeof linked);
    auto loaded = images_.load(write("drv.sys", bytes), &kernel);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(readQword((*loaded)->base + dataRva_), ((*loaded)->base + textRva_).value());
}

TEST_F(SystemImagesTest, AKernelMayImportNothing) {
    PeBuilder k;
    k.characteristics |= pe::kFileDll;
    k.addSection(".text", kText, bytesOf("\xC3"));
    k.addImportSection({{"ntdll.dll", {ImportSymbolSpec::byName("NtClose")}}});
    auto loaded = images_.load(write("ntoskrnl.exe", k.build()), nullptr);
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().message,
              "ntoskrnl.exe imports from ntdll.dll; the kernel image may import nothing");
}

}  // namespace
}  // namespace ntoy::test
