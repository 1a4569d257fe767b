// The kernel's loader on real files: what it maps, in which order, what it records of each
// image, and what it refuses to open.
#include "kernel/ldr/ImageLoader.h"

#include <gtest/gtest.h>

#include "tests/ldr/LoaderFixture.h"

namespace ntoy::ldr::test {
namespace {

using ImageLoaderTest = LoaderFixture;

TEST_F(ImageLoaderTest, MapsTheExecutableThenNtdllThenItsImports) {
    writeSystemDlls();
    writeImage(
        app() / "prog.exe",
        returnZeroExe({{"KERNEL32.dll", {ImportSymbolSpec::byName("ExitProcess")}}}).build());
    auto exe = loadExe(app() / "prog.exe");
    ASSERT_TRUE(exe) << exe.error().message;

    std::vector<std::string> order;
    for (const ps::LoadedImage& m : process_->images())
        order.push_back(m.name);
    EXPECT_EQ(order, (std::vector<std::string>{"prog.exe", "ntdll.dll", "kernel32.dll"}));
    std::uint32_t serial = 0;
    for (const ps::LoadedImage& m : process_->images())
        EXPECT_EQ(m.serial, ++serial) << m.name;

    const ps::LoadedImage* ntdll = image("ntdll.dll");
    const ps::LoadedImage* kernel32 = image("kernel32.dll");
    ASSERT_TRUE(ntdll && kernel32);
    EXPECT_EQ((*exe)->bindings, std::vector{kernel32->base});
    EXPECT_EQ(kernel32->bindings, std::vector{ntdll->base});
    EXPECT_TRUE(ntdll->bindings.empty());
    EXPECT_EQ(kernel32->path, (system() / "kernel32.dll").string());
    EXPECT_EQ(imageVads(), 3u);
}

TEST_F(ImageLoaderTest, FindsDllsIgnoringCaseInTheApplicationFolderFirst) {
    writeSystemDlls();
    writeImage(app() / "Helper.DLL", dllExporting("helper.dll", {"Help"}).build());
    writeImage(system() / "helper.dll", dllExporting("helper.dll", {"Other"}).build());
    writeImage(app() / "prog.exe",
               returnZeroExe({{"HELPER.dll", {ImportSymbolSpec::byName("Help")}}}).build());
    auto exe = loadExe(app() / "prog.exe");
    ASSERT_TRUE(exe) << exe.error().message;
    const ps::LoadedImage* helper = image("Helper.DLL");
    ASSERT_TRUE(helper);
    EXPECT_EQ(helper->path, (app() / "Helper.DLL").string());
}

// Issue 8, defect 13: an import name is a file name, never a host path. Each of these names a
// valid DLL outside the image folders (or a host file); none may be opened.
TEST_F(ImageLoaderTest, RefusesImportNamesThatArePaths) {
    writeSystemDlls();
    writeImage(outside() / "evil.dll", dllExporting("evil.dll", {"Anything"}).build());
    const std::string absolute = (outside() / "evil.dll").string();
    for (const std::string& name :
         {std::string("../../outside/evil.dll"), std::string("../outside/evil.dll"), absolute,
          std::string("/etc/passwd"), std::string("..\\outside\\evil.dll"), std::string(".."),
          std::string("C:evil.dll")}) {
        SCOPED_TRACE(name);
        auto fresh = system_.createProcess();
        ASSERT_TRUE(fresh);
        process_ = std::move(fresh);
        writeImage(app() / "deep" / "prog.exe",
                   returnZeroExe({{name, {ImportSymbolSpec::byName("Anything")}}}).build());
        auto exe = loadExe(app() / "deep" / "prog.exe");
        ASSERT_FALSE(exe);
        EXPECT_EQ(exe.error().message,
                  fmt::format("imports \"{}\", which is not a DLL file name (a name only: no "
                              "path, no \"..\")",
                              name));
        EXPECT_EQ(exe.error().status, NtStatus::DllNotFound);
        EXPECT_EQ(image("evil.dll"), nullptr);
    }
}

TEST_F(ImageLoaderTest, RefusesForwardersToPaths) {
    writeSystemDlls();
    writeImage(outside() / "evil.dll", dllExporting("evil.dll", {"Anything"}).build());
    PeBuilder fwd;
    fwd.characteristics |= pe::kFileDll;
    fwd.addSection(".text", kText, bytesOf("\xC3"));
    fwd.addExportSection(
        "fwd.dll", 1,
        {{.name = "Anything", .ordinal = 1, .rva = 0, .forwarder = "../outside/evil.Anything"}});
    writeImage(app() / "fwd.dll", fwd.build());
    writeImage(app() / "prog.exe",
               returnZeroExe({{"fwd.dll", {ImportSymbolSpec::byName("Anything")}}}).build());
    auto exe = loadExe(app() / "prog.exe");
    ASSERT_FALSE(exe);
    EXPECT_EQ(exe.error().message,
              "missing import fwd.dll!Anything: forwarded to ../outside/evil.Anything: imports "
              "\"../outside/evil.dll\", which is not a DLL file name (a name only: no path, no "
              "\"..\")");
    EXPECT_EQ(image("evil.dll"), nullptr);
}

TEST_F(ImageLoaderTest, NamesAMissingDllAndWhereItLooked) {
    writeSystemDlls();
    writeImage(app() / "prog.exe",
               returnZeroExe({{"absent.dll", {ImportSymbolSpec::byName("X")}}}).build());
    auto exe = loadExe(app() / "prog.exe");
    ASSERT_FALSE(exe);
    EXPECT_EQ(exe.error().message,
              fmt::format("cannot find absent.dll (imported by prog.exe; looked in {}, {})",
                          app().string(), system().string()));
    EXPECT_EQ(exe.error().status, NtStatus::DllNotFound);
}

TEST_F(ImageLoaderTest, LoadDllMapsADllWithItsImportsAndRecordsBindings) {
    writeSystemDlls();
    writeImage(app() / "prog.exe", returnZeroExe().build());
    ASSERT_TRUE(loadExe(app() / "prog.exe"));
    writeImage(app() / "b.dll", dllExporting("b.dll", {"B"}, {}, 0x10000000).build());
    writeImage(app() / "a.dll", dllExporting("a.dll", {"A"},
                                             {{"b.dll", {ImportSymbolSpec::byName("B")}},
                                              {"kernel32.dll", {ImportSymbolSpec::byOrdinal(2)}}},
                                             0x10100000)
                                    .build());
    const std::size_t before = process_->images().size();
    ImageLoader loader(*process_);
    auto a = loader.loadDll("A.DLL");
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ((*a)->name, "a.dll");
    EXPECT_EQ((*a)->base, VirtualAddress(0x10100000));
    ASSERT_EQ(process_->images().size(), before + 3);  // a.dll, b.dll, kernel32.dll
    EXPECT_EQ((*a)->bindings, (std::vector{image("b.dll")->base, image("kernel32.dll")->base}));
    // Mapped already: the same image, nothing new.
    auto again = loader.loadDll("a.dll");
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *a);
    EXPECT_EQ(process_->images().size(), before + 3);
}

TEST_F(ImageLoaderTest, LoadDllUndoesEverythingWhenItFails) {
    writeSystemDlls();
    writeImage(app() / "prog.exe", returnZeroExe().build());
    ASSERT_TRUE(loadExe(app() / "prog.exe"));
    const std::size_t images = process_->images().size();
    const std::size_t vads = process_->space().vads().size();
    const std::uint64_t committed = process_->space().committedPages();

    writeImage(app() / "b.dll",
               dllExporting("b.dll", {"B"}, {{"kernel32.dll", {ImportSymbolSpec::byName("Nope")}}},
                            0x10000000)
                   .build());
    writeImage(
        app() / "a.dll",
        dllExporting("a.dll", {"A"}, {{"b.dll", {ImportSymbolSpec::byName("B")}}}, 0x10100000)
            .build());
    ImageLoader loader(*process_);
    auto a = loader.loadDll("a.dll");
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().status, NtStatus::EntrypointNotFound);
    EXPECT_EQ(a.error().message,
              fmt::format("{}: {}: missing import kernel32.dll!Nope", (app() / "a.dll").string(),
                          (app() / "b.dll").string()));
    EXPECT_EQ(process_->images().size(), images);
    EXPECT_EQ(process_->space().vads().size(), vads);
    EXPECT_EQ(process_->space().committedPages(), committed);

