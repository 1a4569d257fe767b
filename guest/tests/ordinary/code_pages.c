/* Code pages as Windows documents them for an en-US system: GetACP/GetOEMCP, GetCPInfo,
 * IsValidCodePage, IsDBCSLeadByte(Ex), and MultiByteToWideChar/WideCharToMultiByte for
 * CP_ACP (1252), CP_OEMCP (437) and CP_UTF8: tables, sizes, default characters and errors. */
#include <windows.h>

#include "../framework/ntoy_test.h"

static void test_code_page_identity(void) {
    CHECK_DEC("GetACP is 1252", GetACP(), 1252);
    CHECK_DEC("GetOEMCP is 437", GetOEMCP(), 437);
    CHECK_TRUE("IsValidCodePage(1252)", IsValidCodePage(1252));
    CHECK_TRUE("IsValidCodePage(437)", IsValidCodePage(437));
    CHECK_TRUE("IsValidCodePage(CP_UTF8)", IsValidCodePage(CP_UTF8));
    CHECK_TRUE("IsValidCodePage(12345) is FALSE", !IsValidCodePage(12345));

    CPINFO info;
    CHECK_TRUE("GetCPInfo(CP_ACP)", GetCPInfo(CP_ACP, &info));
    CHECK_DEC("GetCPInfo(CP_ACP): MaxCharSize 1", info.MaxCharSize, 1);
    CHECK_DEC("GetCPInfo(CP_ACP): DefaultChar '?'", info.DefaultChar[0], '?');
    CHECK_DEC("GetCPInfo(CP_ACP): no lead bytes", info.LeadByte[0], 0);
    CHECK_TRUE("GetCPInfo(CP_OEMCP)", GetCPInfo(CP_OEMCP, &info));
    CHECK_DEC("GetCPInfo(CP_OEMCP): MaxCharSize 1", info.MaxCharSize, 1);
    CHECK_TRUE("GetCPInfo(CP_UTF8)", GetCPInfo(CP_UTF8, &info));
    CHECK_DEC("GetCPInfo(CP_UTF8): MaxCharSize 4", info.MaxCharSize, 4);
    SetLastError(0);
    CHECK_TRUE("GetCPInfo(12345) fails", !GetCPInfo(12345, &info));
    CHECK_DEC("GetCPInfo(12345): ERROR_INVALID_PARAMETER", GetLastError(), 87);

    CHECK_TRUE("IsDBCSLeadByte(0x81) is FALSE", !IsDBCSLeadByte(0x81));
    CHECK_TRUE("IsDBCSLeadByteEx(1252, 0x81) is FALSE", !IsDBCSLeadByteEx(1252, 0x81));
    CHECK_TRUE("IsDBCSLeadByteEx(CP_UTF8, 0xE0) is FALSE", !IsDBCSLeadByteEx(CP_UTF8, 0xE0));
}

