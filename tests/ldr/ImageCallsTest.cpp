// The loader's system calls (kernel/ldr/ImageCalls.cpp) as ntdll calls them: arguments in
// user memory, results written back, statuses for every refusal.
#include <gtest/gtest.h>

#include <cstring>

#include "kernel/ke/SystemCall.h"
#include "ntoy/mapped_images.h"
#include "tests/kernel/fakes/GuestView.h"
#include "tests/kernel/fakes/SystemCallHarness.h"
#include "tests/ldr/LoaderFixture.h"

namespace ntoy::ldr::test {
namespace {

constexpr std::uint64_t kScratch = 0x7000'0000;  // four committed pages of arguments
constexpr std::uint64_t kNameString = kScratch;  // a UNICODE_STRING
constexpr std::uint64_t kNameText = kScratch + 0x100;
constexpr std::uint64_t kBaseOut = kScratch + 0x800;
constexpr std::uint64_t kLengthOut = kScratch + 0x808;
constexpr std::uint64_t kBuffer = kScratch + 0x1000;  // three pages
constexpr std::uint64_t kCurrentProcess = ob::kCurrentProcess.value();

class ImageCallsTest : public LoaderFixture {
protected:
    ImageCallsTest() {
        writeSystemDlls();
        writeImage(
            app() / "prog.exe",
            returnZeroExe({{"kernel32.dll", {ImportSymbolSpec::byName("ExitProcess")}}}).build());
        auto exe = loadExe(app() / "prog.exe");
        EXPECT_TRUE(exe) << exe.error().message;
        auto& space = process_->space();
        space.reserve(VirtualAddress(kScratch), 4, mm::page::kReadWrite, mm::VadType::Private);
        (void)space.commit(VirtualAddress(kScratch), VirtualAddress(kScratch + 4 * kPageSize),
                           *mm::MmProtection::fromWin32(mm::page::kReadWrite));
    }

    ntoy::test::GuestView guest() { return ntoy::test::GuestView(process_->space()); }

    // NtMapImage(&name, &base) with NAME as a UNICODE_STRING of LENGTH bytes (default: all).
    NtStatus mapImage(std::u16string_view name, std::optional<std::uint16_t> length = {}) {
        for (std::size_t i = 0; i < name.size(); ++i)
            EXPECT_TRUE(guest().poke(VirtualAddress(kNameText + 2 * i), name[i]));
        const std::uint16_t bytes = length.value_or(static_cast<std::uint16_t>(name.size() * 2));
        EXPECT_TRUE(guest().poke(VirtualAddress(kNameString), bytes));
        EXPECT_TRUE(guest().poke(VirtualAddress(kNameString + 2), bytes));
        EXPECT_TRUE(guest().poke(VirtualAddress(kNameString + 8), kNameText));
        EXPECT_TRUE(guest().poke(VirtualAddress(kBaseOut), std::uint64_t{0}));
        return harness_.call(ke::NtMapImage, {kNameString, kBaseOut});
    }
    std::uint64_t mappedBase() { return *guest().peek<std::uint64_t>(VirtualAddress(kBaseOut)); }

    struct Record {
        NTOY_MAPPED_IMAGE fixed;
        std::vector<std::uint64_t> bindings;
        std::u16string path;
    };
    // NtQueryMappedImages(after, buffer, length, &returnLength); the records on success.
    NtStatus query(std::uint32_t after, std::uint32_t length,
                   std::vector<Record>* records = nullptr, std::uint64_t buffer = kBuffer) {
        const NtStatus status =
            harness_.call(ke::NtQueryMappedImages, {after, buffer, length, kLengthOut});
        if (status != NtStatus::Success || records == nullptr)
            return status;
        std::uint64_t at = kBuffer;
        for (;;) {
            Record r;
            std::vector<std::byte> bytes(returnLength());
            for (std::size_t i = 0; i < bytes.size(); ++i)
                bytes[i] = *guest().peek<std::byte>(VirtualAddress(kBuffer + i));
            const std::byte* record = bytes.data() + (at - kBuffer);
            std::memcpy(&r.fixed, record, sizeof r.fixed);
            // (memcpy must not be given an empty vector's null data, even for 0 bytes.)
            r.bindings.resize(r.fixed.BindingCount);
            if (!r.bindings.empty())
                std::memcpy(r.bindings.data(), record + NTOY_MAPPED_IMAGE_BINDINGS_OFFSET,
                            r.bindings.size() * 8);
            r.path.resize(r.fixed.PathLength / 2);
            if (!r.path.empty())
                std::memcpy(r.path.data(), record + r.fixed.PathOffset, r.fixed.PathLength);
            records->push_back(r);
            if (r.fixed.NextEntryOffset == 0)
                break;
            at += r.fixed.NextEntryOffset;
        }
        return status;
    }
    std::uint32_t returnLength() {
        return *guest().peek<std::uint32_t>(VirtualAddress(kLengthOut));
    }

