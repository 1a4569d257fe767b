#include "kernel/kd/PteDecode.h"

#include <fmt/format.h>

#include "kernel/kd/ProtectionNames.h"

namespace ntoy::kd {
namespace {

using mm::Pte;
using mm::PteBit;

constexpr std::uint64_t kPageFileLowMask = 0x1E;  // bits 1-4
constexpr unsigned kPageFileHighShift = 32;

std::string protectLine(mm::MmProtection p) {
    return fmt::format("Protect: {:x} - {}", p.bits(), mmProtectionName(p));
}

}  // namespace

std::string pteFlags(Pte pte) {
    std::string f(11, '-');
    if (pte.has(PteBit::CopyOnWrite))
        f[0] = 'C';
    if (pte.has(PteBit::Global))
        f[1] = 'G';
    if (pte.has(PteBit::LargePage))
        f[2] = 'L';
    if (pte.has(PteBit::Dirty))
        f[3] = 'D';
    if (pte.has(PteBit::Accessed))
        f[4] = 'A';
    if (pte.has(PteBit::CacheDisable))
        f[5] = 'N';
    if (pte.has(PteBit::WriteThrough))
        f[6] = 'T';
    f[7] = pte.has(PteBit::User) ? 'U' : 'K';
    f[8] = pte.has(PteBit::Write) ? 'W' : 'R';
    if (!pte.has(PteBit::NoExecute))
        f[9] = 'E';
    if (pte.isValid())
        f[10] = 'V';
    return f;
}

InvalidPteKind invalidPteKind(Pte pte) {
    if (pte.isZero())
        return InvalidPteKind::Zero;
    if (pte.isDemandZero())
        return InvalidPteKind::DemandZero;
    if ((pte.raw() & Pte::kPrototype) != 0)
        return InvalidPteKind::Unknown;  // no prototype PTEs here: nothing shares pages
    if (pte.isTransition())
        return InvalidPteKind::Transition;
    if ((pte.raw() & kPageFileLowMask) != 0 || (pte.raw() >> kPageFileHighShift) != 0)
        return InvalidPteKind::PageFile;
    return InvalidPteKind::Unknown;
}

std::vector<std::string> describeInvalidPte(Pte pte) {
    const mm::MmProtection prot = pte.softProtection();
    switch (invalidPteKind(pte)) {
        case InvalidPteKind::Zero:
            return {};
        case InvalidPteKind::DemandZero:
            return {prot.isGuard() ? "DemandZero (guard page)" : "DemandZero", protectLine(prot)};
        case InvalidPteKind::Transition:
            return {fmt::format("Transition: {:x} ({})", pte.pfn().value(),
                                prot.isGuard()      ? "resident guard page"
                                : prot.isNoAccess() ? "resident, no access"
                                                    : "out of the working set"),
                    protectLine(prot)};
        case InvalidPteKind::PageFile:
            return {fmt::format("PageFile: {:2}", (pte.raw() & kPageFileLowMask) >> 1),
                    fmt::format("Offset: {:x}", pte.raw() >> kPageFileHighShift),
                    protectLine(prot)};
        case InvalidPteKind::Unknown:
            break;
    }
    return {"unknown software format"};
}

std::string describePte(Pte pte, bool leaf) {
    if (pte.isValid())
        return fmt::format("pfn {:x} {}", pte.pfn().value(), pteFlags(pte));
    if (pte.isZero())
        return leaf ? "not valid: zero (not committed)" : "not valid: zero (no table below)";
    std::string line = "not valid:";
    const char* separator = " ";
    for (const std::string& part : describeInvalidPte(pte)) {
        line += separator + part;
        separator = ", ";
    }
    return line;
}

}  // namespace ntoy::kd
