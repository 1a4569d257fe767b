// How GoogleTest prints the kernel's value types in failure messages: addresses and frames in
// hex, statuses and fault outcomes by name, instead of raw bytes. Every test file includes
// this, so that each type prints the same way in all of them.
#pragma once

#include <fmt/format.h>

#include <ostream>

#include "kernel/base/NtStatus.h"
#include "kernel/base/Types.h"
#include "kernel/mm/PageFault.h"
#include "kernel/mm/Protection.h"
#include "kernel/mm/Pte.h"
#include "kernel/ob/HandleTable.h"

namespace ntoy {

inline void PrintTo(const VirtualAddress& va, std::ostream* os) {
    *os << fmt::format("va {:#x}", va.value());
}
inline void PrintTo(const PhysicalAddress& pa, std::ostream* os) {
    *os << fmt::format("pa {:#x}", pa.value());
}
inline void PrintTo(const Pfn& pfn, std::ostream* os) {
    *os << fmt::format("pfn {:#x}", pfn.value());
}
inline void PrintTo(NtStatus s, std::ostream* os) {
    *os << ntStatusName(s) << fmt::format(" ({:#010x})", raw(s));
}

namespace mm {

inline void PrintTo(const Pte& pte, std::ostream* os) {
    *os << fmt::format("pte {:#x}", pte.raw());
}
inline void PrintTo(const MmProtection& p, std::ostream* os) {
    *os << fmt::format("MM {:#x} ({})", p.bits(), win32ProtectionName(p.toWin32()));
}
inline void PrintTo(PageFaultResponse r, std::ostream* os) {
    constexpr const char* kNames[] = {"Resolved", "AccessViolation", "GuardPage", "StackOverflow",
                                      "OutOfMemory"};
    *os << kNames[static_cast<int>(r)];
}
inline void PrintTo(FaultKind k, std::ostream* os) {
    *os << faultKindName(k);
}
inline void PrintTo(AccessKind a, std::ostream* os) {
    *os << accessKindName(a);
}

}  // namespace mm
namespace ob {
inline void PrintTo(const Handle& h, std::ostream* os) {
    *os << fmt::format("handle {:#x}", h.value());
}
}  // namespace ob
}  // namespace ntoy
