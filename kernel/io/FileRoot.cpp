#include "kernel/io/FileRoot.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace ntoy::io {
namespace {

// A rename elsewhere under the root makes openat2 give EAGAIN rather than risk an escape;
// a few retries, then the guest gets the failure.
constexpr int kBeneathRetries = 8;

std::string joined(const GuestComponents& components, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) {
        if (i != 0)
            out += '/';
        out += components[i];
    }
    return out.empty() ? std::string(".") : out;
}

std::expected<UniqueFd, int> openat2Beneath(int dirfd, const std::string& path, int flags,
                                            mode_t mode) {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    for (int attempt = 0;; ++attempt) {
        const long fd = ::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof(how));
        if (fd >= 0)
            return UniqueFd(static_cast<int>(fd));
        if ((errno == EAGAIN && attempt < kBeneathRetries) || errno == EINTR)
            continue;
        return std::unexpected(errno);
    }
}

// Refuses a symbolic link opened as itself (O_PATH | O_NOFOLLOW gives one).
std::expected<UniqueFd, int> refuseLink(UniqueFd fd, bool mustBeDirectory) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return std::unexpected(errno);
    if (S_ISLNK(st.st_mode))
        return std::unexpected(ELOOP);
    if (mustBeDirectory && !S_ISDIR(st.st_mode))
        return std::unexpected(ENOTDIR);
    return fd;
}

}  // namespace