    static std::u16string widen(const std::string& s) { return {s.begin(), s.end()}; }

    ntoy::test::SystemCallHarness harness_{*process_};
};

TEST_F(ImageCallsTest, QueryDescribesEveryImageInMappingOrder) {
    std::vector<Record> records;
    ASSERT_EQ(query(0, 3 * kPageSize, &records), NtStatus::Success);
    ASSERT_EQ(records.size(), 3u);
    const char* names[] = {"prog.exe", "ntdll.dll", "kernel32.dll"};
    for (std::size_t i = 0; i < 3; ++i) {
        const ps::LoadedImage& m = *image(names[i]);
        EXPECT_EQ(records[i].fixed.Serial, m.serial);
        EXPECT_EQ(records[i].fixed.ImageBase, m.base.value());
        EXPECT_EQ(records[i].fixed.SizeOfImage, m.size);
        // The guest's paths, never the host's: the executable (outside any file root here) at
        // the root, the system DLLs in System32.
        EXPECT_EQ(records[i].path, widen(m.guestPath));
        EXPECT_EQ(m.guestPath, std::string(i == 0 ? "C:\\" : "C:\\Windows\\System32\\") + names[i]);
        EXPECT_EQ(records[i].path.substr(records[i].fixed.FileNameOffset / 2), widen(names[i]));
        EXPECT_EQ(records[i].fixed.PathOffset % 2, 0u);
    }
    EXPECT_EQ(records[0].bindings, std::vector{image("kernel32.dll")->base.value()});
    EXPECT_EQ(records[2].bindings, std::vector{image("ntdll.dll")->base.value()});
    EXPECT_EQ(returnLength() % 8, 0u);
}

TEST_F(ImageCallsTest, QueryTakesOnlyImagesAfterASerialAndSaysHowMuchRoomItNeeds) {
    std::vector<Record> records;
    ASSERT_EQ(query(2, 3 * kPageSize, &records), NtStatus::Success);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].fixed.Serial, 3u);

    ASSERT_EQ(query(3, 0), NtStatus::Success);  // nothing new: nothing written, no room needed
    EXPECT_EQ(returnLength(), 0u);
    EXPECT_EQ(query(0, 0, nullptr, 0), NtStatus::InfoLengthMismatch);
    const std::uint32_t needed = returnLength();
    EXPECT_GT(needed, 3u * NTOY_MAPPED_IMAGE_BINDINGS_OFFSET);
    EXPECT_EQ(query(0, needed - 1), NtStatus::InfoLengthMismatch);
    EXPECT_EQ(query(0, needed), NtStatus::Success);
    // A buffer that runs into unwritable memory.
    EXPECT_EQ(query(0, needed, nullptr, kScratch + 4 * kPageSize - 8), NtStatus::AccessViolation);
}

