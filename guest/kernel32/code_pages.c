/* Code pages: GetACP and GetOEMCP, GetCPInfo, IsValidCodePage, IsDBCSLeadByte(Ex),
 * MultiByteToWideChar and WideCharToMultiByte.
 *
 * ntoy's system locale is Windows' en-US one: the ANSI code page (CP_ACP, CP_THREAD_ACP) is
 * 1252 and the OEM code page (CP_OEMCP) 437. Those two and UTF-8 (65001) are the code pages
 * there are; any other is ERROR_INVALID_PARAMETER, and IsValidCodePage says FALSE for it.
 *
 * 1252 and 437 are single-byte and their tables are Windows' own (c_1252.nls, c_437.nls):
 * every byte maps to a character (1252's five unassigned bytes 0x81, 0x8D, 0x8F, 0x90 and 0x9D
 * to the C1 controls of the same value, as Windows maps them), and the characters that have
 * no byte become the default character ('?' unless the caller gives one). Windows' best-fit
 * mappings (U+0100 to 'A', say) are not here: such characters become the default character,
 * as they do on Windows with WC_NO_BEST_FIT_CHARS. MB_COMPOSITE and WC_COMPOSITECHECK
 * (decomposed forms) are not supported and fail with ERROR_INVALID_FLAGS.
 *
 * UTF-8 follows Windows 10: an ill-formed sequence (overlong, a surrogate, beyond U+10FFFF,
 * truncated) becomes one U+FFFD per maximal subpart, or fails with
 * ERROR_NO_UNICODE_TRANSLATION under MB_ERR_INVALID_CHARS; an unpaired surrogate in UTF-16
 * becomes U+FFFD (EF BF BD), or fails under WC_ERR_INVALID_CHARS.
 *
 * Sizes: a length of -1 means up to and including the terminating NUL, which is then
 * converted and counted; an output size of 0 asks for the size needed; an output buffer too
 * small fails with ERROR_INSUFFICIENT_BUFFER (what fit has been written). */
#include "kernel32_private.h"

#define ANSI_CODE_PAGE 1252
#define OEM_CODE_PAGE 437

