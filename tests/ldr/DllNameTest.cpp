#include "kernel/ldr/DllName.h"

#include <gtest/gtest.h>

#include <string>

namespace ntoy::ldr {
namespace {

TEST(DllName, AcceptsFileNames) {
    for (std::string_view name : {"kernel32.dll", "KERNEL32.DLL", "api-ms-win-core-1-1-0.dll",
                                  "my test.dll", "noext", "a", "x.y.z.dll", "..hidden.dll"})
        EXPECT_TRUE(isDllFileName(name)) << name;
    EXPECT_TRUE(isDllFileName(std::string(kMaxDllNameLength, 'a')));
}

TEST(DllName, RefusesPaths) {
    for (std::string_view name :
         {"/etc/passwd", "../../outside/evil.dll", "..\\evil.dll", "sub/x.dll", "sub\\x.dll",
          "C:x.dll", "C:\\Windows\\System32\\kernel32.dll", "\\\\server\\share\\x.dll", "x.dll/",
          "x.dll:stream"})
        EXPECT_FALSE(isDllFileName(name)) << name;
}

TEST(DllName, RefusesDirectoriesAndOddCharacters) {
    for (std::string_view name :
         {"", ".", "..", "...", "a<b.dll", "a>b", "a\"b", "a|b", "a?.dll", "*.dll", "tab\t.dll",
          "new\nline.dll", "del\x7f.dll", "latin\xE4.dll"})
        EXPECT_FALSE(isDllFileName(name)) << name;
    EXPECT_FALSE(isDllFileName(std::string_view("nul\0.dll", 8)));
    EXPECT_FALSE(isDllFileName(std::string(kMaxDllNameLength + 1, 'a')));
}

}  // namespace
}  // namespace ntoy::ldr
