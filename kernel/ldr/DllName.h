// What a DLL name may be: a Windows file name and nothing more. The loader looks a DLL up only
// in its own directories (the executable's, then the system one), so a name that carries a
// path ("/etc/passwd", "..\\x.dll", "C:x.dll") or is "." or ".." must never reach the host's
// file system. Names are printable ASCII, the only text the loader compares (AsciiText.h).
#pragma once

#include <string_view>

namespace ntoy::ldr {

inline constexpr std::size_t kMaxDllNameLength = 255;  // a Windows file name component

// Whether `name` is a plain file name: 1-255 printable ASCII characters, none of the ones no
// Windows file name may hold (< > : " / \ | ? *), and not made of dots alone.
bool isDllFileName(std::string_view name);

}  // namespace ntoy::ldr
