// A well-formed image: header accessors, the section list and protections, and the in-memory
// layout.
#include "kernel/ldr/PeImage.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "tests/ldr/SampleImage.h"
#include "tests/ldr/TestSupport.h"

namespace ntoy::ldr {
namespace {

using test::makeSampleImage;
using test::parseValid;
using test::SampleImage;

bool allZero(std::span<const std::byte> bytes) {
    return std::ranges::all_of(bytes, [](std::byte b) { return b == std::byte{0}; });
}

TEST(PeImage, ParsesHeaderFields) {
    const SampleImage sample = makeSampleImage();
    const PeImage image = parseValid(sample.file);
    EXPECT_EQ(image.imageBase(), test::kDefaultImageBase);
    EXPECT_EQ(image.sizeOfHeaders(), 0x400u);
    EXPECT_EQ(image.sectionAlignment(), 0x1000u);
    EXPECT_EQ(image.fileAlignment(), 0x200u);
    EXPECT_EQ(image.sizeOfImage(), sample.relocRva + 0x1000);
    EXPECT_EQ(image.entryPointRva(), sample.textRva);
    EXPECT_TRUE(image.hasEntryPoint());
    EXPECT_EQ(image.subsystem(), pe::kSubsystemWindowsCui);
    EXPECT_FALSE(image.isDll());
    EXPECT_TRUE(image.isDynamicBase());
    EXPECT_TRUE(image.isNxCompatible());
    EXPECT_FALSE(image.relocationsStripped());
    EXPECT_TRUE(image.hasRelocations());
    EXPECT_EQ(image.characteristics(), pe::kFileExecutableImage | pe::kFileLargeAddressAware);
    EXPECT_EQ(image.dllCharacteristics(),
              pe::kDllDynamicBase | pe::kDllNxCompat | pe::kDllHighEntropyVa);
    EXPECT_EQ(image.sizeOfStackReserve(), 0x200000u);
    EXPECT_EQ(image.sizeOfStackCommit(), 0x1000u);
    EXPECT_EQ(image.sizeOfHeapReserve(), 0x100000u);
    EXPECT_EQ(image.sizeOfHeapCommit(), 0x1000u);
}

TEST(PeImage, ListsSections) {
    const SampleImage sample = makeSampleImage();
    const PeImage image = parseValid(sample.file);
    auto sections = image.sections();
    ASSERT_EQ(sections.size(), 7u);
    const char* names[] = {".text", ".rdata", ".data", ".bss", ".idata", ".edata", ".reloc"};
    for (std::size_t i = 0; i < sections.size(); ++i) {
        EXPECT_EQ(sections[i].name, names[i]);
    }
    EXPECT_EQ(sections[0].virtualAddress, sample.textRva);
    EXPECT_EQ(sections[0].virtualSize, test::kTextSize);
    EXPECT_EQ(sections[0].pointerToRawData, 0x400u);
    EXPECT_EQ(sections[0].sizeOfRawData, 0x200u);
    EXPECT_EQ(sections[0].characteristics, test::kText);
    EXPECT_EQ(sections[1].virtualAddress, sample.rdataRva);
    EXPECT_EQ(sections[1].virtualSize, test::kRdataVirtualSize);
    EXPECT_EQ(sections[1].pointerToRawData, 0x600u);
    EXPECT_EQ(sections[1].sizeOfRawData, 0x400u);
    EXPECT_EQ(sections[3].virtualAddress, sample.bssRva);
    EXPECT_EQ(sections[3].virtualSize, test::kBssVirtualSize);
    EXPECT_EQ(sections[3].sizeOfRawData, 0u);
    EXPECT_EQ(sections[3].pointerToRawData, 0u);
}

TEST(PeImage, MapsSectionCharacteristicsToPageProtections) {
    const PeImage image = parseValid(makeSampleImage().file);
    auto sections = image.sections();
    EXPECT_EQ(sections[0].protection(), kPageExecuteRead);  // .text
    EXPECT_EQ(sections[1].protection(), kPageReadOnly);     // .rdata
    EXPECT_EQ(sections[2].protection(), kPageReadWrite);    // .data
    EXPECT_EQ(sections[3].protection(), kPageReadWrite);    // .bss
    EXPECT_EQ(PeImage::headerProtection(), kPageReadOnly);
}

TEST(PageProtection, CoversEveryAccessCombination) {
    using namespace pe;
    EXPECT_EQ(sectionPageProtection(kScnMemExecute | kScnMemRead), 0x20u);
    EXPECT_EQ(sectionPageProtection(kScnMemExecute | kScnMemRead | kScnMemWrite), 0x40u);
    EXPECT_EQ(sectionPageProtection(kScnMemRead | kScnMemWrite), 0x04u);
    EXPECT_EQ(sectionPageProtection(kScnMemRead), 0x02u);
    EXPECT_EQ(sectionPageProtection(kScnMemExecute), 0x10u);
    EXPECT_EQ(sectionPageProtection(0), 0x01u);
    // Content flags do not grant access; write without read still reads.
    EXPECT_EQ(sectionPageProtection(kScnCntCode | kScnCntInitializedData), 0x01u);
    EXPECT_EQ(sectionPageProtection(kScnMemWrite), 0x04u);
    EXPECT_EQ(sectionPageProtection(kScnMemExecute | kScnMemWrite), 0x40u);
}

TEST(PeImage, LayoutCopiesHeadersAndSectionsAndZeroesTheRest) {
    const SampleImage sample = makeSampleImage();
    const PeImage image = parseValid(sample.file);
    std::vector<std::byte> mapped(image.sizeOfImage(), std::byte{0xEE});
    ASSERT_TRUE(image.layout(mapped).has_value());
    EXPECT_TRUE(std::ranges::equal(mapped, image.mappedImage()));
    auto at = [&](std::uint32_t rva, std::uint32_t size) {
        return std::span<const std::byte>(mapped).subspan(rva, size);
    };

    EXPECT_TRUE(std::ranges::equal(at(0, 0x400), std::span(sample.file).first(0x400)));
    EXPECT_TRUE(allZero(at(0x400, sample.textRva - 0x400)));

    EXPECT_TRUE(std::ranges::equal(at(sample.textRva, test::kTextSize), sample.text));
    EXPECT_TRUE(allZero(at(sample.textRva + test::kTextSize, 0x1000 - test::kTextSize)));

    // Only VirtualSize bytes of .rdata are mapped even though more raw bytes follow in the file.
    EXPECT_TRUE(std::ranges::equal(at(sample.rdataRva, test::kRdataVirtualSize),
                                   std::span(sample.rdata).first(test::kRdataVirtualSize)));
    EXPECT_TRUE(
        allZero(at(sample.rdataRva + test::kRdataVirtualSize, 0x1000 - test::kRdataVirtualSize)));

    EXPECT_TRUE(std::ranges::equal(at(sample.dataRva, 0x18), sample.data));
    EXPECT_TRUE(allZero(at(sample.dataRva + 0x18, 0x1000 - 0x18)));
    EXPECT_TRUE(allZero(at(sample.bssRva, test::kBssVirtualSize)));
}

TEST(PeImage, LayoutRejectsATargetOfTheWrongSize) {
    const PeImage image = parseValid(makeSampleImage().file);
    std::vector<std::byte> small(image.sizeOfImage() - 1);
    auto result = image.layout(small);
    ASSERT_FALSE(result.has_value());
    EXPECT_NE(result.error().message.find("layout target is"), std::string::npos);
}

TEST(PeImage, ZeroVirtualSizeMeansSizeOfRawData) {
    test::PeBuilder builder;
    builder.entryPoint = builder.addSection(".text", test::kText, test::bytesOf("\xC3 code"), 0);
    const PeImage image = parseValid(builder.build());
    ASSERT_EQ(image.sections().size(), 1u);
    EXPECT_EQ(image.sections()[0].virtualSize, 0u);
    EXPECT_EQ(image.sections()[0].virtualExtent(), 0x200u);
    EXPECT_EQ(image.sizeOfImage(), 0x2000u);
    EXPECT_EQ(image.mappedImage()[0x1000], std::byte{0xC3});
    EXPECT_FALSE(image.hasRelocations());
}

TEST(PeImage, SectionWithoutRawDataIgnoresPointerToRawData) {
    SampleImage sample = makeSampleImage();
    test::poke(sample.file,
               test::kSectionTableOffset + 3 * sizeof(pe::ImageSectionHeader) +
                   offsetof(pe::ImageSectionHeader, PointerToRawData),
               std::uint32_t{0xFFFFFFF0});
    const PeImage image = parseValid(sample.file);
    EXPECT_EQ(image.sections()[3].name, ".bss");
    EXPECT_TRUE(allZero(image.mappedImage().subspan(sample.bssRva, test::kBssVirtualSize)));
}

TEST(PeImage, DllMayHaveNoEntryPoint) {
    test::PeBuilder builder;
    builder.characteristics |= pe::kFileDll;
    builder.addSection(".rdata", test::kRdata, test::bytesOf("resources only"));
    const PeImage image = parseValid(builder.build());
    EXPECT_TRUE(image.isDll());
    EXPECT_FALSE(image.hasEntryPoint());
    EXPECT_EQ(image.entryPointRva(), 0u);
}

TEST(PeImage, ResolvesLongSectionNamesThroughTheStringTable) {
    test::PeBuilder builder;
    builder.entryPoint = builder.addSection(".text", test::kText, test::bytesOf("\xC3"));
    builder.addSection(".debug_info", test::kRdata | pe::kScnMemDiscardable,
                       test::bytesOf("dwarf"));
    const PeImage image = parseValid(builder.build());
    ASSERT_EQ(image.sections().size(), 2u);
    EXPECT_EQ(image.sections()[1].name, ".debug_info");
}

TEST(PeImage, KeepsTheRawNameWhenTheStringTableIsMissing) {
    test::PeBuilder builder;
    builder.entryPoint = builder.addSection(".text", test::kText, test::bytesOf("\xC3"));
    builder.addSection(".debug_info", test::kRdata, test::bytesOf("dwarf"));
    auto file = builder.build();
    test::poke(file, test::kFileHeaderOffset + offsetof(pe::ImageFileHeader, PointerToSymbolTable),
               std::uint32_t{0x7FFFFFF0});
    const PeImage image = parseValid(file);
    EXPECT_EQ(image.sections()[1].name, "/4");
}

TEST(PeImage, ReportsDataDirectories) {
    const SampleImage sample = makeSampleImage();
    const PeImage image = parseValid(sample.file);
    auto imports = image.dataDirectory(pe::DirectoryIndex::Import);
    EXPECT_EQ(imports.VirtualAddress, sample.imports.directoryRva);
    EXPECT_EQ(imports.Size, 3 * sizeof(pe::ImageImportDescriptor));
    auto exports = image.dataDirectory(pe::DirectoryIndex::Export);
    EXPECT_EQ(exports.VirtualAddress, sample.exports.directoryRva);
    EXPECT_EQ(exports.Size, sample.exports.directorySize);
    auto tls = image.dataDirectory(pe::DirectoryIndex::Tls);
    EXPECT_EQ(tls.VirtualAddress, 0u);
    EXPECT_EQ(tls.Size, 0u);
}

TEST(PeImage, BytesAtRvaIsBoundsChecked) {
    const SampleImage sample = makeSampleImage();
    const PeImage image = parseValid(sample.file);
    auto text = image.bytesAtRva(sample.textRva, test::kTextSize);
    ASSERT_TRUE(text.has_value());
    EXPECT_TRUE(std::ranges::equal(*text, sample.text));
    EXPECT_TRUE(image.bytesAtRva(image.sizeOfImage(), 0).has_value());
    EXPECT_FALSE(image.bytesAtRva(image.sizeOfImage() - 4, 8).has_value());
    EXPECT_FALSE(image.bytesAtRva(0xFFFFFFFF, 0xFFFFFFFF).has_value());
}

TEST(PeImage, DoesNotReferToTheFileAfterParsing) {
    std::optional<PeImage> image;
    {
        const std::vector<std::byte> file = makeSampleImage().file;
        image = parseValid(file);
    }
    // Under AddressSanitizer a dangling view of the file would fail here.
    EXPECT_EQ(image->sections()[0].name, ".text");
    EXPECT_EQ(image->imports()[0].dllName, "KERNEL32.dll");
    EXPECT_EQ(image->exports().dllName(), "sample.dll");
    std::vector<std::byte> mapped(image->sizeOfImage());
    EXPECT_TRUE(image->layout(mapped).has_value());
}

}  // namespace
}  // namespace ntoy::ldr
