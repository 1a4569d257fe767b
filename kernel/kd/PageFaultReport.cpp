#include "kernel/kd/PageFaultReport.h"

#include <fmt/format.h>

#include <array>

#include "kernel/hal/Cpu.h"
#include "kernel/kd/ProtectionNames.h"
#include "kernel/kd/PteDecode.h"

namespace ntoy::kd {
namespace {

constexpr std::array<const char*, 4> kLevelNames = {"PXE", "PPE", "PDE", "PTE"};

// Labels in a column of 12, so that the values line up.
std::string line(std::string_view label, std::string_view value) {
    return fmt::format("  {:<12}{}\n", label, value);
}

std::string describeAllocation(const std::optional<mm::Vad>& vad) {
    if (!vad)
        return "no allocation";
    return fmt::format(
        "VPN {:x}-{:x} ({:#x}-{:#x}) {} {}{}", vad->startVpn, vad->endVpn, vad->start().value(),
        vad->end().value() - 1, vad->type == mm::VadType::Image ? "Mapped Exe" : "Private",
        vadProtectionName(vad->allocationProtect), vad->threadStack ? ", thread stack" : "");
}

}  // namespace

std::string describeErrorCode(std::uint32_t e) {
    namespace pf = hal::pf;
    auto bit = [&](std::uint32_t mask) { return (e & mask) != 0 ? 1 : 0; };
    return fmt::format("P={} {}, W/R={} {}, U/S={} {}, RSVD={}{}, I/D={} {}", bit(pf::kPresent),
                       bit(pf::kPresent) ? "protection violation" : "not present", bit(pf::kWrite),
                       bit(pf::kWrite) ? "write" : "read", bit(pf::kUser),
                       bit(pf::kUser) ? "user" : "supervisor", bit(pf::kReserved),
                       bit(pf::kReserved) ? " reserved bit set" : "", bit(pf::kFetch),
                       bit(pf::kFetch) ? "instruction fetch" : "data");
}

std::string faultDecision(const mm::PageFaultOutcome& o) {
    if (o.response == mm::PageFaultResponse::AccessViolation)
        return o.describe() + ": raise STATUS_ACCESS_VIOLATION";
    return o.describe();
}

std::string describePageFault(const ke::PageFaultEvent& e, std::string_view instruction) {
    std::string out = fmt::format("page fault #{}\n", e.number);
    if (e.origin.processId != 0)
        out += line("process", fmt::format("{} ({}), thread {}", e.origin.processId, e.imageName,
                                           e.origin.threadId));
    out += line("rip", instruction.empty() ? fmt::format("{:#x}", e.rip)
                                           : fmt::format("{:#x}  {}", e.rip, instruction));
    out += line("cr2", fmt::format("{:#x}", e.cr2));
    out +=
        line("error code", fmt::format("{:#x}: {}", e.errorCode, describeErrorCode(e.errorCode)));
    std::string_view label = "walk";
    for (std::size_t i = 0; i < e.walkBefore.levels.size(); ++i) {
        const auto& level = e.walkBefore.levels[i];
        if (!level)
            break;
        out += line(label, fmt::format("{}  table {:#x} index {:>3}  {:#018x}  {}", kLevelNames[i],
                                       level->table.address().value(), level->index,
                                       level->entry.raw(), describePte(level->entry, i == 3)));
        label = "";
    }
    out += line("allocation", describeAllocation(e.vad));
    out += line("decision", faultDecision(e.outcome));
    out += line("pte after", fmt::format("{:#018x}  {}", e.outcome.after.raw(),
                                         describePte(e.outcome.after, true)));
    return out;
}

}  // namespace ntoy::kd
