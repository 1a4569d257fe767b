/* The standard handles, which live in the process parameters where the kernel (or, on
 * Windows, the parent process) put them. */
#include "kernel32_private.h"

HANDLE GetStdHandle(DWORD nStdHandle) {
    BYTE* parameters = ntoy_process_parameters();
    switch (nStdHandle) {
        case STD_INPUT_HANDLE:
            return NTOY_FIELD(parameters, NTOY_PARAMS_STANDARD_INPUT, HANDLE);
        case STD_OUTPUT_HANDLE:
            return NTOY_FIELD(parameters, NTOY_PARAMS_STANDARD_OUTPUT, HANDLE);
        case STD_ERROR_HANDLE:
            return NTOY_FIELD(parameters, NTOY_PARAMS_STANDARD_ERROR, HANDLE);
        default:
            RtlSetLastWin32Error(ERROR_INVALID_HANDLE);
            return INVALID_HANDLE_VALUE;
    }
}
