// The block the debugger prints when it stops on a page fault: the process and thread that
// faulted, what the CPU reported, the walk it did, the allocation, the handler's decision and the
// PTE after. Pure functions of the kernel's page-fault event, so that they can be tested without a
// machine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kernel/ke/KernelObserver.h"

namespace ntoy::kd {

// "P=0 not present, W/R=1 write, U/S=1 user, RSVD=0, I/D=0 data"
std::string describeErrorCode(std::uint32_t errorCode);

// The handler's decision and result in words: "demand-zero: frame 0x1a3 from the zeroed
// list", "guard page: raise STATUS_GUARD_PAGE_VIOLATION", "access violation (write): not
// committed: raise STATUS_ACCESS_VIOLATION".
std::string faultDecision(const mm::PageFaultOutcome& outcome);

// The whole block, lines ending in '\n'. `instruction` is the faulting instruction
// disassembled ("mov byte ptr [rax], cl"), if the caller could read it.
std::string describePageFault(const ke::PageFaultEvent& event, std::string_view instruction = {});

}  // namespace ntoy::kd