std::expected<std::shared_ptr<const FileRoot>, std::string> FileRoot::open(
    const std::filesystem::path& directory, bool forceComponentWalk) {
    std::error_code ec;
    const auto canonical = std::filesystem::canonical(directory, ec);
    if (ec)
        return std::unexpected(fmt::format("{}: {}", directory.string(), ec.message()));
    UniqueFd fd(::open(canonical.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid())
        return std::unexpected(fmt::format("{}: {}", directory.string(), std::strerror(errno)));
    Resolver resolver = Resolver::ComponentWalk;
    if (!forceComponentWalk && openat2Beneath(fd.get(), ".", O_PATH, 0))
        resolver = Resolver::Beneath;
    return std::shared_ptr<const FileRoot>(new FileRoot(std::move(fd), canonical, resolver));
}

std::string FileRoot::initialDirectory() const {
    std::error_code ec;
    const auto cwd = std::filesystem::current_path(ec);
    auto dos = ec ? std::nullopt : dosPathOf(cwd);
    if (!dos)
        return "C:\\";
    if (dos->back() != '\\')
        *dos += '\\';
    return *dos;
}

std::optional<GuestComponents> FileRoot::componentsOf(const std::filesystem::path& host) const {
    std::error_code ec;
    const auto canonical = std::filesystem::weakly_canonical(host, ec);
    if (ec)
        return std::nullopt;
    const auto relative = canonical.lexically_relative(path_);
    if (relative.empty() || *relative.begin() == "..")
        return std::nullopt;
    GuestComponents components;
    for (const auto& part : relative) {
        if (part == "." || part.empty())
            continue;
        // Only names the guest could have typed itself: a host name with a backslash or a
        // colon would not survive the round trip.
        if (!isGuestName(part.string()))
            return std::nullopt;
        components.push_back(part.string());
    }
    return components;
}

std::optional<std::string> FileRoot::dosPathOf(const std::filesystem::path& host) const {
    auto components = componentsOf(host);
    if (!components)
        return std::nullopt;
    return dosPath(*components);
}

std::expected<UniqueFd, int> FileRoot::walk(const GuestComponents& components, std::size_t count,
                                            int flags, mode_t mode) const {
    UniqueFd dir;
    int at = fd_.get();
    for (std::size_t i = 0; i + 1 < count; ++i) {
        UniqueFd next(::openat(at, components[i].c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!next.valid())
            return std::unexpected(errno == ELOOP ? ENOTDIR : errno);
        auto checked = refuseLink(std::move(next), true);
        if (!checked)
            return std::unexpected(checked.error());
        dir = std::move(*checked);
        at = dir.get();
    }
    if (count == 0)
        return UniqueFd(::openat(fd_.get(), ".", flags | O_CLOEXEC));
    // O_PATH | O_NOFOLLOW opens a link as itself, which O_DIRECTORY would turn into ENOTDIR
    // (a missing path, to the guest): refuseLink makes both checks instead, links first.
    const int last = (flags & O_PATH) ? flags & ~O_DIRECTORY : flags;
    UniqueFd fd(::openat(at, components[count - 1].c_str(), last | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!fd.valid())
        return std::unexpected(errno);
    return refuseLink(std::move(fd), (flags & O_DIRECTORY) != 0);
}

std::expected<UniqueFd, NtStatus> FileRoot::openAt(const GuestComponents& components, int flags,
                                                   mode_t mode) const {
    auto fd = resolver_ == Resolver::Beneath
                  ? openat2Beneath(fd_.get(), joined(components, components.size()), flags, mode)
                  : walk(components, components.size(), flags, mode);
    if (!fd) {
        // On the walk, a link anywhere is refused; ENOTDIR from O_DIRECTORY is the caller's.
        if (fd.error() == EXDEV || fd.error() == ELOOP)
            return std::unexpected(NtStatus::AccessDenied);
        return std::unexpected(statusForErrno(fd.error()));
    }
    return std::move(*fd);
}

std::expected<UniqueFd, NtStatus> FileRoot::openParent(const GuestComponents& components) const {
    const std::size_t count = components.empty() ? 0 : components.size() - 1;
    auto fd = resolver_ == Resolver::Beneath
                  ? openat2Beneath(fd_.get(), joined(components, count), O_PATH | O_DIRECTORY, 0)
                  : walk(components, count, O_PATH | O_DIRECTORY, 0);
    if (!fd) {
        switch (fd.error()) {
            case ENOENT:
            case ENOTDIR:
                return std::unexpected(NtStatus::ObjectPathNotFound);
            case EXDEV:
            case ELOOP:
                return std::unexpected(NtStatus::AccessDenied);
            default:
                return std::unexpected(statusForErrno(fd.error()));
        }
    }
    return std::move(*fd);
}

std::expected<std::string, NtStatus> existingDirectory(const FileRoot* root,
                                                       std::string_view path) {
    if (root == nullptr)
        return std::unexpected(NtStatus::NotADirectory);
    std::u16string nt = u"\\??\\";
    for (char c : path)
        nt += static_cast<char16_t>(static_cast<unsigned char>(c));
    auto components = parseNtPath(nt);
    if (!components)
        return std::unexpected(NtStatus::NotADirectory);
    if (!root->openAt(*components, O_PATH | O_DIRECTORY))
        return std::unexpected(NtStatus::NotADirectory);
    std::string out = dosPath(*components);
    if (!components->empty())
        out += '\\';
    return out;
}

NtStatus FileRoot::statusForErrno(int error) {
    switch (error) {
        case ENOENT:
            return NtStatus::ObjectNameNotFound;
        case ENOTDIR:
            return NtStatus::ObjectPathNotFound;
        case EEXIST:
            return NtStatus::ObjectNameCollision;
        case EISDIR:
            return NtStatus::FileIsADirectory;
        case ENOTEMPTY:
            return NtStatus::DirectoryNotEmpty;
        case ETXTBSY:
        case EBUSY:
            return NtStatus::SharingViolation;
        case ENAMETOOLONG:
            return NtStatus::ObjectNameInvalid;
        case ENOSPC:
        case EDQUOT:
        case EFBIG:
            return NtStatus::DiskFull;
        case EMFILE:
        case ENFILE:
        case ENOMEM:
            return NtStatus::InsufficientResources;
        case EPIPE:
            return NtStatus::PipeBroken;
        case EINVAL:
            return NtStatus::InvalidParameter;
        default:  // EACCES, EPERM, EROFS, EXDEV, ELOOP and whatever else the host refuses
            return NtStatus::AccessDenied;
    }
}

}  // namespace ntoy::io