    auto ordinal = loader.loadDll("kernel32.dll");  // mapped already: fine
    ASSERT_TRUE(ordinal);
    writeImage(app() / "c.dll",
               dllExporting("c.dll", {"C"}, {{"kernel32.dll", {ImportSymbolSpec::byOrdinal(99)}}})
                   .build());
    auto c = loader.loadDll("c.dll");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().status, NtStatus::OrdinalNotFound);
}

// Issue 11: every missing import is named in one line, in import-table order, not only the
// first; the status is the first one's.
TEST_F(ImageLoaderTest, NamesEveryMissingImportAtOnce) {
    writeSystemDlls();
    writeImage(app() / "helper.dll", dllExporting("helper.dll", {"Help"}).build());
    writeImage(
        app() / "prog.exe",
        returnZeroExe(
            {{"KERNEL32.dll",
              {ImportSymbolSpec::byName("ExitProcess"), ImportSymbolSpec::byName("NopeA"),
               ImportSymbolSpec::byName("NopeB")}},
             {"helper.dll", {ImportSymbolSpec::byName("Help"), ImportSymbolSpec::byOrdinal(77)}}})
            .build());
    auto exe = loadExe(app() / "prog.exe");
    ASSERT_FALSE(exe);
    EXPECT_EQ(exe.error().status, NtStatus::EntrypointNotFound);
    EXPECT_EQ(exe.error().message,
              "missing imports: KERNEL32.dll!NopeA, KERNEL32.dll!NopeB, helper.dll!#77");
}

