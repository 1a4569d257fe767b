/* Compile-only check: our kernel32 prototypes against the Windows SDK's (mingw-w64's
 * <windows.h>). Any difference in return or parameter types is a compile error here, so a
 * program built against the SDK always calls our exports with the arguments they expect.
 * _KERNEL32_ makes the SDK declare them as kernel32 itself sees them, without dllimport. */
#define _KERNEL32_
/* psapi.h needs windows.h first */
/* clang-format off */
#include <windows.h>
#include <psapi.h>
/* clang-format on */

#include "kernel32_exports.h"
#include "kernel32_ordinary_exports.h"