TEST_F(ImageCallsTest, MapImageMapsTheDllWithItsImports) {
    writeImage(app() / "dep.dll", dllExporting("dep.dll", {"D"}, {}, 0x10000000).build());
    writeImage(
        app() / "lib.dll",
        dllExporting("lib.dll", {"L"}, {{"dep.dll", {ImportSymbolSpec::byName("D")}}}, 0x10100000)
            .build());
    ASSERT_EQ(mapImage(u"LIB.dll"), NtStatus::Success);
    EXPECT_EQ(mappedBase(), 0x10100000u);
    std::vector<Record> records;
    ASSERT_EQ(query(3, 3 * kPageSize, &records), NtStatus::Success);
    ASSERT_EQ(records.size(), 2u);  // lib.dll, then dep.dll
    EXPECT_EQ(records[0].fixed.ImageBase, 0x10100000u);
    EXPECT_EQ(records[0].bindings, std::vector<std::uint64_t>{0x10000000});
    EXPECT_EQ(records[1].fixed.ImageBase, 0x10000000u);
    // Mapped already: the same base.
    ASSERT_EQ(mapImage(u"lib.dll"), NtStatus::Success);
    EXPECT_EQ(mappedBase(), 0x10100000u);
    EXPECT_EQ(query(5, 0), NtStatus::Success);
}

TEST_F(ImageCallsTest, MapImageRefusals) {
    writeImage(outside() / "evil.dll", dllExporting("evil.dll", {"Anything"}).build());
    EXPECT_EQ(mapImage(u"absent.dll"), NtStatus::DllNotFound);
    EXPECT_EQ(mapImage(u"../outside/evil.dll"), NtStatus::DllNotFound);
    EXPECT_EQ(mapImage(widen((outside() / "evil.dll").string())), NtStatus::DllNotFound);
    EXPECT_EQ(mapImage(u"evil\u00e4.dll"), NtStatus::DllNotFound);
    EXPECT_EQ(mapImage(u""), NtStatus::DllNotFound);
    EXPECT_EQ(mapImage(u"odd.dll", 3), NtStatus::InvalidParameter);
    EXPECT_EQ(image("evil.dll"), nullptr);
    EXPECT_EQ(mappedBase(), 0u);
    // Bad pointers: the string, its text, the result.
    EXPECT_EQ(mapImage(u"absent.dll"), NtStatus::DllNotFound);  // a well-formed string again
    EXPECT_EQ(harness_.call(ke::NtMapImage, {0, kBaseOut}), NtStatus::AccessViolation);
    EXPECT_EQ(harness_.call(ke::NtMapImage, {kNameString, mm::kKernelWindowBase}),
              NtStatus::AccessViolation);
    EXPECT_TRUE(guest().poke(VirtualAddress(kNameString + 8), std::uint64_t{0x10}));
    EXPECT_EQ(harness_.call(ke::NtMapImage, {kNameString, kBaseOut}), NtStatus::AccessViolation);

    writeImage(app() / "bad.dll", bytesOf("MZ not really"));
    EXPECT_EQ(mapImage(u"bad.dll"), NtStatus::InvalidImageFormat);
    writeImage(
        app() / "needs.dll",
        dllExporting("needs.dll", {"N"}, {{"kernel32.dll", {ImportSymbolSpec::byName("Nope")}}})
            .build());
    EXPECT_EQ(mapImage(u"needs.dll"), NtStatus::EntrypointNotFound);
    EXPECT_EQ(image("needs.dll"), nullptr);
}

TEST_F(ImageCallsTest, UnmapViewOfSection) {
    writeImage(app() / "lib.dll", dllExporting("lib.dll", {"L"}, {}, 0x10000000).build());
    ASSERT_EQ(mapImage(u"lib.dll"), NtStatus::Success);
    EXPECT_EQ(harness_.call(ke::NtUnmapViewOfSection, {0x1234, 0x10000000}),
              NtStatus::InvalidHandle);
    EXPECT_EQ(harness_.call(ke::NtUnmapViewOfSection, {kCurrentProcess, kScratch}),
              NtStatus::NotMappedView);
    EXPECT_EQ(harness_.call(ke::NtUnmapViewOfSection, {kCurrentProcess, 0x10000010}),
              NtStatus::Success);
    EXPECT_EQ(image("lib.dll"), nullptr);
    EXPECT_EQ(harness_.call(ke::NtUnmapViewOfSection, {kCurrentProcess, 0x10000000}),
              NtStatus::NotMappedView);
}

}  // namespace
}  // namespace ntoy::ldr::test
