/* Ends the process through ExitProcess with the code given as the first argument (decimal
 * or 0x-hex, default 0), to check that exit codes reach the host intact. */
#include "common/command_line.h"
#include "common/print.h"

int start(void) {
    unsigned long long code = 0;
    if (!get_number_argument(1, 0, &code)) {
        print_str("usage: exit_code [number, decimal or 0x-hex]\n");
        ExitProcess(2);
    }
    ExitProcess((UINT)code);
}
