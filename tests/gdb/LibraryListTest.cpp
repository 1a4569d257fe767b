#include "emulator/gdb/LibraryList.h"

#include <gtest/gtest.h>

namespace ntoy::gdb {
namespace {

TEST(LibraryList, OneLibraryElementPerDllWithItsSegmentAddress) {
    const std::vector<Library> libraries = {{"/images/kernel32.dll", 0x180101000},
                                            {"/a&b/<x>\"'.dll", 0x10001000}};
    EXPECT_EQ(libraryListXml(libraries),
              "<library-list>"
              "<library name=\"/images/kernel32.dll\"><segment address=\"0x180101000\"/></library>"
              "<library name=\"/a&amp;b/&lt;x&gt;&quot;&apos;.dll\"><segment "
              "address=\"0x10001000\"/></library>"
              "</library-list>");
    EXPECT_EQ(libraryListXml({}), "<library-list></library-list>");
}

}  // namespace
}  // namespace ntoy::gdb
