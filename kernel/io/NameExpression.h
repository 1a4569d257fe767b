// Windows' file-name expressions (FsRtlIsNameInExpression), as NtQueryDirectoryFile applies
// the FileName mask it is given: '*' is any run of characters, '?' any one, and the DOS forms
// that FindFirstFile's translation produces: '<' (DOS_STAR) any run that does not reach past
// the name's last '.', '>' (DOS_QM) any one character, or none at a '.' or the end, and '"'
// (DOS_DOT) a '.', or nothing at the end. Case does not count: both sides are compared upper-
// cased, for ASCII and Latin-1 (NTFS's upcase table covers more; names beyond Latin-1 must
// match exactly).
#pragma once

#include <string_view>

namespace ntoy::io {

bool nameInExpression(std::u16string_view expression, std::u16string_view name);

// The upper-case form the comparison uses (ASCII and Latin-1), which is also NTFS's order for
// a directory's names.
char16_t upcaseNameCharacter(char16_t c);

}  // namespace ntoy::io
