#include "kernel/io/GuestPath.h"

#include <cstdint>

namespace ntoy::io {
namespace {

constexpr std::size_t kMaxComponentUnits = 255;

bool forbiddenInName(char16_t c) {
    if (c < 0x20)
        return true;
    switch (c) {
        case u'"':
        case u'*':
        case u'/':
        case u':':
        case u'<':
        case u'>':
        case u'?':
        case u'|':
        case u'\\':
            return true;
        default:
            return false;
    }
}

// One component to UTF-8, or STATUS_OBJECT_NAME_INVALID.
std::expected<std::string, NtStatus> component(std::u16string_view name) {
    if (name.empty() || name.size() > kMaxComponentUnits || name == u"." || name == u"..")
        return std::unexpected(NtStatus::ObjectNameInvalid);
    std::string out;
    out.reserve(name.size());
    for (std::size_t i = 0; i < name.size(); ++i) {
        char32_t c = name[i];
        if (forbiddenInName(name[i]))
            return std::unexpected(NtStatus::ObjectNameInvalid);
        if (c >= 0xD800 && c <= 0xDBFF) {
            if (i + 1 >= name.size() || name[i + 1] < 0xDC00 || name[i + 1] > 0xDFFF)
                return std::unexpected(NtStatus::ObjectNameInvalid);
            c = 0x10000 + ((c - 0xD800) << 10) + (name[++i] - 0xDC00);
        } else if (c >= 0xDC00 && c <= 0xDFFF) {
            return std::unexpected(NtStatus::ObjectNameInvalid);
        }
        if (c < 0x80) {
            out += static_cast<char>(c);
        } else if (c < 0x800) {
            out += static_cast<char>(0xC0 | (c >> 6));
            out += static_cast<char>(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out += static_cast<char>(0xE0 | (c >> 12));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (c & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (c >> 18));
            out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (c & 0x3F));
        }
    }
    return out;
}

// Appends the '\'-separated components of `rest`; one trailing separator is allowed (a
// directory's name may end in one).
NtStatus appendComponents(GuestComponents& out, std::u16string_view rest) {
    if (!rest.empty() && rest.back() == u'\\')
        rest.remove_suffix(1);
    while (!rest.empty()) {
        const std::size_t end = rest.find(u'\\');
        auto name = component(rest.substr(0, end));
        if (!name)
            return name.error();
        out.push_back(std::move(*name));
        if (end == std::u16string_view::npos)
            break;
        rest.remove_prefix(end + 1);
        if (rest.empty())  // "a\\": an empty last component
            return NtStatus::ObjectNameInvalid;
    }
    return NtStatus::Success;
}

}  // namespace

std::expected<GuestComponents, NtStatus> parseNtPath(std::u16string_view path) {
    if (path.empty() || path.front() != u'\\')
        return std::unexpected(NtStatus::ObjectPathSyntaxBad);
    constexpr std::u16string_view kDosDevices = u"\\??\\";
    if (!path.starts_with(kDosDevices))  // \Device\..., \GLOBAL??\... and the like
        return std::unexpected(NtStatus::ObjectPathNotFound);
    path.remove_prefix(kDosDevices.size());
    // Only the drive C: exists; "\??\C:" alone is the volume, which no guest may open.
    if (path.size() < 2 || (path[0] != u'C' && path[0] != u'c') || path[1] != u':')
        return std::unexpected(NtStatus::ObjectPathNotFound);
    path.remove_prefix(2);
    if (path.empty())
        return std::unexpected(NtStatus::AccessDenied);
    if (path.front() != u'\\')  // "C:name": a drive-relative name is a DOS idea only
        return std::unexpected(NtStatus::ObjectNameInvalid);
    path.remove_prefix(1);
    GuestComponents out;
    if (path.starts_with(u"\\"))  // "C:\\x"
        return std::unexpected(NtStatus::ObjectNameInvalid);
    if (const NtStatus s = appendComponents(out, path); s != NtStatus::Success)
        return std::unexpected(s);
    return out;
}

std::expected<GuestComponents, NtStatus> parseRelativePath(const GuestComponents& directory,
                                                           std::u16string_view path) {
    if (!path.empty() && path.front() == u'\\')  // absolute under a directory: invalid
        return std::unexpected(NtStatus::InvalidParameter);
    GuestComponents out = directory;
    if (const NtStatus s = appendComponents(out, path); s != NtStatus::Success)
        return std::unexpected(s);
    return out;
}

bool isGuestName(std::string_view host) {
    const auto wide = utf8ToUtf16(host);
    if (!wide)
        return false;
    const auto parsed = parseRelativePath({}, *wide);
    return parsed && parsed->size() == 1 && (*parsed)[0] == host;
}

std::string dosPath(const GuestComponents& components) {
    std::string out = "C:\\";
    for (std::size_t i = 0; i < components.size(); ++i) {
        if (i != 0)
            out += '\\';
        out += components[i];
    }
    return out;
}

std::expected<std::u16string, NtStatus> utf8ToUtf16(std::string_view text) {
    std::u16string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto b = static_cast<unsigned char>(text[i]);
        char32_t c = 0;
        std::size_t n = 0;
        if (b < 0x80) {
            c = b;
            n = 1;
        } else if ((b & 0xE0) == 0xC0) {
            c = b & 0x1F;
            n = 2;
        } else if ((b & 0xF0) == 0xE0) {
            c = b & 0x0F;
            n = 3;
        } else if ((b & 0xF8) == 0xF0) {
            c = b & 0x07;
            n = 4;
        } else {
            return std::unexpected(NtStatus::ObjectNameInvalid);
        }
        if (i + n > text.size())
            return std::unexpected(NtStatus::ObjectNameInvalid);
        for (std::size_t k = 1; k < n; ++k) {
            const auto cont = static_cast<unsigned char>(text[i + k]);
            if ((cont & 0xC0) != 0x80)
                return std::unexpected(NtStatus::ObjectNameInvalid);
            c = (c << 6) | (cont & 0x3F);
        }
        constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
        if (c < kMin[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return std::unexpected(NtStatus::ObjectNameInvalid);
        if (c >= 0x10000) {
            out += static_cast<char16_t>(0xD800 + ((c - 0x10000) >> 10));
            out += static_cast<char16_t>(0xDC00 + ((c - 0x10000) & 0x3FF));
        } else {
            out += static_cast<char16_t>(c);
        }
        i += n;
    }
    return out;
}

}  // namespace ntoy::io
