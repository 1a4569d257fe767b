#include "tools/Pagefile.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <string_view>

#include <fmt/format.h>

#include "kernel/base/Types.h"
#include "tools/RamSize.h"

namespace ntoy::cli {

void addPagefileOptions(CLI::App& command, PagefileOptions& options) {
    command
        .add_option("--pagefile", options.size,
                    "Paging file size, e.g. 128M; 0 for none (default: as large as RAM, at most "
                    "1G). The commit limit is RAM plus the paging file")
        ->option_text("SIZE");
    command
        .add_option("--pagefile-path", options.path,
                    "Create the paging file at PATH, which must not exist (default: a file in "
                    "the temporary directory); it is deleted when ntoy ends")
        ->option_text("PATH");
    command
        .add_option("--bad-frames", options.badFrames,
                    "Frames never to hand out, as if found bad: PFNs in hex, as !pfn shows "
                    "them, separated by commas (e.g. ff00100,ff00101); each lowers the commit "
                    "limit by a page")
        ->option_text("LIST");
    command
        .add_option("--inject-frame-errors", options.frameErrorEvery,
                    "Fault injection: every Nth frame a page fault hands out is found to have "
                    "had a memory error; its page keeps it, intact, and it goes to the Bad list "
                    "(never handed out again, the commit limit a page lower) once the page lets "
                    "it go, as Windows retires a page with corrected errors")
        ->option_text("N")
        ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1} << 40));
    command.add_flag("--inject-pagefile-read-errors", options.failReads,
                     "Fault injection: every read of a page from the paging file fails, so a "
                     "page that went there raises STATUS_IN_PAGE_ERROR when it is touched "
                     "(page tables are spared: one that cannot be read back stops the machine, "
                     "KERNEL_DATA_INPAGE_ERROR)");
}

std::expected<std::unique_ptr<mm::PagingFile>, std::string> openPagefile(
    const PagefileOptions& options, std::uint64_t ramBytes) {
    std::uint64_t bytes = std::min<std::uint64_t>(ramBytes, 1ull << 30);
    if (!options.size.empty()) {
        auto parsed = parsePagefileSize(options.size);
        if (!parsed)
            return std::unexpected(parsed.error());
        bytes = *parsed;
    }
    if (bytes == 0) {
        if (!options.path.empty() || options.failReads)
            return std::unexpected(fmt::format(
                "{} needs a paging file, not --pagefile 0",
                options.failReads ? "--inject-pagefile-read-errors" : "--pagefile-path"));
        return nullptr;
    }
    std::error_code ec;
    std::filesystem::path directory = std::filesystem::temp_directory_path(ec);
    if (ec)
        directory = "/tmp";
    auto file = mm::PagingFile::create(bytes / kPageSize, directory, options.path);
    if (!file)
        return std::unexpected(file.error() +
                               " (--pagefile-path PATH puts it elsewhere; --pagefile 0 runs "
                               "without one)");
    if (options.failReads)
        (*file)->failReadsFrom(1);
    return file;
}

std::expected<void, std::string> retireBadFrames(const PagefileOptions& options,
                                                 mm::MemoryManager& mm) {
    mm.injectFrameErrors(options.frameErrorEvery);
    std::string_view list = options.badFrames;
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        std::string_view word = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        if (word.starts_with("0x") || word.starts_with("0X"))
            word.remove_prefix(2);
        std::uint64_t pfn = 0;
        const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), pfn, 16);
        if (word.empty() || ec != std::errc() || end != word.data() + word.size())
            return std::unexpected(
                fmt::format("--bad-frames: '{}' is not a frame number in hex", word));
        const auto& ram = mm.pfns().memory();
        if (!ram.contains(Pfn(pfn)))
            return std::unexpected(
                fmt::format("--bad-frames: {:x} is not a frame of RAM (frames {:x}-{:x})", pfn,
                            ram.firstPfn().value(), ram.endPfn().value() - 1));
        if (!mm.retireFrame(Pfn(pfn)))
            return std::unexpected(fmt::format(
                "--bad-frames: {:x} cannot go: what is committed already needs it", pfn));
    }
    return {};
}

}  // namespace ntoy::cli
