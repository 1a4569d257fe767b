#include "kernel/mm/PageFault.h"

#include <fmt/format.h>

namespace ntoy::mm {

std::string_view faultKindName(FaultKind k) {
    switch (k) {
        case FaultKind::DemandZero:
            return "demand-zero";
        case FaultKind::Transition:
            return "soft";
        case FaultKind::Hard:
            return "hard";
        case FaultKind::CopyOnWrite:
            return "copy-on-write";
        case FaultKind::Guard:
            return "guard page";
        case FaultKind::StackGrowth:
            return "stack growth";
        case FaultKind::NotCommitted:
            return "not committed";
        case FaultKind::NoAccess:
            return "no access";
        case FaultKind::ReadOnly:
            return "read-only";
        case FaultKind::NoExecute:
            return "no execute";
        case FaultKind::SystemAddress:
            return "system address";
        case FaultKind::Reserved:
            return "reserved PTE bit";
        case FaultKind::Spurious:
            return "spurious";
    }
    return "?";
}

std::string_view accessKindName(AccessKind a) {
    switch (a) {
        case AccessKind::Read:
            return "read";
        case AccessKind::Write:
            return "write";
        case AccessKind::Execute:
            return "execute";
    }
    return "?";
}

std::string PageFaultOutcome::describe() const {
    if (tableFault != TableFault::None) {
        // The nested fault first, then what became of the page itself.
        PageFaultOutcome page = *this;
        page.tableFault = TableFault::None;
        const std::string table =
            tableFault == TableFault::Soft
                ? fmt::format("page table: soft fault, frame {:#x} back from a transition list",
                              tableFrame.value())
            : response == PageFaultResponse::InPageError && before.isZero()
                ? fmt::format(
                      "page table: paging-file slot {:#x} could not be read; raise "
                      "STATUS_IN_PAGE_ERROR",
                      tableBefore.pagefileSlot())
                : fmt::format(
                      "page table: hard fault, frame {:#x} read back from paging-file "
                      "slot {:#x}",
                      tableFrame.value(), tableBefore.pagefileSlot());
        if (response == PageFaultResponse::InPageError && before.isZero())
            return table;
        return table + "; then " + page.describe();
    }
    switch (response) {
        case PageFaultResponse::Resolved:
            if (kind == FaultKind::DemandZero)
                return fmt::format("demand-zero: frame {:#x} from the {} list", frame.value(),
                                   fromZeroedList ? "zeroed" : "free");
            if (kind == FaultKind::Transition)
                return fmt::format("soft fault: frame {:#x} back from a transition list",
                                   frame.value());
            if (kind == FaultKind::Hard)
                return fmt::format(
                    "hard fault: frame {:#x} read back from paging-file slot {:#x} (+{} read "
                    "ahead)",
                    frame.value(), before.pagefileSlot(), readAhead);
            if (kind == FaultKind::StackGrowth)
                return "stack growth: guard page moved down one page";
            if (kind == FaultKind::Spurious)
                return "spurious: the PTE was already valid (a stale translation); retry";
            if (kind == FaultKind::CopyOnWrite)
                return fmt::format("copy-on-write: frame {:#x} made writable", frame.value());
            return "resolved: retry";
        case PageFaultResponse::GuardPage:
            return "guard page: raise STATUS_GUARD_PAGE_VIOLATION";
        case PageFaultResponse::StackOverflow:
            return "stack overflow: raise STATUS_STACK_OVERFLOW";
        case PageFaultResponse::OutOfMemory:
            return "no frame for a committed page";
        case PageFaultResponse::InPageError:
            return fmt::format(
                "in-page error: paging-file slot {:#x} could not be read; raise "
                "STATUS_IN_PAGE_ERROR",
                before.pagefileSlot());
        case PageFaultResponse::AccessViolation:
            return fmt::format("access violation ({}): {}", accessKindName(access),
                               faultKindName(kind));
    }
    return "?";
}

}  // namespace ntoy::mm
