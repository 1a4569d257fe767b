// --pagefile SIZE and --pagefile-path PATH, shared by run and debug: the paging file the
// kernel boots with. By default it is as large as RAM, at most 1 GiB, in the temporary
// directory ($TMPDIR, else /tmp), and gone when ntoy ends.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <expected>
#include <memory>
#include <string>

#include "kernel/mm/MemoryManager.h"
#include "kernel/mm/PagingFile.h"

namespace ntoy::cli {

struct PagefileOptions {
    std::string size;  // empty: the default
    std::string path;  // empty: a new file in the temporary directory
    // Fault injection: every read from the paging file fails, so every hard fault is an
    // in-page error (STATUS_IN_PAGE_ERROR), for testing how a program takes it.
    bool failReads = false;
    // --bad-frames: frames (PFNs in hex, as !pfn shows them) never to hand out.
    std::string badFrames;
    // --inject-frame-errors N: every Nth frame a page fault hands out is found bad (0: none).
    std::uint64_t frameErrorEvery = 0;
};

void addPagefileOptions(CLI::App& command, PagefileOptions& options);
// The paging file the options ask for, for a machine of `ramBytes`; null for --pagefile 0.
std::expected<std::unique_ptr<mm::PagingFile>, std::string> openPagefile(
    const PagefileOptions& options, std::uint64_t ramBytes);
// Takes the frames --bad-frames names out of service on a booted memory manager, and arms
// --inject-frame-errors.
std::expected<void, std::string> retireBadFrames(const PagefileOptions& options,
                                                 mm::MemoryManager& mm);

}  // namespace ntoy::cli
