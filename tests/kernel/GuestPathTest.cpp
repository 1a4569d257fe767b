// The file root's two halves against hostile names: the lexical checks of guest NT paths
// (io/GuestPath) and the confined opens beneath a host directory (io/FileRoot), the latter
// with both resolvers, openat2's and the component walk, on a tree with links that lead out.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "kernel/io/FileRoot.h"
#include "kernel/io/GuestPath.h"

namespace ntoy::io {
namespace {

namespace fs = std::filesystem;

NtStatus parseStatus(std::u16string_view path) {
    auto parsed = parseNtPath(path);
    return parsed ? NtStatus::Success : parsed.error();
}

TEST(GuestPathTest, AcceptsPathsUnderDriveC) {
    EXPECT_EQ(parseNtPath(u"\\??\\C:\\"), GuestComponents{});
    EXPECT_EQ(parseNtPath(u"\\??\\c:\\dir\\file.txt"), (GuestComponents{"dir", "file.txt"}));
    EXPECT_EQ(parseNtPath(u"\\??\\C:\\dir\\"), GuestComponents{"dir"});
    EXPECT_EQ(parseNtPath(u"\\??\\C:\\gr\u00fc\u00df \U0001F600"),
              GuestComponents{"gr\xc3\xbc\xc3\x9f \xf0\x9f\x98\x80"});
    EXPECT_EQ(parseNtPath(u"\\??\\C:\\...x"), GuestComponents{"...x"});
}

TEST(GuestPathTest, RefusesEveryWayOut) {
    // Parent references are names to NT, and never valid ones.
    EXPECT_EQ(parseStatus(u"\\??\\C:\\..\\etc\\passwd"), NtStatus::ObjectNameInvalid);
    EXPECT_EQ(parseStatus(u"\\??\\C:\\a\\..\\..\\b"), NtStatus::ObjectNameInvalid);
    EXPECT_EQ(parseStatus(u"\\??\\C:\\.\\a"), NtStatus::ObjectNameInvalid);
    EXPECT_EQ(parseStatus(u"\\??\\C:\\a\\."), NtStatus::ObjectNameInvalid);
    // Host separators and absolute host paths inside a component.
    EXPECT_EQ(parseStatus(u"\\??\\C:\\a/../../etc"), NtStatus::ObjectNameInvalid);
    EXPECT_EQ(parseStatus(u"\\??\\C:\\/etc/passwd"), NtStatus::ObjectNameInvalid);
    EXPECT_EQ(parseStatus(u"/etc/passwd"), NtStatus::ObjectPathSyntaxBad);
    EXPECT_EQ(parseStatus(u"C:\\x"), NtStatus::ObjectPathSyntaxBad);
    EXPECT_EQ(parseStatus(u""), NtStatus::ObjectPathSyntaxBad);
    // Other drives, devices, UNC, other object directories.
    EXPECT_EQ(parseStatus(u"\\??\\D:\\x"), NtStatus::ObjectPathNotFound);
    EXPECT_EQ(parseStatus(u"\\??\\NUL"), NtStatus::ObjectPathNotFound);
    EXPECT_EQ(parseStatus(u"\\??\\UNC\\server\\share\\x"), NtStatus::ObjectPathNotFound);
    EXPECT_EQ(parseStatus(u"\\Device\\HarddiskVolume1\\x"), NtStatus::ObjectPathNotFound);
    EXPECT_EQ(parseStatus(u"\\??\\C:"), NtStatus::AccessDenied);
    EXPECT_EQ(parseStatus(u"\\??\\C:x"), NtStatus::ObjectNameInvalid);
    // Streams, wildcards, empty and control characters, bad UTF-16, overlong names.
    EXPECT_EQ(parseStatus(u"\\??\\C:\\a.txt:secret"), NtStatus::ObjectNameInvalid);
    EXPECT_EQ(parseStatus(u"\\??\\C:\\a.txt::$DATA"), NtStatus::ObjectNameInvalid);
    EXPECT_EQ(parseStatus(u"\\??\\C:\\*"), NtStatus::ObjectNameInvalid);
    EXPECT_EQ(parseStatus(u"\\??\\C:\\a\\\\b"), NtStatus::ObjectNameInvalid);
    EXPECT_EQ(parseStatus(u"\\??\\C:\\\\"), NtStatus::ObjectNameInvalid);
    EXPECT_EQ(parseStatus(std::u16string(u"\\??\\C:\\a\0b", 10)), NtStatus::ObjectNameInvalid);
    EXPECT_EQ(parseStatus(u"\\??\\C:\\a\nb"), NtStatus::ObjectNameInvalid);
    EXPECT_EQ(parseStatus(std::u16string(u"\\??\\C:\\") + char16_t(0xD800)),
              NtStatus::ObjectNameInvalid);
    EXPECT_EQ(parseStatus(std::u16string(u"\\??\\C:\\") + char16_t(0xDC00) + u"x"),
              NtStatus::ObjectNameInvalid);
    EXPECT_EQ(parseStatus(u"\\??\\C:\\" + std::u16string(256, u'a')), NtStatus::ObjectNameInvalid);
    EXPECT_EQ(parseStatus(u"\\??\\C:\\" + std::u16string(255, u'a')), NtStatus::Success);
}

TEST(GuestPathTest, RelativeNamesStayUnderTheirDirectory) {
    EXPECT_EQ(parseRelativePath({"dir"}, u"a\\b"), (GuestComponents{"dir", "a", "b"}));
    EXPECT_EQ(parseRelativePath({"dir"}, u""), GuestComponents{"dir"});
    EXPECT_EQ(parseRelativePath({"dir"}, u"..\\x").error(), NtStatus::ObjectNameInvalid);
    EXPECT_EQ(parseRelativePath({"dir"}, u"\\x").error(), NtStatus::InvalidParameter);
}

TEST(GuestPathTest, DosPathsAndUtf8) {
    EXPECT_EQ(dosPath({}), "C:\\");
    EXPECT_EQ(dosPath({"a", "b"}), "C:\\a\\b");
    EXPECT_EQ(utf8ToUtf16("gr\xc3\xbc\xc3\x9f"), u"gr\u00fc\u00df");
    EXPECT_FALSE(utf8ToUtf16("\xc0\xaf"));      // overlong '/'
    EXPECT_FALSE(utf8ToUtf16("\xed\xa0\x80"));  // a surrogate
    EXPECT_FALSE(utf8ToUtf16("\xe2\x82"));      // truncated
}

// A root with a file, a subdirectory, links inside and out, and a directory outside.
class FileRootTest : public ::testing::TestWithParam<bool> {
protected:
    void SetUp() override {
        base_ = fs::temp_directory_path() /
                ("ntoy_file_root_" + std::to_string(::getpid()) + (GetParam() ? "_walk" : ""));
        fs::remove_all(base_);
        root_ = base_ / "root";
        outside_ = base_ / "outside";
        fs::create_directories(root_ / "sub");
        fs::create_directories(outside_);
        std::ofstream(root_ / "file.txt") << "inside";
        std::ofstream(outside_ / "secret.txt") << "secret";
        fs::create_symlink("file.txt", root_ / "inside_link");
        fs::create_symlink("sub/../file.txt", root_ / "inside_dotdot_link");
        fs::create_symlink(outside_, root_ / "escape");
        fs::create_symlink("../outside/secret.txt", root_ / "relative_escape");
        fs::create_symlink("sub/../../outside", root_ / "sub_escape");
        fs::create_symlink(root_ / "file.txt", root_ / "absolute_link");
        fs::create_symlink("/proc/self/root/etc/passwd", root_ / "magic_link");
        auto root = FileRoot::open(root_, GetParam());
        ASSERT_TRUE(root) << root.error();
        root_object_ = std::move(*root);
    }
    void TearDown() override { fs::remove_all(base_); }

