// Where ntoy finds the guest DLLs (ntdll.dll, kernel32.dll, msvcrt.dll), in this order:
//   1. $NTOY_IMAGES, when it is set: the user's choice, taken as it is;
//   2. <folder of the ntoy executable>/NTOY_GUEST_DLL_DIR: as `cmake --install` lays them out
//      (../lib/ntoy by default);
//   3. <folder of the ntoy executable>/images: a build tree, where the build links the images
//      it stages.
// Nothing is compiled in from the build tree, so an installed ntoy never reaches back into it.
#pragma once

#include <expected>
#include <filesystem>
#include <string>

namespace ntoy::cli {

// The folder to load guest DLLs from, or a one-line message naming where ntoy looked.
std::expected<std::filesystem::path, std::string> guestDllDirectory();

// The search order above with this executable's real paths, for --help.
std::string guestDllSearchDescription();

}  // namespace ntoy::cli