static void test_ansi(void) {
    WCHAR wide[16];
    const char bytes[] = "\x80\x81\x9f\xe9\x41";
    int n = MultiByteToWideChar(CP_ACP, 0, bytes, 5, wide, 16);
    CHECK_DEC("1252 to UTF-16: 5 characters", n, 5);
    CHECK_EQ("1252 0x80 is the euro sign", wide[0], 0x20AC);
    CHECK_EQ("1252 0x81 is U+0081", wide[1], 0x0081);
    CHECK_EQ("1252 0x9F is U+0178", wide[2], 0x0178);
    CHECK_EQ("1252 0xE9 is U+00E9", wide[3], 0x00E9);
    CHECK_EQ("1252 0x41 is U+0041", wide[4], 0x0041);

    char narrow[16];
    BOOL used = TRUE;
    const WCHAR text[] = {0x20AC, 0x0153, 0x00FF, 0x4E00, 0};
    n = WideCharToMultiByte(CP_ACP, 0, text, -1, narrow, 16, NULL, &used);
    CHECK_DEC("UTF-16 to 1252 with -1: the NUL counts", n, 5);
    CHECK_EQ("U+20AC to 1252 0x80", (BYTE)narrow[0], 0x80);
    CHECK_EQ("U+0153 to 1252 0x9C", (BYTE)narrow[1], 0x9C);
    CHECK_EQ("U+00FF to 1252 0xFF", (BYTE)narrow[2], 0xFF);
    CHECK_EQ("U+4E00 to 1252: the default '?'", (BYTE)narrow[3], '?');
    CHECK_EQ("UTF-16 to 1252 with -1: NUL written", (BYTE)narrow[4], 0);
    CHECK_TRUE("lpUsedDefaultChar set", used);
    used = TRUE;
    n = WideCharToMultiByte(CP_ACP, 0, text, 3, narrow, 16, "#", &used);
    CHECK_DEC("mappable only: 3 bytes", n, 3);
    CHECK_TRUE("mappable only: lpUsedDefaultChar cleared", !used);
    n = WideCharToMultiByte(CP_ACP, 0, text + 3, 1, narrow, 16, "#", &used);
    CHECK_EQ("lpDefaultChar is used", (BYTE)narrow[0], '#');

    CHECK_DEC("size query: cbMultiByte 0",
              WideCharToMultiByte(CP_ACP, 0, text, -1, NULL, 0, NULL, NULL), 5);
    CHECK_DEC("size query: cchWideChar 0", MultiByteToWideChar(CP_ACP, 0, "abc", -1, NULL, 0), 4);
    SetLastError(0);
    CHECK_DEC("too small a buffer fails", MultiByteToWideChar(CP_ACP, 0, "abc", -1, wide, 2), 0);
    CHECK_DEC("too small: ERROR_INSUFFICIENT_BUFFER", GetLastError(), 122);
    SetLastError(0);
    CHECK_DEC("too small a byte buffer fails",
              WideCharToMultiByte(CP_ACP, 0, text, -1, narrow, 2, NULL, NULL), 0);
    CHECK_DEC("too small bytes: ERROR_INSUFFICIENT_BUFFER", GetLastError(), 122);
    SetLastError(0);
    CHECK_DEC("cbMultiByte 0 fails", MultiByteToWideChar(CP_ACP, 0, "abc", 0, wide, 16), 0);
    CHECK_DEC("cbMultiByte 0: ERROR_INVALID_PARAMETER", GetLastError(), 87);
    SetLastError(0);
    CHECK_DEC("NULL source fails", MultiByteToWideChar(CP_ACP, 0, NULL, 3, wide, 16), 0);
    CHECK_DEC("NULL source: ERROR_INVALID_PARAMETER", GetLastError(), 87);
    SetLastError(0);
    CHECK_DEC("unknown code page fails", MultiByteToWideChar(12345, 0, "a", 1, wide, 16), 0);
    CHECK_DEC("unknown code page: ERROR_INVALID_PARAMETER", GetLastError(), 87);
    n = MultiByteToWideChar(CP_THREAD_ACP, 0, "\x80", 1, wide, 16);
    CHECK_EQ("CP_THREAD_ACP is 1252", n == 1 ? wide[0] : 0, 0x20AC);
}

static void test_oem(void) {
    WCHAR wide[4];
    int n = MultiByteToWideChar(CP_OEMCP, 0, "\x80\xb0\xe1", 3, wide, 4);
    CHECK_DEC("437 to UTF-16: 3 characters", n, 3);
    CHECK_EQ("437 0x80 is U+00C7", wide[0], 0x00C7);
    CHECK_EQ("437 0xB0 is U+2591", wide[1], 0x2591);
    CHECK_EQ("437 0xE1 is U+00DF", wide[2], 0x00DF);
    n = MultiByteToWideChar(437, MB_USEGLYPHCHARS, "\x01", 1, wide, 4);
    CHECK_EQ("437 0x01 with MB_USEGLYPHCHARS is U+263A", n == 1 ? wide[0] : 0, 0x263A);
    char narrow[4];
    const WCHAR text[] = {0x2591, 0x00E9};
    n = WideCharToMultiByte(437, 0, text, 2, narrow, 4, NULL, NULL);
    CHECK_DEC("UTF-16 to 437: 2 bytes", n, 2);
    CHECK_EQ("U+2591 to 437 0xB0", (BYTE)narrow[0], 0xB0);
    CHECK_EQ("U+00E9 to 437 0x82", (BYTE)narrow[1], 0x82);
}

