// The host directory that is the guest's drive C:, and the only way the kernel opens host
// files for the guest. Every open is relative to the root's descriptor and confined beneath
// it: with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) where the host has it, so that a
// symbolic link is followed only while it stays inside; else by a walk that opens one
// component at a time with O_NOFOLLOW and refuses every symbolic link. A host path never
// reaches the guest, and no host file outside the root is ever opened.
//
// Statuses are Windows' for the nearest case: a missing directory on the way is
// STATUS_OBJECT_PATH_NOT_FOUND, a missing last component STATUS_OBJECT_NAME_NOT_FOUND, a link
// that leads out of the root (or any link, on the fallback walk) STATUS_ACCESS_DENIED.
#pragma once

#include <sys/stat.h>

#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "kernel/base/NtStatus.h"
#include "kernel/io/File.h"
#include "kernel/io/GuestPath.h"
#include "kernel/io/UniqueFd.h"

namespace ntoy::io {

class FileRoot {
public:
    enum class Resolver { Beneath, ComponentWalk };

    // The root at `directory`, which must be a directory; `resolver` is chosen by what the
    // host supports unless a test forces the walk.
    static std::expected<std::shared_ptr<const FileRoot>, std::string> open(
        const std::filesystem::path& directory, bool forceComponentWalk = false);

    Resolver resolver() const { return resolver_; }

    // The guest's DOS path for the host's current directory when it lies under the root, else
    // "C:\": where a guest started from the command line begins.
    std::string initialDirectory() const;
    // The guest's DOS path for a host file or directory under the root ("C:\\dir\\prog.exe";
    // "C:\\" for the root itself); empty when it lies outside, or a name on the way is one
    // the guest could not have typed.
    std::optional<std::string> dosPathOf(const std::filesystem::path& host) const;
    // The same place as components from the root down.
    std::optional<GuestComponents> componentsOf(const std::filesystem::path& host) const;

    // An open of `components` with open(2) `flags` (O_CREAT with `mode`), confined beneath the
    // root. `components` empty is the root itself.
    std::expected<UniqueFd, NtStatus> openAt(const GuestComponents& components, int flags,
                                             mode_t mode = 0) const;
    // The directory that holds the last component (O_PATH), STATUS_OBJECT_PATH_NOT_FOUND when
    // a component on the way is missing or not a directory.
    std::expected<UniqueFd, NtStatus> openParent(const GuestComponents& components) const;

    // The status for a host errno from an open of a last component.
    static NtStatus statusForErrno(int error);

    // The share modes of the files opened beneath the root. The root's place is fixed; this
    // bookkeeping changes with every open, whoever holds the root.
    ShareTable& shares() const { return shares_; }

private:
    FileRoot(UniqueFd fd, std::filesystem::path path, Resolver resolver)
        : fd_(std::move(fd)), path_(std::move(path)), resolver_(resolver) {}
    std::expected<UniqueFd, int> openBeneath(const std::string& relative, int flags,
                                             mode_t mode) const;
    std::expected<UniqueFd, int> walk(const GuestComponents& components, std::size_t count,
                                      int flags, mode_t mode) const;

    UniqueFd fd_;
    std::filesystem::path path_;  // canonical; only to compare with the current directory
    Resolver resolver_;
    mutable ShareTable shares_;
};

// A DOS path the guest gave as a directory ("C:\\dir" or "C:\\dir\\", Latin-1 as the
// process calls carry it), checked to be an existing directory under `root` and spelled
// "C:\\dir\\"; STATUS_NOT_A_DIRECTORY otherwise (CreateProcess's ERROR_DIRECTORY).
std::expected<std::string, NtStatus> existingDirectory(const FileRoot* root, std::string_view path);

}  // namespace ntoy::io
