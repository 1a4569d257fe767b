// One page-table entry decoded as WinDbg's !pte decodes it: a valid entry's frame and flag
// letters ("pfn 1a3 ---DA--UWEV"), an invalid one's software format (demand-zero,
// transition, pagefile) and protection.
#pragma once

#include <string>
#include <vector>

#include "kernel/mm/Pte.h"

namespace ntoy::kd {

// The 11 flag letters of a valid entry, e.g. "---DA--UWEV": copy-on-write, global, large
// page, dirty, accessed, cache disabled, write-through, user/kernel, writable/read-only,
// executable, valid.
std::string pteFlags(mm::Pte pte);

// Windows' software formats of an invalid entry (see Pte.h).
enum class InvalidPteKind { Zero, DemandZero, Transition, PageFile, Unknown };
InvalidPteKind invalidPteKind(mm::Pte pte);

// What WinDbg prints under "not valid", one line each: {"DemandZero", "Protect: 4 -
// ReadWrite"}. Empty for a zero entry.
std::vector<std::string> describeInvalidPte(mm::Pte pte);

// Any entry on one line: "pfn ff00123 ---DA--UWEV", or "not valid: DemandZero, Protect: 4 -
// ReadWrite". A zero entry is "not valid: zero" and, for a leaf, "(not committed)"; above
// the leaf, "(no table below)".
std::string describePte(mm::Pte pte, bool leaf);

}  // namespace ntoy::kd
