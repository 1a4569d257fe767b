// Guest file names: the NT paths the guest hands the file calls ("\??\C:\dir\file"), checked
// and split into host file names, and the guest's DOS spelling of a place under the root.
//
// The root of the guest's file system is its drive C:. A path is accepted only as
// \??\C:\component\component..., each component a name the host can take as one file name:
// no separators, no "." or "..", no characters Windows forbids in names (control
// characters, " * / : < > ? |), at most 255 UTF-16 units, valid UTF-16. Anything else is
// refused with the status Windows gives for the nearest case: another drive, a device, a UNC
// name or another object directory is STATUS_OBJECT_PATH_NOT_FOUND; a bad component
// (alternate streams included: ':' is not a name character here) STATUS_OBJECT_NAME_INVALID;
// a relative name without a directory STATUS_OBJECT_PATH_SYNTAX_BAD. Nothing here touches the
// host: it is the lexical half of the confinement; FileRoot is the other.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/base/NtStatus.h"

namespace ntoy::io {

// Host names (UTF-8) from the root down; empty is the root itself.
using GuestComponents = std::vector<std::string>;

// An absolute NT path, as above.
std::expected<GuestComponents, NtStatus> parseNtPath(std::u16string_view path);

// A name relative to an open directory (OBJECT_ATTRIBUTES.RootDirectory): the same rules
// without the prefix; an empty name is the directory itself.
std::expected<GuestComponents, NtStatus> parseRelativePath(const GuestComponents& directory,
                                                           std::u16string_view path);

// Whether a host name (UTF-8) is one the guest could use as a single component: valid UTF-8
// and no character Windows forbids in names, no separator, not "." or "..".
bool isGuestName(std::string_view host);

// "C:\" followed by the components joined with '\', in UTF-8.
std::string dosPath(const GuestComponents& components);

// UTF-8 to UTF-16, for host names and paths shown to the guest; invalid UTF-8 is
// STATUS_OBJECT_NAME_INVALID.
std::expected<std::u16string, NtStatus> utf8ToUtf16(std::string_view text);

}  // namespace ntoy::io