/* Windows-1252 bytes 0x80-0x9F; 0xA0-0xFF are Latin-1 (U+00A0-U+00FF). */
static const WCHAR cp1252_80[32] = {0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
                                    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

/* Code page 437 bytes 0x80-0xFF. */
static const WCHAR cp437_80[128] = {
    0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7, 0x00EA, 0x00EB, 0x00E8, 0x00EF,
    0x00EE, 0x00EC, 0x00C4, 0x00C5, 0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2, 0x00FB, 0x00F9,
    0x00FF, 0x00D6, 0x00DC, 0x00A2, 0x00A3, 0x00A5, 0x20A7, 0x0192, 0x00E1, 0x00ED, 0x00F3, 0x00FA,
    0x00F1, 0x00D1, 0x00AA, 0x00BA, 0x00BF, 0x2310, 0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB,
    0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556, 0x2555, 0x2563, 0x2551, 0x2557,
    0x255D, 0x255C, 0x255B, 0x2510, 0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x255E, 0x255F,
    0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x2567, 0x2568, 0x2564, 0x2565, 0x2559,
    0x2558, 0x2552, 0x2553, 0x256B, 0x256A, 0x2518, 0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580,
    0x03B1, 0x00DF, 0x0393, 0x03C0, 0x03A3, 0x03C3, 0x00B5, 0x03C4, 0x03A6, 0x0398, 0x03A9, 0x03B4,
    0x221E, 0x03C6, 0x03B5, 0x2229, 0x2261, 0x00B1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00F7, 0x2248,
    0x00B0, 0x2219, 0x00B7, 0x221A, 0x207F, 0x00B2, 0x25A0, 0x00A0};

/* Code page 437's glyphs for 0x01-0x1F and 0x7F, which MB_USEGLYPHCHARS asks for instead of
 * the control characters (index 0 is 0x7F's). */
static const WCHAR cp437_glyphs[32] = {
    0x2302, 0x263A, 0x263B, 0x2665, 0x2666, 0x2663, 0x2660, 0x2022, 0x25D8, 0x25CB, 0x25D9,
    0x2642, 0x2640, 0x266A, 0x266B, 0x263C, 0x25BA, 0x25C4, 0x2195, 0x203C, 0x00B6, 0x00A7,
    0x25AC, 0x21A8, 0x2191, 0x2193, 0x2192, 0x2190, 0x221F, 0x2194, 0x25B2, 0x25BC};

/* The code page a CodePage argument means, or 0 for one ntoy does not have. */
static UINT resolve_code_page(UINT code_page) {
    switch (code_page) {
        case CP_ACP:
        case CP_THREAD_ACP:
        case ANSI_CODE_PAGE:
            return ANSI_CODE_PAGE;
        case CP_OEMCP:
        case OEM_CODE_PAGE:
            return OEM_CODE_PAGE;
        case CP_UTF8:
            return CP_UTF8;
        default:
            return 0;
    }
}

static WCHAR single_byte_to_wide(UINT code_page, BYTE byte, BOOL glyphs) {
    if (code_page == OEM_CODE_PAGE) {
        if (glyphs && byte != 0 && byte < 0x20) {
            return cp437_glyphs[byte];
        }
        if (glyphs && byte == 0x7F) {
            return cp437_glyphs[0];
        }
        return byte < 0x80 ? byte : cp437_80[byte - 0x80];
    }
    return byte >= 0x80 && byte < 0xA0 ? cp1252_80[byte - 0x80] : byte;
}

/* The byte for CHARACTER, or -1 when the code page has none. */
static int wide_to_single_byte(UINT code_page, WCHAR character) {
    if (character < 0x80) {
        return character;
    }
    if (code_page == OEM_CODE_PAGE) {
        for (int i = 0; i < 128; ++i) {
            if (cp437_80[i] == character) {
                return 0x80 + i;
            }
        }
        return -1;
    }
    if (character >= 0xA0 && character <= 0xFF) {
        return character;
    }
    for (int i = 0; i < 32; ++i) {
        if (cp1252_80[i] == character) {
            return 0x80 + i;
        }
    }
    return -1;
}

UINT GetACP(VOID) {
    return ANSI_CODE_PAGE;
}

UINT GetOEMCP(VOID) {
    return OEM_CODE_PAGE;
}

BOOL IsValidCodePage(UINT CodePage) {
    return CodePage == ANSI_CODE_PAGE || CodePage == OEM_CODE_PAGE || CodePage == CP_UTF8;
}

BOOL GetCPInfo(UINT CodePage, LPCPINFO lpCPInfo) {
    UINT code_page = resolve_code_page(CodePage);
    if (code_page == 0 || lpCPInfo == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    lpCPInfo->MaxCharSize = code_page == CP_UTF8 ? 4 : 1;
    lpCPInfo->DefaultChar[0] = '?';
    lpCPInfo->DefaultChar[1] = 0;
    for (int i = 0; i < MAX_LEADBYTES; ++i) {
        lpCPInfo->LeadByte[i] = 0;
    }
    return TRUE;
}

/* No code page ntoy has is a double-byte one. */
BOOL IsDBCSLeadByteEx(UINT CodePage, BYTE TestChar) {
    (void)TestChar;
    if (resolve_code_page(CodePage) == 0) {
        SetLastError(ERROR_INVALID_PARAMETER);
    }
    return FALSE;
}

BOOL IsDBCSLeadByte(BYTE TestChar) {
    return IsDBCSLeadByteEx(CP_ACP, TestChar);
}

/* ---- UTF-8 -------------------------------------------------------------------------------- */

/* Decodes one character from TEXT (LENGTH bytes left, at least 1) into *CODE, returning the
 * bytes it takes. An ill-formed sequence yields U+FFFD for its maximal subpart (the longest
 * prefix of a well-formed sequence, at least one byte) and sets *BAD. */
static int decode_utf8(const BYTE* text, int length, ULONG* code, BOOL* bad) {
    BYTE lead = text[0];
    if (lead < 0x80) {
        *code = lead;
        return 1;
    }
    int needed;
    ULONG value;
    BYTE low = 0x80, high = 0xBF; /* the range of the second byte */
    if (lead >= 0xC2 && lead <= 0xDF) {
        needed = 1;
        value = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        needed = 2;
        value = lead & 0x0F;
        if (lead == 0xE0) {
            low = 0xA0; /* no overlongs */
        } else if (lead == 0xED) {
            high = 0x9F; /* no surrogates */
        }
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        needed = 3;
        value = lead & 0x07;
        if (lead == 0xF0) {
            low = 0x90;
        } else if (lead == 0xF4) {
            high = 0x8F; /* nothing past U+10FFFF */
        }
    } else {
        *code = 0xFFFD;
        *bad = TRUE;
        return 1;
    }
    int used = 1;
    for (int i = 0; i < needed; ++i, ++used) {
        if (used >= length) {
            *code = 0xFFFD;
            *bad = TRUE;
            return used;
        }
        BYTE next = text[used];
        BYTE min = i == 0 ? low : 0x80, max = i == 0 ? high : 0xBF;
        if (next < min || next > max) {
            *code = 0xFFFD;
            *bad = TRUE;
            return used;
        }
        value = (value << 6) | (next & 0x3F);
    }
    *code = value;
    return used;
}

/* ---- MultiByteToWideChar ------------------------------------------------------------------ */

int MultiByteToWideChar(UINT CodePage, DWORD dwFlags, LPCCH lpMultiByteStr, int cbMultiByte,
                        LPWSTR lpWideCharStr, int cchWideChar) {
    if (lpMultiByteStr == NULL || cbMultiByte == 0 || cbMultiByte < -1 || cchWideChar < 0 ||
        (cchWideChar != 0 && lpWideCharStr == NULL) ||
        (cchWideChar != 0 && (const void*)lpMultiByteStr == (const void*)lpWideCharStr)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return 0;
    }
    UINT code_page = resolve_code_page(CodePage);
    if (code_page == 0) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return 0;
    }
    if (code_page == CP_UTF8
            ? (dwFlags & ~MB_ERR_INVALID_CHARS) != 0
            : (dwFlags & ~(MB_PRECOMPOSED | MB_USEGLYPHCHARS | MB_ERR_INVALID_CHARS)) != 0) {
        SetLastError(ERROR_INVALID_FLAGS);
        return 0;
    }
    int length = cbMultiByte;
    if (length == -1) {
        length = 0;
        while (lpMultiByteStr[length] != '\0') {
            ++length;
        }
        ++length; /* the NUL too */
    }
    const BYTE* text = (const BYTE*)lpMultiByteStr;
    int written = 0;
    BOOL bad = FALSE;
    for (int i = 0; i < length;) {
        WCHAR units[2];
        int count = 1;
        if (code_page == CP_UTF8) {
            ULONG code;
            i += decode_utf8(text + i, length - i, &code, &bad);
            if (code >= 0x10000) {
                code -= 0x10000;
                units[0] = (WCHAR)(0xD800 + (code >> 10));
                units[1] = (WCHAR)(0xDC00 + (code & 0x3FF));
                count = 2;
            } else {
                units[0] = (WCHAR)code;
            }
        } else {
            units[0] = single_byte_to_wide(code_page, text[i++], (dwFlags & MB_USEGLYPHCHARS) != 0);
        }
        if (cchWideChar != 0) {
            for (int u = 0; u < count; ++u) {
                if (written + u >= cchWideChar) {
                    SetLastError(ERROR_INSUFFICIENT_BUFFER);
                    return 0;
                }
                lpWideCharStr[written + u] = units[u];
            }
        }
        written += count;
    }
    if (bad && (dwFlags & MB_ERR_INVALID_CHARS)) {
        SetLastError(ERROR_NO_UNICODE_TRANSLATION);
        return 0;
    }
    return written;
}

/* ---- WideCharToMultiByte ------------------------------------------------------------------ */

int WideCharToMultiByte(UINT CodePage, DWORD dwFlags, LPCWCH lpWideCharStr, int cchWideChar,
                        LPSTR lpMultiByteStr, int cbMultiByte, LPCCH lpDefaultChar,
                        LPBOOL lpUsedDefaultChar) {
    if (lpWideCharStr == NULL || cchWideChar == 0 || cchWideChar < -1 || cbMultiByte < 0 ||
        (cbMultiByte != 0 && lpMultiByteStr == NULL) ||
        (cbMultiByte != 0 && (const void*)lpWideCharStr == (const void*)lpMultiByteStr)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return 0;
    }
    UINT code_page = resolve_code_page(CodePage);
    if (code_page == 0) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return 0;
    }
    if (code_page == CP_UTF8) {
        /* UTF-8 has a byte sequence for everything: no default character to use or report. */
        if (lpDefaultChar != NULL || lpUsedDefaultChar != NULL) {
            SetLastError(ERROR_INVALID_PARAMETER);
            return 0;
        }
        if (dwFlags & ~WC_ERR_INVALID_CHARS) {
            SetLastError(ERROR_INVALID_FLAGS);
            return 0;
        }
    } else if (dwFlags & ~(WC_DISCARDNS | WC_SEPCHARS | WC_DEFAULTCHAR | WC_NO_BEST_FIT_CHARS)) {
        SetLastError(ERROR_INVALID_FLAGS);
        return 0;
    }
    int length = cchWideChar;
    if (length == -1) {
        length = 0;
        while (lpWideCharStr[length] != L'\0') {
            ++length;
        }
        ++length;
    }
    BYTE default_char = lpDefaultChar != NULL ? (BYTE)*lpDefaultChar : (BYTE)'?';
    BOOL used_default = FALSE, bad = FALSE;
    int written = 0;
    for (int i = 0; i < length;) {
        BYTE bytes[4];
        int count = 1;
        WCHAR unit = lpWideCharStr[i++];
        if (code_page == CP_UTF8) {
            ULONG code = unit;
            if (unit >= 0xD800 && unit <= 0xDBFF && i < length && lpWideCharStr[i] >= 0xDC00 &&
                lpWideCharStr[i] <= 0xDFFF) {
                code = 0x10000 + (((ULONG)unit - 0xD800) << 10) + (lpWideCharStr[i++] - 0xDC00);
            } else if (unit >= 0xD800 && unit <= 0xDFFF) {
                code = 0xFFFD;
                bad = TRUE;
            }
            if (code < 0x80) {
                bytes[0] = (BYTE)code;
            } else if (code < 0x800) {
                bytes[0] = (BYTE)(0xC0 | (code >> 6));
                bytes[1] = (BYTE)(0x80 | (code & 0x3F));
                count = 2;
            } else if (code < 0x10000) {
                bytes[0] = (BYTE)(0xE0 | (code >> 12));
                bytes[1] = (BYTE)(0x80 | ((code >> 6) & 0x3F));
                bytes[2] = (BYTE)(0x80 | (code & 0x3F));
                count = 3;
            } else {
                bytes[0] = (BYTE)(0xF0 | (code >> 18));
                bytes[1] = (BYTE)(0x80 | ((code >> 12) & 0x3F));
                bytes[2] = (BYTE)(0x80 | ((code >> 6) & 0x3F));
                bytes[3] = (BYTE)(0x80 | (code & 0x3F));
                count = 4;
            }
        } else {
            int byte = wide_to_single_byte(code_page, unit);
            if (byte < 0) {
                byte = default_char;
                used_default = TRUE;
            }
            bytes[0] = (BYTE)byte;
        }
        if (cbMultiByte != 0) {
            if (written + count > cbMultiByte) {
                SetLastError(ERROR_INSUFFICIENT_BUFFER);
                return 0;
            }
            for (int b = 0; b < count; ++b) {
                lpMultiByteStr[written + b] = (CHAR)bytes[b];
            }
        }
        written += count;
    }
    if (bad && (dwFlags & WC_ERR_INVALID_CHARS)) {
        SetLastError(ERROR_NO_UNICODE_TRANSLATION);
        return 0;
    }
    if (lpUsedDefaultChar != NULL) {
        *lpUsedDefaultChar = used_default;
    }
    return written;
}
