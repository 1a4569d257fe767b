#include "tools/Pagefile.h"

#include <algorithm>
#include <filesystem>

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
    command.add_flag("--inject-pagefile-read-errors", options.failReads,
                     "Fault injection: every read from the paging file fails, so a page that "
                     "went there raises STATUS_IN_PAGE_ERROR when it is touched");
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
    if (file && options.failReads)
        (*file)->failReadsFrom(1);
    return file;
}

}  // namespace ntoy::cli
