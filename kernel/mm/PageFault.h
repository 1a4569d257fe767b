// The page-fault handler's result: what the fault was, what was decided, and what changed.
// The trap layer acts on `response`; the debugger and the tracer print the rest.
#pragma once

#include <cstdint>
#include <string>

#include "kernel/mm/Pte.h"

namespace ntoy::mm {

enum class PageFaultResponse : std::uint8_t {
    Resolved,         // retry the instruction
    AccessViolation,  // raise STATUS_ACCESS_VIOLATION
    GuardPage,        // raise STATUS_GUARD_PAGE_VIOLATION (the guard is now cleared)
    StackOverflow,    // raise STATUS_STACK_OVERFLOW (the stack grew into its last page)
    OutOfMemory,      // no frame for a committed page: a kernel accounting bug
    InPageError,      // raise STATUS_IN_PAGE_ERROR (the paging file could not be read)
};

enum class AccessKind : std::uint8_t { Read = 0, Write = 1, Execute = 8 };

enum class FaultKind : std::uint8_t {
    DemandZero,
    Transition,  // a soft fault: the page's frame came back from a transition list
    Hard,        // the page came back from the paging file
    CopyOnWrite,
    Guard,
    StackGrowth,
    NotCommitted,   // free or reserved
    NoAccess,       // PAGE_NOACCESS
    ReadOnly,       // write to a page without write access
    NoExecute,      // fetch from a page without execute access
    SystemAddress,  // user access to system space
    Reserved,       // a reserved PTE bit was set: a kernel bug
    Spurious,       // the PTE already allowed the access: a translation the CPU cached before
                    // a change that has since been flushed
};

struct PageFaultOutcome {
    PageFaultResponse response = PageFaultResponse::AccessViolation;
    FaultKind kind = FaultKind::NotCommitted;
    AccessKind access = AccessKind::Read;
    VirtualAddress address;
    Pte before, after;
    Pfn frame;  // the frame now mapped, for demand-zero and soft faults
    bool fromZeroedList = false;
    std::uint32_t readAhead = 0;  // hard faults: neighbouring pages read in the same I/O
    // The nested fault: the page's table was paged out and came back first, from a
    // transition list (soft) or the paging file (hard). `tableBefore` is its PDE before.
    enum class TableFault : std::uint8_t { None, Soft, Hard };
    TableFault tableFault = TableFault::None;
    Pte tableBefore;
    Pfn tableFrame;
    // "demand-zero: frame 0x1a3 from the zeroed list"
    std::string describe() const;
};

std::string_view faultKindName(FaultKind k);
std::string_view accessKindName(AccessKind a);

}  // namespace ntoy::mm
