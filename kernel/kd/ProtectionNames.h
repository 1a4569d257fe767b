// Protections spelled as WinDbg's extensions spell them: the MM protection of a PTE
// ("4 - ReadWrite", as !pte shows it) and a VAD's protection ("EXECUTE_WRITECOPY", as !vad).
#pragma once

#include <cstdint>
#include <string>

#include "kernel/mm/Protection.h"

namespace ntoy::kd {

// "ReadWrite", "ExecuteRead Guard", "NoAccess".
std::string mmProtectionName(mm::MmProtection protection);
// "READWRITE", "EXECUTE_WRITECOPY", "NO_ACCESS", "READWRITE GUARD", from a PAGE_* value.
std::string vadProtectionName(std::uint32_t win32Protect);

}  // namespace ntoy::kd
