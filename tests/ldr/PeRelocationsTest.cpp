// Base relocations: moving a laid-out image to a new base.
#include <gtest/gtest.h>

#include <cstring>

#include "kernel/ldr/PeImage.h"
#include "tests/ldr/SampleImage.h"
#include "tests/ldr/TestSupport.h"

namespace ntoy::ldr {
namespace {

using test::makeSampleImage;
using test::parseValid;
using test::SampleImage;

template <class T>
T load(std::span<const std::byte> bytes, std::uint32_t offset) {
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof(T));
    return value;
}

std::vector<std::byte> laidOut(const PeImage& image) {
    std::vector<std::byte> mapped(image.sizeOfImage());
    EXPECT_TRUE(image.layout(mapped).has_value());
    return mapped;
}

constexpr std::uint32_t kImageBaseField =
    test::kOptionalHeaderOffset + offsetof(pe::ImageOptionalHeader64, ImageBase);

TEST(PeRelocations, ListsDir64AndHighLowTargets) {
    const SampleImage sample = makeSampleImage();
    const PeImage image = parseValid(sample.file);
    auto relocations = image.relocations();
    ASSERT_EQ(relocations.size(), 3u);  // the ABSOLUTE padding entry is dropped
    EXPECT_EQ(relocations[0].rva, sample.dataRva + test::kDir64Slot0);
    EXPECT_EQ(relocations[0].type, pe::kRelBasedDir64);
    EXPECT_EQ(relocations[1].rva, sample.dataRva + test::kDir64Slot1);
    EXPECT_EQ(relocations[2].rva, sample.dataRva + test::kHighLowSlot);
    EXPECT_EQ(relocations[2].type, pe::kRelBasedHighLow);
}

TEST(PeRelocations, MovesTargetsByTheDelta) {
    const SampleImage sample = makeSampleImage();
    const PeImage image = parseValid(sample.file);
    const std::vector<std::byte> original = laidOut(image);
    std::vector<std::byte> mapped = original;
    const std::uint64_t newBase = 0x7FF612340000;
    ASSERT_TRUE(image.applyRelocations(mapped, newBase).has_value());

    const std::uint32_t data = sample.dataRva;
    EXPECT_EQ(load<std::uint64_t>(mapped, data + test::kDir64Slot0),
              newBase + sample.textRva + 0x10);
    EXPECT_EQ(load<std::uint64_t>(mapped, data + test::kDir64Slot1), newBase + sample.rdataRva);
    EXPECT_EQ(load<std::uint32_t>(mapped, data + test::kHighLowSlot),
              static_cast<std::uint32_t>(newBase + data + 0x100));
    EXPECT_EQ(load<std::uint64_t>(mapped, kImageBaseField), newBase);

    // Nothing else changed.
    for (std::uint32_t at : {data + test::kDir64Slot0, data + test::kDir64Slot1}) {
        std::memcpy(mapped.data() + at, original.data() + at, 8);
    }
    std::memcpy(mapped.data() + data + test::kHighLowSlot,
                original.data() + data + test::kHighLowSlot, 4);
    std::memcpy(mapped.data() + kImageBaseField, original.data() + kImageBaseField, 8);
    EXPECT_EQ(mapped, original);
}

TEST(PeRelocations, MovesToALowerBase) {
    const SampleImage sample = makeSampleImage();
    const PeImage image = parseValid(sample.file);
    std::vector<std::byte> mapped = laidOut(image);
    ASSERT_TRUE(image.applyRelocations(mapped, 0x10000).has_value());
    EXPECT_EQ(load<std::uint64_t>(mapped, sample.dataRva + test::kDir64Slot0),
              0x10000u + sample.textRva + 0x10);
}

TEST(PeRelocations, ThePreferredBaseChangesNothing) {
    const PeImage image = parseValid(makeSampleImage().file);
    std::vector<std::byte> mapped = laidOut(image);
    ASSERT_TRUE(image.applyRelocations(mapped, image.imageBase()).has_value());
    EXPECT_TRUE(std::ranges::equal(mapped, image.mappedImage()));
}

TEST(PeRelocations, RefusesToMoveAnImageWithStrippedRelocations) {
    SampleImage sample = makeSampleImage();
    sample.builder.characteristics |= pe::kFileRelocsStripped;
    const PeImage image = parseValid(sample.builder.build());
    EXPECT_TRUE(image.relocationsStripped());
    std::vector<std::byte> mapped = laidOut(image);
    auto moved = image.applyRelocations(mapped, 0x180000000);
    ASSERT_FALSE(moved.has_value());
    EXPECT_NE(moved.error().message.find("IMAGE_FILE_RELOCS_STRIPPED"), std::string::npos);
    // Staying at the preferred base needs no relocation, stripped or not.
    EXPECT_TRUE(image.applyRelocations(mapped, image.imageBase()).has_value());
}

TEST(PeRelocations, RejectsABufferOfTheWrongSize) {
    const PeImage image = parseValid(makeSampleImage().file);
    std::vector<std::byte> mapped(image.sizeOfImage() + 0x1000);
    auto moved = image.applyRelocations(mapped, 0x180000000);
    ASSERT_FALSE(moved.has_value());
    EXPECT_NE(moved.error().message.find("relocation target is"), std::string::npos);
}

TEST(PeRelocations, RejectsAnUnalignedOrWrappingBase) {
    const PeImage image = parseValid(makeSampleImage().file);
    std::vector<std::byte> mapped = laidOut(image);
    auto unaligned = image.applyRelocations(mapped, 0x180000800);
    ASSERT_FALSE(unaligned.has_value());
    EXPECT_NE(unaligned.error().message.find("not page-aligned"), std::string::npos);
    auto wrapping = image.applyRelocations(mapped, 0xFFFFFFFFFFFFF000);
    ASSERT_FALSE(wrapping.has_value());
    EXPECT_NE(wrapping.error().message.find("wraps around"), std::string::npos);
}

TEST(PeRelocations, ImageWithoutRelocationDirectoryStillMoves) {
    test::PeBuilder builder;
    builder.entryPoint = builder.addSection(".text", test::kText, test::bytesOf("\xC3"));
    const PeImage image = parseValid(builder.build());
    EXPECT_FALSE(image.hasRelocations());
    EXPECT_FALSE(image.relocationsStripped());
    std::vector<std::byte> mapped = laidOut(image);
    ASSERT_TRUE(image.applyRelocations(mapped, 0x180000000).has_value());
    EXPECT_EQ(load<std::uint64_t>(mapped, kImageBaseField), 0x180000000u);
}

TEST(PeRelocations, BlockOutsideTheImageIsAnError) {
    test::PeBuilder builder;
    builder.entryPoint = builder.addSection(".text", test::kText, test::bytesOf("\xC3"));
    builder.addRelocation(0x80008);
    builder.addRelocationSection();
    EXPECT_TRUE(test::failsWith(builder.build(),
                                "relocation block at RVA 0x2000 targets page 0x80000 outside the "
                                "image (size 0x3000)"));
}

TEST(PeRelocations, TargetStraddlingTheImageEndIsAnError) {
    test::PeBuilder builder;
    builder.entryPoint = builder.addSection(".text", test::kText, test::bytesOf("\xC3"));
    const std::uint32_t relocRva = builder.nextRva();
    builder.addRelocation(relocRva + 0xFFC);
    builder.addRelocationSection();
    EXPECT_TRUE(test::failsWith(builder.build(), "relocation at RVA 0x2ffc (DIR64) lies outside"));
}

TEST(PeRelocations, UnsupportedTypeIsNamed) {
    test::PeBuilder builder;
    builder.entryPoint = builder.addSection(".text", test::kText, test::bytesOf("\xC3"));
    builder.addRelocation(0x1000, pe::kRelBasedHighAdj);
    builder.addRelocationSection();
    EXPECT_TRUE(test::failsWith(builder.build(), "unsupported type 4 (HIGHADJ)"));
}

TEST(PeRelocations, NamesEveryType) {
    EXPECT_EQ(relocationTypeName(pe::kRelBasedAbsolute), "ABSOLUTE");
    EXPECT_EQ(relocationTypeName(pe::kRelBasedHighLow), "HIGHLOW");
    EXPECT_EQ(relocationTypeName(pe::kRelBasedDir64), "DIR64");
    EXPECT_EQ(relocationTypeName(15), "unknown");
}

}  // namespace
}  // namespace ntoy::ldr
