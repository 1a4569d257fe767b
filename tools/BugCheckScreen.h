// What ntoy prints after a driver's bug check, below the STOP line: what `!analyze -v` leads
// with that the STOP line does not say. The faulting instruction, as driver.sys+offset and
// disassembled, and for a memory fault the page walk of the address (`!pte`).
#pragma once

#include <string>

#include "kernel/Kernel.h"

namespace ntoy::cli {

// Empty for a bug check with no faulting instruction among its parameters.
std::string bugCheckAnalysis(Kernel& kernel, const ke::BugCheck& check);

}  // namespace ntoy::cli
