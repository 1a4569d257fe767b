// The pool benchmark (issue 13): ExAllocatePool2 + ExFreePoolWithTag pairs on the kernel's own
// pool in a real machine's guest memory (the allocator is host code working on guest
// structures; no guest API reaches it before drivers), against glibc malloc/free of the
// same size.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ntoy::bench {

// Seconds for `pairs` allocate/free pairs of `bytes` from nonpaged pool; empty, with the
// reason in `why`, if the machine could not be made.
std::optional<double> poolPairs(std::uint64_t pairs, std::uint64_t bytes, std::string& why);
double nativeMallocPairs(std::uint64_t pairs, std::uint64_t bytes);

}  // namespace ntoy::bench