    NtStatus openStatus(const GuestComponents& path, int flags = O_RDONLY) {
        auto fd = root_object_->openAt(path, flags);
        return fd ? NtStatus::Success : fd.error();
    }
    NtStatus parentStatus(const GuestComponents& path) {
        auto fd = root_object_->openParent(path);
        return fd ? NtStatus::Success : fd.error();
    }
    bool walks() const { return GetParam(); }

    fs::path base_, root_, outside_;
    std::shared_ptr<const FileRoot> root_object_;
};

TEST_P(FileRootTest, OpensWhatIsInside) {
    EXPECT_EQ(openStatus({"file.txt"}), NtStatus::Success);
    EXPECT_EQ(openStatus({}, O_PATH | O_DIRECTORY), NtStatus::Success);
    EXPECT_EQ(openStatus({"sub"}, O_PATH | O_DIRECTORY), NtStatus::Success);
    EXPECT_EQ(parentStatus({"sub", "new.txt"}), NtStatus::Success);
    // Links that stay inside are followed by openat2; the walk refuses every link.
    const NtStatus link = walks() ? NtStatus::AccessDenied : NtStatus::Success;
    EXPECT_EQ(openStatus({"inside_link"}), link);
    EXPECT_EQ(openStatus({"inside_dotdot_link"}), link);
}

TEST_P(FileRootTest, MissingNamesHaveWindowsStatuses) {
    EXPECT_EQ(openStatus({"missing.txt"}), NtStatus::ObjectNameNotFound);
    EXPECT_EQ(parentStatus({"missing", "x.txt"}), NtStatus::ObjectPathNotFound);
    EXPECT_EQ(parentStatus({"file.txt", "x.txt"}), NtStatus::ObjectPathNotFound);
}

TEST_P(FileRootTest, NeverLeavesTheRoot) {
    EXPECT_EQ(openStatus({"escape", "secret.txt"}), NtStatus::AccessDenied);
    EXPECT_EQ(parentStatus({"escape", "secret.txt"}), NtStatus::AccessDenied);
    EXPECT_EQ(openStatus({"escape"}, O_PATH), NtStatus::AccessDenied);
    EXPECT_EQ(openStatus({"relative_escape"}), NtStatus::AccessDenied);
    EXPECT_EQ(openStatus({"sub_escape", "secret.txt"}), NtStatus::AccessDenied);
    EXPECT_EQ(openStatus({"absolute_link"}), NtStatus::AccessDenied);
    EXPECT_EQ(openStatus({"magic_link"}), NtStatus::AccessDenied);
    // A create through a link that leads out makes nothing outside.
    EXPECT_NE(openStatus({"escape", "made.txt"}, O_CREAT | O_WRONLY), NtStatus::Success);
    EXPECT_FALSE(fs::exists(outside_ / "made.txt"));
}

TEST_P(FileRootTest, InitialDirectoryIsAGuestPath) {
    const auto saved = fs::current_path();
    fs::current_path(root_ / "sub");
    EXPECT_EQ(root_object_->initialDirectory(), "C:\\sub\\");
    fs::current_path(root_);
    EXPECT_EQ(root_object_->initialDirectory(), "C:\\");
    fs::current_path(outside_);
    EXPECT_EQ(root_object_->initialDirectory(), "C:\\");
    fs::current_path(saved);
}

// What the guest is shown for a host file (its executable's path): a DOS path under the root,
// nothing for a file outside it, however the host path is spelt.
// A host name is listed to the guest, or shown in a path, only if it is one name the guest
// could use: a backslash in a host name would read as a separator (regression: "a\\b" was
// taken as two components).
TEST(GuestName, OnlySingleUsableNames) {
    EXPECT_TRUE(isGuestName("file.txt"));
    EXPECT_TRUE(isGuestName("\xC3\xA9t\xC3\xA9"));  // "été" in UTF-8
    EXPECT_FALSE(isGuestName("a\\b"));
    EXPECT_FALSE(isGuestName("x\\"));
    EXPECT_FALSE(isGuestName("a:b"));
    EXPECT_FALSE(isGuestName("."));
    EXPECT_FALSE(isGuestName(".."));
    EXPECT_FALSE(isGuestName("\xFF"));  // not UTF-8
    EXPECT_FALSE(isGuestName(""));
}

TEST_P(FileRootTest, HostPathsBecomeDosPathsOnlyUnderTheRoot) {
    EXPECT_EQ(root_object_->dosPathOf(root_ / "sub" / "prog.exe"), "C:\\sub\\prog.exe");
    EXPECT_EQ(root_object_->dosPathOf(root_ / "sub" / ".." / "prog.exe"), "C:\\prog.exe");
    EXPECT_EQ(root_object_->dosPathOf(root_), "C:\\");
    EXPECT_EQ(root_object_->dosPathOf(outside_ / "prog.exe"), std::nullopt);
    EXPECT_EQ(root_object_->dosPathOf(root_ / "sub" / ".." / ".." / "prog.exe"), std::nullopt);
}

TEST_P(FileRootTest, ChildDirectoriesAreCheckedGuestPaths) {
    EXPECT_EQ(existingDirectory(root_object_.get(), "C:\\sub"), "C:\\sub\\");
    EXPECT_EQ(existingDirectory(root_object_.get(), "c:\\sub\\"), "C:\\sub\\");
    EXPECT_EQ(existingDirectory(root_object_.get(), "C:\\"), "C:\\");
    EXPECT_EQ(existingDirectory(root_object_.get(), "C:\\missing").error(),
              NtStatus::NotADirectory);
    EXPECT_EQ(existingDirectory(root_object_.get(), "C:\\file.txt").error(),
              NtStatus::NotADirectory);
    EXPECT_EQ(existingDirectory(root_object_.get(), "C:\\escape").error(), NtStatus::NotADirectory);
    EXPECT_EQ(existingDirectory(root_object_.get(), "C:\\..").error(), NtStatus::NotADirectory);
    EXPECT_EQ(existingDirectory(root_object_.get(), "/tmp").error(), NtStatus::NotADirectory);
    EXPECT_EQ(existingDirectory(nullptr, "C:\\").error(), NtStatus::NotADirectory);
}

INSTANTIATE_TEST_SUITE_P(Resolvers, FileRootTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "ComponentWalk" : "Beneath"; });

TEST(FileRootOpenTest, RefusesWhatIsNotADirectory) {
    EXPECT_FALSE(FileRoot::open("/nonexistent/ntoy/root"));
    EXPECT_FALSE(FileRoot::open("/etc/passwd"));
}

}  // namespace
}  // namespace ntoy::io
