// The export directory: lookups by name and ordinal, and forwarded exports.
#include <gtest/gtest.h>

#include "kernel/ldr/PeImage.h"
#include "tests/ldr/SampleImage.h"
#include "tests/ldr/TestSupport.h"

namespace ntoy::ldr {
namespace {

using test::makeSampleImage;
using test::parseValid;
using test::SampleImage;

std::optional<std::uint32_t> rvaOf(const std::optional<ExportTarget>& target) {
    if (!target || !std::holds_alternative<ExportRva>(*target)) {
        return std::nullopt;
    }
    return std::get<ExportRva>(*target).rva;
}

std::optional<ExportForwarder> forwarderOf(const std::optional<ExportTarget>& target) {
    if (!target || !std::holds_alternative<ExportForwarder>(*target)) {
        return std::nullopt;
    }
    return std::get<ExportForwarder>(*target);
}

TEST(PeExports, ReadsTheDirectory) {
    const PeImage image = parseValid(makeSampleImage().file);
    const ExportTable& exports = image.exports();
    EXPECT_FALSE(exports.empty());
    EXPECT_EQ(exports.dllName(), "sample.dll");
    EXPECT_EQ(exports.ordinalBase(), 1u);
    // Ordinal 3 is unused, so five functions in six slots.
    ASSERT_EQ(exports.functions().size(), 5u);
    std::vector<std::uint16_t> ordinals;
    for (const auto& function : exports.functions()) {
        ordinals.push_back(function.ordinal);
    }
    EXPECT_EQ(ordinals, (std::vector<std::uint16_t>{1, 2, 4, 5, 6}));
    ASSERT_EQ(exports.names().size(), 4u);
    EXPECT_EQ(exports.names()[0].name, "AddVectoredExceptionHandler");
    EXPECT_EQ(exports.names()[0].ordinal, 5);
    EXPECT_EQ(exports.names()[3].name, "SampleFunction");
}

TEST(PeExports, FindsByExactName) {
    const SampleImage sample = makeSampleImage();
    const PeImage image = parseValid(sample.file);
    EXPECT_EQ(rvaOf(image.exportByName("SampleFunction")), sample.textRva + 0x10);
    EXPECT_EQ(rvaOf(image.exportByName("OtherFunction")), sample.textRva + 0x20);
    EXPECT_FALSE(image.exportByName("Missing").has_value());
    EXPECT_FALSE(image.exportByName("").has_value());
    EXPECT_FALSE(image.exportByName("SampleFunctio").has_value());
}

TEST(PeExports, FallsBackToCaseInsensitiveNames) {
    const SampleImage sample = makeSampleImage();
    const PeImage image = parseValid(sample.file);
    EXPECT_EQ(rvaOf(image.exportByName("samplefunction")), sample.textRva + 0x10);
    EXPECT_EQ(rvaOf(image.exportByName("OTHERFUNCTION")), sample.textRva + 0x20);
}

TEST(PeExports, ExactMatchWinsOverCaseInsensitiveMatch) {
    test::PeBuilder builder;
    builder.characteristics |= pe::kFileDll;
    const std::uint32_t text = builder.addSection(".text", test::kText, test::bytesOf("\xC3\xC3"));
    builder.addExportSection("case.dll", 1,
                             {{.name = "FOO", .ordinal = 1, .rva = text, .forwarder = {}},
                              {.name = "Foo", .ordinal = 2, .rva = text + 1, .forwarder = {}}});
    const PeImage image = parseValid(builder.build());
    EXPECT_EQ(rvaOf(image.exportByName("FOO")), text);
    EXPECT_EQ(rvaOf(image.exportByName("Foo")), text + 1);
    EXPECT_EQ(rvaOf(image.exportByName("foo")), text);  // the first in sorted order
}

TEST(PeExports, FindsByOrdinal) {
    const SampleImage sample = makeSampleImage();
    const PeImage image = parseValid(sample.file);
    EXPECT_EQ(rvaOf(image.exportByOrdinal(1)), sample.textRva + 0x10);
    EXPECT_EQ(rvaOf(image.exportByOrdinal(2)), sample.textRva + 0x20);
    EXPECT_EQ(rvaOf(image.exportByOrdinal(4)), sample.textRva + 0x28);  // has no name
    EXPECT_FALSE(image.exportByOrdinal(0).has_value());                 // below the base
    EXPECT_FALSE(image.exportByOrdinal(3).has_value());                 // unused slot
    EXPECT_FALSE(image.exportByOrdinal(7).has_value());                 // past the table
    EXPECT_FALSE(image.exportByOrdinal(0xFFFF).has_value());
}

TEST(PeExports, ReportsForwardersInsteadOfAddresses) {
    const PeImage image = parseValid(makeSampleImage().file);
    auto byName = forwarderOf(image.exportByName("AddVectoredExceptionHandler"));
    ASSERT_TRUE(byName.has_value());
    EXPECT_EQ(byName->target, "NTDLL.RtlAddVectoredExceptionHandler");
    EXPECT_EQ(byName->module(), "NTDLL");
    EXPECT_EQ(byName->symbol(), "RtlAddVectoredExceptionHandler");
    EXPECT_FALSE(byName->symbolOrdinal().has_value());
    EXPECT_EQ(forwarderOf(image.exportByOrdinal(5)), byName);

    auto byOrdinal = forwarderOf(image.exportByName("ForwardedByOrdinal"));
    ASSERT_TRUE(byOrdinal.has_value());
    EXPECT_EQ(byOrdinal->module(), "NTDLL");
    EXPECT_EQ(byOrdinal->symbol(), "#12");
    EXPECT_EQ(byOrdinal->symbolOrdinal(), 12);
}

TEST(PeExports, ForwarderSplitsAtTheLastDot) {
    const ExportForwarder forwarder{"api-ms.win.core.Function"};
    EXPECT_EQ(forwarder.module(), "api-ms.win.core");
    EXPECT_EQ(forwarder.symbol(), "Function");
    EXPECT_FALSE((ExportForwarder{"NTDLL.#65536"}.symbolOrdinal().has_value()));
    EXPECT_FALSE((ExportForwarder{"NTDLL.#1x"}.symbolOrdinal().has_value()));
}

TEST(PeExports, ImageWithoutExportsHasAnEmptyTable) {
    test::PeBuilder builder;
    builder.entryPoint = builder.addSection(".text", test::kText, test::bytesOf("\xC3"));
    const PeImage image = parseValid(builder.build());
    EXPECT_TRUE(image.exports().empty());
    EXPECT_TRUE(image.exports().dllName().empty());
    EXPECT_FALSE(image.exportByName("anything").has_value());
    EXPECT_FALSE(image.exportByOrdinal(1).has_value());
}

}  // namespace
}  // namespace ntoy::ldr