static void test_utf8(void) {
    WCHAR wide[16];
    int n = MultiByteToWideChar(CP_UTF8, 0, "h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", -1, wide, 16);
    CHECK_DEC("UTF-8 to UTF-16: 6 units with the NUL", n, 6);
    CHECK_EQ("UTF-8: h", wide[0], 'h');
    CHECK_EQ("UTF-8: U+00E9", wide[1], 0x00E9);
    CHECK_EQ("UTF-8: U+20AC", wide[2], 0x20AC);
    CHECK_EQ("UTF-8: U+1F600 high surrogate", wide[3], 0xD83D);
    CHECK_EQ("UTF-8: U+1F600 low surrogate", wide[4], 0xDE00);

    n = MultiByteToWideChar(CP_UTF8, 0,
                            "a\xff"
                            "b",
                            3, wide, 16);
    CHECK_DEC("UTF-8 invalid byte: 3 units", n, 3);
    CHECK_EQ("UTF-8 invalid byte becomes U+FFFD", wide[1], 0xFFFD);
    n = MultiByteToWideChar(CP_UTF8, 0, "\xc3", 1, wide, 16);
    CHECK_EQ("UTF-8 truncated sequence becomes one U+FFFD", n == 1 ? wide[0] : 0, 0xFFFD);
    SetLastError(0);
    CHECK_DEC("MB_ERR_INVALID_CHARS: invalid byte fails",
              MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, "a\xff", 2, wide, 16), 0);
    CHECK_DEC("MB_ERR_INVALID_CHARS: ERROR_NO_UNICODE_TRANSLATION", GetLastError(), 1113);
    SetLastError(0);
    CHECK_DEC("MB_ERR_INVALID_CHARS: encoded surrogate fails",
              MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, "\xed\xa0\x80", 3, wide, 16), 0);
    CHECK_DEC("MB_ERR_INVALID_CHARS: overlong fails",
              MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, "\xc0\xaf", 2, wide, 16), 0);
    SetLastError(0);
    CHECK_DEC("CP_UTF8 with MB_PRECOMPOSED fails",
              MultiByteToWideChar(CP_UTF8, MB_PRECOMPOSED, "a", 1, wide, 16), 0);
    CHECK_DEC("CP_UTF8 with MB_PRECOMPOSED: ERROR_INVALID_FLAGS", GetLastError(), 1004);

    char narrow[16];
    const WCHAR text[] = {'h', 0x00E9, 0x20AC, 0xD83D, 0xDE00, 0};
    n = WideCharToMultiByte(CP_UTF8, 0, text, -1, narrow, 16, NULL, NULL);
    CHECK_DEC("UTF-16 to UTF-8: 11 bytes with the NUL", n, 11);
    CHECK_EQ("UTF-8 of U+1F600 starts F0", (BYTE)narrow[6], 0xF0);
    CHECK_EQ("UTF-8 of U+1F600 ends 80", (BYTE)narrow[9], 0x80);
    const WCHAR lone[] = {'a', 0xD800, 'b'};
    n = WideCharToMultiByte(CP_UTF8, 0, lone, 3, narrow, 16, NULL, NULL);
    CHECK_DEC("lone surrogate: 5 bytes", n, 5);
    CHECK_EQ("lone surrogate becomes EF BF BD",
             ((BYTE)narrow[1] << 16) | ((BYTE)narrow[2] << 8) | (BYTE)narrow[3], 0xEFBFBD);
    SetLastError(0);
    CHECK_DEC("WC_ERR_INVALID_CHARS: lone surrogate fails",
              WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, lone, 3, narrow, 16, NULL, NULL),
              0);
    CHECK_DEC("WC_ERR_INVALID_CHARS: ERROR_NO_UNICODE_TRANSLATION", GetLastError(), 1113);
    BOOL used;
    SetLastError(0);
    CHECK_DEC("CP_UTF8 with lpUsedDefaultChar fails",
              WideCharToMultiByte(CP_UTF8, 0, text, 1, narrow, 16, NULL, &used), 0);
    CHECK_DEC("CP_UTF8 with lpUsedDefaultChar: ERROR_INVALID_PARAMETER", GetLastError(), 87);
}

int start(void) {
    test_code_page_identity();
    test_ansi();
    test_oem();
    test_utf8();
    return test_done();
}
