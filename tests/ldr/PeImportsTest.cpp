// The import directory: DLL names, imports by name and by ordinal, and their IAT slots.
#include <gtest/gtest.h>

#include "kernel/ldr/PeImage.h"
#include "tests/ldr/SampleImage.h"
#include "tests/ldr/TestSupport.h"

namespace ntoy::ldr {
namespace {

using test::makeSampleImage;
using test::parseValid;
using test::SampleImage;

TEST(PeImports, ListsModulesAndSymbols) {
    const SampleImage sample = makeSampleImage();
    const PeImage image = parseValid(sample.file);
    auto modules = image.imports();
    ASSERT_EQ(modules.size(), 2u);

    EXPECT_EQ(modules[0].dllName, "KERNEL32.dll");
    ASSERT_EQ(modules[0].symbols.size(), 3u);
    const auto& exitProcess = modules[0].symbols[0];
    EXPECT_FALSE(exitProcess.byOrdinal);
    EXPECT_EQ(exitProcess.name, "ExitProcess");
    EXPECT_EQ(exitProcess.hint, 0x10);
    EXPECT_EQ(exitProcess.iatRva, sample.imports.iatSlotRvas[0][0]);
    EXPECT_EQ(modules[0].symbols[1].name, "GetStdHandle");
    EXPECT_EQ(modules[0].symbols[1].hint, 0x20);
    EXPECT_EQ(modules[0].symbols[1].iatRva, sample.imports.iatSlotRvas[0][1]);
    const auto& byOrdinal = modules[0].symbols[2];
    EXPECT_TRUE(byOrdinal.byOrdinal);
    EXPECT_EQ(byOrdinal.ordinal, 42);
    EXPECT_TRUE(byOrdinal.name.empty());
    EXPECT_EQ(byOrdinal.iatRva, sample.imports.iatSlotRvas[0][2]);

    EXPECT_EQ(modules[1].dllName, "ntdll.dll");
    ASSERT_EQ(modules[1].symbols.size(), 1u);
    EXPECT_EQ(modules[1].symbols[0].name, "RtlAddVectoredExceptionHandler");
    EXPECT_EQ(modules[1].symbols[0].iatRva, sample.imports.iatSlotRvas[1][0]);
}

TEST(PeImports, IatSlotsAreConsecutiveQwords) {
    const SampleImage sample = makeSampleImage();
    const PeImage image = parseValid(sample.file);
    const auto& symbols = image.imports()[0].symbols;
    EXPECT_EQ(symbols[1].iatRva, symbols[0].iatRva + 8);
    EXPECT_EQ(symbols[2].iatRva, symbols[1].iatRva + 8);
}

TEST(PeImports, ReadsTheIatWhenThereIsNoLookupTable) {
    SampleImage sample = makeSampleImage();
    const auto descriptor = *sample.builder.fileOffsetOf(sample.imports.descriptorRvas[0]);
    test::poke(sample.file, descriptor + offsetof(pe::ImageImportDescriptor, OriginalFirstThunk),
               std::uint32_t{0});
    const PeImage image = parseValid(sample.file);
    ASSERT_EQ(image.imports()[0].symbols.size(), 3u);
    EXPECT_EQ(image.imports()[0].symbols[1].name, "GetStdHandle");
    EXPECT_EQ(image.imports()[0].symbols[2].ordinal, 42);
}

TEST(PeImports, ImageWithoutImportsHasAnEmptyList) {
    test::PeBuilder builder;
    builder.entryPoint = builder.addSection(".text", test::kText, test::bytesOf("\xC3"));
    EXPECT_TRUE(parseValid(builder.build()).imports().empty());
}

TEST(PeImports, ModuleWithNoSymbolsIsKept) {
    test::PeBuilder builder;
    builder.entryPoint = builder.addSection(".text", test::kText, test::bytesOf("\xC3"));
    builder.addImportSection({{"empty.dll", {}}});
    const PeImage image = parseValid(builder.build());
    ASSERT_EQ(image.imports().size(), 1u);
    EXPECT_EQ(image.imports()[0].dllName, "empty.dll");
    EXPECT_TRUE(image.imports()[0].symbols.empty());
}

}  // namespace
}  // namespace ntoy::ldr
