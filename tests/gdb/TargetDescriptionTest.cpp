#include "emulator/gdb/TargetDescription.h"

#include <gtest/gtest.h>

#include "emulator/gdb/RegisterFile.h"

namespace ntoy::gdb {
namespace {

TEST(TargetDescription, DescribesAnAmd64Target) {
    const std::string& xml = targetDescriptionXml();
    EXPECT_NE(xml.find("<architecture>i386:x86-64</architecture>"), std::string::npos);
    for (const char* feature :
         {"org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse", "org.gnu.gdb.i386.segments"})
        EXPECT_NE(xml.find(feature), std::string::npos) << feature;
    // Every type a register uses that gdb does not build in is defined.
    for (const char* type : {"id=\"i386_eflags\"", "id=\"vec128\"", "id=\"i386_mxcsr\""})
        EXPECT_NE(xml.find(type), std::string::npos) << type;
}

// The value of attribute `name` in the element starting at `at`.
std::string attribute(const std::string& xml, std::size_t at, const std::string& name) {
    const std::size_t start = xml.find(name + "=\"", at) + name.size() + 2;
    return xml.substr(start, xml.find('"', start) - start);
}

TEST(TargetDescription, ListsEveryRegisterInLayoutOrder) {
    const std::string& xml = targetDescriptionXml();
    unsigned n = 0;
    for (std::size_t at = 0; (at = xml.find("<reg ", at)) != std::string::npos; ++at, ++n) {
        ASSERT_LT(n, kRegisterCount);
        const RegisterInfo& r = RegisterFile::layout()[n];
        EXPECT_EQ(attribute(xml, at, "name"), r.name);
        EXPECT_EQ(attribute(xml, at, "bitsize"), std::to_string(r.bits)) << r.name;
        EXPECT_EQ(attribute(xml, at, "type"), r.type) << r.name;
    }
    EXPECT_EQ(n, kRegisterCount);
}

TEST(TargetDescription, IsWellNestedAndNeedsNoEscaping) {
    const std::string& xml = targetDescriptionXml();
    EXPECT_EQ(xml.find_first_of("#$}*"), std::string::npos);
    EXPECT_NE(xml.find("<target version=\"1.0\">"), std::string::npos);
    EXPECT_NE(xml.rfind("</target>"), std::string::npos);
    std::size_t open = 0, close = 0;
    for (std::size_t at = 0; (at = xml.find("<feature ", at)) != std::string::npos; ++at)
        ++open;
    for (std::size_t at = 0; (at = xml.find("</feature>", at)) != std::string::npos; ++at)
        ++close;
    EXPECT_EQ(open, 3u);
    EXPECT_EQ(close, 3u);
}

TEST(XferChunk, MarksTheLastChunk) {
    EXPECT_EQ(xferChunk("abcdef", 0, 4), "mabcd");
    EXPECT_EQ(xferChunk("abcdef", 4, 4), "lef");
    EXPECT_EQ(xferChunk("abcdef", 0, 6), "labcdef");
    EXPECT_EQ(xferChunk("abcdef", 6, 4), "l");
    EXPECT_EQ(xferChunk("abcdef", 100, 4), "l");
}

TEST(XferChunk, EscapesBinaryData) {
    EXPECT_EQ(xferChunk("a#b", 0, 10),
              "la}\x03"
              "b");
}

}  // namespace
}  // namespace ntoy::gdb
