// NtQueryDirectoryFile's masks, FsRtlIsNameInExpression's rules: the plain wildcards and the
// DOS forms FindFirstFile translates "*.txt", "?.txt" and "*." into.
#include "kernel/io/NameExpression.h"

#include <gtest/gtest.h>

#include <string>

namespace ntoy::io {
namespace {

TEST(NameExpression, StarsAndQuestionMarks) {
    EXPECT_TRUE(nameInExpression(u"*", u"anything.at.all"));
    EXPECT_TRUE(nameInExpression(u"*", u"."));
    EXPECT_TRUE(nameInExpression(u"a*c", u"abbbc"));
    EXPECT_FALSE(nameInExpression(u"a*c", u"abbbd"));
    EXPECT_TRUE(nameInExpression(u"?.txt", u"a.txt"));
    EXPECT_FALSE(nameInExpression(u"?.txt", u"ab.txt"));
    EXPECT_TRUE(nameInExpression(u"*.txt", u"a.txt.txt"));
}

TEST(NameExpression, CaseDoesNotCountForLatin1) {
    EXPECT_TRUE(nameInExpression(u"A.TXT", u"a.txt"));
    EXPECT_TRUE(nameInExpression(u"\u00C9T\u00C9", u"\u00E9t\u00E9"));  // ÉTÉ, été
    EXPECT_FALSE(nameInExpression(u"\u00F7", u"\u00D7"));               // ÷ is not ×
}

TEST(NameExpression, DosStarStopsAtTheLastDot) {
    // "*.txt" as FindFirstFile passes it.
    EXPECT_TRUE(nameInExpression(u"<.txt", u"a.txt"));
    EXPECT_TRUE(nameInExpression(u"<.txt", u"a.b.txt"));
    EXPECT_FALSE(nameInExpression(u"<.txt", u"a.txt.bak"));
}

TEST(NameExpression, DosQuestionMarkAndDot) {
    // "??.txt": one or two characters before the dot.
    EXPECT_TRUE(nameInExpression(u">>.txt", u"a.txt"));
    EXPECT_TRUE(nameInExpression(u">>.txt", u"ab.txt"));
    EXPECT_FALSE(nameInExpression(u">>.txt", u"abc.txt"));
    // "*.": names without an extension.
    EXPECT_TRUE(nameInExpression(u"<\"", u"noext"));
    EXPECT_FALSE(nameInExpression(u"<\"", u"a.txt"));
    EXPECT_TRUE(nameInExpression(u"<\"", u"."));
}

// The matcher's cost is the product of the lengths, whatever the stars: a mask of 32,767
// stars against a 255-character name that does not match ends at once.
TEST(NameExpression, HostileMasksCostTheirLength) {
    const std::u16string stars(32767, u'*');
    const std::u16string name(255, u'a');
    EXPECT_FALSE(nameInExpression(stars + u"b", name));
    EXPECT_TRUE(nameInExpression(stars, name));
}

}  // namespace
}  // namespace ntoy::io
