/* ntoyseh.sys's client: `ntoy run --driver images/ntoyseh.sys images/safe_client.exe`. Sends
 * \\.\NtoySafe's METHOD_NEITHER copy good pointers, then bad ones: a read-only output buffer,
 * a kernel address and an unmapped one as the input. The driver probes and copies inside
 * __try, so each bad one fails with ERROR_NOACCESS (STATUS_ACCESS_VIOLATION) and the machine
 * goes on. Exits with the number of answers that were not the expected ones. */
#include <windows.h>

#include "../drivers/ntoyseh_ioctl.h"
#include "common/print.h"

static const char read_only[32] = "read-only data of the client";

static unsigned expect(HANDLE device, const char* what, const void* in, void* out, DWORD error) {
    DWORD returned = 0;
    BOOL ok = DeviceIoControl(device, IOCTL_NTOYSAFE_COPY, (void*)in, 16, out, 16, &returned, NULL);
    DWORD got = ok ? 0 : GetLastError();
    print_str(what);
    print_str(": ");
    if (ok) {
        print_str("copied ");
        print_dec(returned);
        print_str(" bytes\n");
    } else {
        print_str("error ");
        print_dec(got);
        print_str("\n");
    }
    return got == error ? 0 : 1;
}

int start(void) {
    HANDLE device = CreateFileW(L"\\\\.\\NtoySafe", GENERIC_READ | GENERIC_WRITE, 0, NULL,
                                OPEN_EXISTING, 0, NULL);
    if (device == INVALID_HANDLE_VALUE) {
        print_last_error("CreateFileW(\\\\.\\NtoySafe)");
        return 100;
    }
    static char out[16];
    unsigned failures = 0;
    failures += expect(device, "good pointers", read_only, out, 0);
    for (int i = 0; i < 16; ++i)
        failures += out[i] != read_only[i];
    failures += expect(device, "a read-only output", read_only, (void*)read_only, ERROR_NOACCESS);
    failures += expect(device, "a kernel address as input", (const void*)0xFFFFF88000000000ULL, out,
                       ERROR_NOACCESS);
    failures += expect(device, "an unmapped input", (const void*)0x10, out, ERROR_NOACCESS);
    CloseHandle(device);
    return (int)failures;
}
