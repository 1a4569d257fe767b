// Random damage to a valid image: parse() may accept or reject the result, but neither it nor
// anything done with an accepted image may crash or read out of bounds. Run under
// AddressSanitizer and UndefinedBehaviorSanitizer to make that check strict.
#include <gtest/gtest.h>

#include <random>

#include "kernel/ldr/PeImage.h"
#include "tests/ldr/SampleImage.h"

namespace ntoy::ldr {
namespace {

constexpr int kIterations = 5000;
constexpr std::uint32_t kSeed = 0x6E746F79;  // "ntoy": fixed so failures reproduce

// Everything the loader would do with an accepted image.
void exercise(const PeImage& image) {
    std::vector<std::byte> mapped(image.sizeOfImage());
    ASSERT_TRUE(image.layout(mapped).has_value());
    for (const Section& section : image.sections()) {
        EXPECT_LE(std::uint64_t{section.virtualAddress} + section.virtualExtent(), mapped.size());
        (void)section.protection();
    }
    for (const ImportedModule& module : image.imports()) {
        for (const ImportedSymbol& symbol : module.symbols) {
            EXPECT_TRUE(image.bytesAtRva(symbol.iatRva, 8).has_value());
        }
    }
    for (const ExportedName& name : image.exports().names()) {
        EXPECT_TRUE(image.exportByName(name.name).has_value());
    }
    for (std::uint32_t ordinal = 0; ordinal < 16; ++ordinal) {
        (void)image.exportByOrdinal(static_cast<std::uint16_t>(ordinal));
    }
    (void)image.exportByName("samplefunction");
    for (std::uint64_t base : {image.imageBase() + 0x10000000, std::uint64_t{0x10000}}) {
        std::vector<std::byte> moved = mapped;
        (void)image.applyRelocations(moved, base);
    }
}

std::vector<std::byte> mutate(const std::vector<std::byte>& original, std::mt19937& random,
                              const test::SampleImage& sample) {
    std::vector<std::byte> file = original;
    auto pick = [&](std::uint64_t below) {
        return std::uniform_int_distribution<std::uint64_t>(0, below - 1)(random);
    };
    switch (pick(4)) {
        case 0: {  // flip bytes anywhere
            for (auto n = pick(4) + 1; n > 0; --n) {
                file[pick(file.size())] ^= static_cast<std::byte>(pick(255) + 1);
            }
            break;
        }
        case 1: {  // flip bytes in the headers, where most of the validation is
            const auto headers = sample.builder.sizeOfHeaders();
            for (auto n = pick(3) + 1; n > 0; --n) {
                file[pick(headers)] ^= static_cast<std::byte>(pick(255) + 1);
            }
            break;
        }
        case 2: {  // flip bytes in the import, export and relocation tables
            const auto begin = *sample.builder.fileOffsetOf(sample.imports.directoryRva);
            const auto end = static_cast<std::uint32_t>(file.size());
            for (auto n = pick(3) + 1; n > 0; --n) {
                file[begin + pick(end - begin)] ^= static_cast<std::byte>(pick(255) + 1);
            }
            break;
        }
        default:  // truncate
            file.resize(pick(file.size()));
            break;
    }
    return file;
}

TEST(PeFuzz, RandomDamageNeverCrashes) {
    const test::SampleImage sample = test::makeSampleImage();
    std::mt19937 random(kSeed);
    int accepted = 0;
    for (int i = 0; i < kIterations; ++i) {
        const std::vector<std::byte> file = mutate(sample.file, random, sample);
        auto image = PeImage::parse(file);
        if (image) {
            ++accepted;
            exercise(*image);
        } else {
            EXPECT_FALSE(image.error().message.empty());
            EXPECT_EQ(image.error().message.find('\n'), std::string::npos);
        }
        if (HasFailure()) {
            FAIL() << "iteration " << i;
        }
    }
    // Both outcomes must occur, or the test is not exercising what it claims to.
    EXPECT_GT(accepted, kIterations / 20);
    EXPECT_LT(accepted, kIterations);
}

TEST(PeFuzz, EveryTruncationIsRejected) {
    const test::SampleImage sample = test::makeSampleImage();
    for (std::size_t size = 0; size < sample.file.size(); ++size) {
        std::vector<std::byte> file(sample.file.begin(),
                                    sample.file.begin() + static_cast<std::ptrdiff_t>(size));
        EXPECT_FALSE(PeImage::parse(file).has_value()) << "size " << size;
    }
}

}  // namespace
}  // namespace ntoy::ldr