TEST_F(ImageLoaderTest, LoadDllRefusesNamesThatAreNotFileNames) {
    writeSystemDlls();
    writeImage(app() / "prog.exe", returnZeroExe().build());
    ASSERT_TRUE(loadExe(app() / "prog.exe"));
    writeImage(outside() / "evil.dll", dllExporting("evil.dll", {"Anything"}).build());
    ImageLoader loader(*process_);
    for (std::string_view name : {"../outside/evil.dll", "/etc/passwd", "", "."}) {
        auto dll = loader.loadDll(name);
        ASSERT_FALSE(dll) << name;
        EXPECT_EQ(dll.error().status, NtStatus::DllNotFound);
    }
    auto missing = loader.loadDll("absent.dll");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().status, NtStatus::DllNotFound);
    EXPECT_EQ(image("evil.dll"), nullptr);
}

TEST_F(ImageLoaderTest, RecordsForwarderTargetsAsBindings) {
    writeSystemDlls();
    writeImage(app() / "prog.exe", returnZeroExe().build());
    ASSERT_TRUE(loadExe(app() / "prog.exe"));
    writeImage(app() / "target.dll", dllExporting("target.dll", {"Real"}, {}, 0x10000000).build());
    PeBuilder fwd;
    fwd.characteristics |= pe::kFileDll;
    fwd.imageBase = 0x10100000;
    fwd.addSection(".text", kText, bytesOf("\xC3"));
    fwd.addExportSection(
        "fwd.dll", 1, {{.name = "Forwarded", .ordinal = 1, .rva = 0, .forwarder = "target.Real"}});
    writeImage(app() / "fwd.dll", fwd.build());
    writeImage(app() / "user.dll",
               dllExporting("user.dll", {"U"},
                            {{"fwd.dll", {ImportSymbolSpec::byName("Forwarded")}}}, 0x10200000)
                   .build());
    auto user = ImageLoader(*process_).loadDll("user.dll");
    ASSERT_TRUE(user) << user.error().message;
    EXPECT_EQ((*user)->bindings, (std::vector{image("fwd.dll")->base, image("target.dll")->base}));
}

TEST_F(ImageLoaderTest, UnmapReleasesTheImageAndItsView) {
    writeSystemDlls();
    writeImage(app() / "prog.exe", returnZeroExe().build());
    ASSERT_TRUE(loadExe(app() / "prog.exe"));
    writeImage(app() / "a.dll", dllExporting("a.dll", {"A"}, {}, 0x10000000).build());
    ImageLoader loader(*process_);
    const std::uint64_t committed = process_->space().committedPages();
    auto a = loader.loadDll("a.dll");
    ASSERT_TRUE(a);
    const std::uint32_t firstSerial = (*a)->serial;
    EXPECT_GT(process_->space().committedPages(), committed);
    EXPECT_FALSE(loader.unmap(VirtualAddress(0x20000000)));
    EXPECT_TRUE(loader.unmap(VirtualAddress(0x10000000 + 0x1234)));  // any address in the view
    EXPECT_EQ(image("a.dll"), nullptr);
    EXPECT_EQ(process_->space().findVad(VirtualAddress(0x10000000)), nullptr);
    EXPECT_EQ(process_->space().committedPages(), committed);
    // Loading it again maps it afresh, with a new serial.
    auto again = loader.loadDll("a.dll");
    ASSERT_TRUE(again);
    EXPECT_GT((*again)->serial, firstSerial);
}

}  // namespace
}  // namespace ntoy::ldr::test
