/* ntoyecho.sys's client: `ntoy run --driver images/ntoyecho.sys images/echo_client.exe [N]`.
 * Starts N-1 copies of itself (default 4 processes in all); each opens \\.\NtoyEcho and sends
 * 200 IOCTLs in turn METHOD_BUFFERED, METHOD_NEITHER, METHOD_OUT_DIRECT, METHOD_IN_DIRECT and
 * METHOD_NEITHER with the driver's own MDL, each with its own pattern, checks every echo and
 * that the driver ran in its own process, then writes and reads the device, and the
 * DO_DIRECT_IO device \\.\NtoyEchoDirect; odd-numbered workers leave their handle open for
 * their process's end to close.
 * Exits with the number of failures (the parent adds its children's). */
#include <windows.h>

#include "../drivers/ntoyecho_ioctl.h"
#include "common/command_line.h"
#include "common/print.h"

#define ROUNDS 200
#define BYTES 512

static unsigned fail(const char* what) {
    print_str("echo_client: ");
    print_last_error(what);
    return 1;
}

static unsigned worker(unsigned number) {
    HANDLE device = CreateFileW(L"\\\\.\\NtoyEcho", GENERIC_READ | GENERIC_WRITE, 0, NULL,
                                OPEN_EXISTING, 0, NULL);
    if (device == INVALID_HANDLE_VALUE)
        return fail("CreateFileW(\\\\.\\NtoyEcho)");
    static unsigned char in[BYTES], out[BYTES];
    unsigned failures = 0;
    for (unsigned round = 0; round < ROUNDS; ++round) {
        const DWORD length = 1 + (round * 37 + number * 11) % BYTES;
        static const DWORD codes[] = {IOCTL_NTOYECHO_BUFFERED, IOCTL_NTOYECHO_NEITHER,
                                      IOCTL_NTOYECHO_OUT_DIRECT, IOCTL_NTOYECHO_IN_DIRECT,
                                      IOCTL_NTOYECHO_LOCKED};
        const DWORD code = codes[round % 5];
        for (DWORD i = 0; i < length; ++i) {
            in[i] = (unsigned char)(number * 31 + round * 7 + i);
            /* METHOD_IN_DIRECT: the driver compares the locked buffer with the input. */
            out[i] = code == IOCTL_NTOYECHO_IN_DIRECT ? in[i] : 0;
        }
        DWORD returned = 0;
        if (!DeviceIoControl(device, code, in, length, out, BYTES, &returned, NULL)) {
            failures += fail("DeviceIoControl");
            break;
        }
        BOOL same = returned == length;
        for (DWORD i = 0; same && i < length; ++i)
            same = out[i] == in[i];
        if (!same) {
            print_str("echo_client: an echo came back wrong\n");
            ++failures;
        }
    }
    /* A locked output buffer must allow what the device does to it: a read-only one fails
     * METHOD_OUT_DIRECT before the driver sees the request (ERROR_NOACCESS), and serves
     * METHOD_IN_DIRECT, which only reads it. */
    static const unsigned char read_only[16] = "0123456789abcde";
    DWORD got = 0;
    if (DeviceIoControl(device, IOCTL_NTOYECHO_OUT_DIRECT, in, sizeof read_only, (void*)read_only,
                        sizeof read_only, &got, NULL) ||
        GetLastError() != ERROR_NOACCESS) {
        print_str("echo_client: METHOD_OUT_DIRECT into read-only memory did not fail\n");
        ++failures;
    }
    if (!DeviceIoControl(device, IOCTL_NTOYECHO_IN_DIRECT, (void*)read_only, sizeof read_only,
                         (void*)read_only, sizeof read_only, &got, NULL) ||
        got != sizeof read_only)
        failures += fail("DeviceIoControl(IN_DIRECT, read-only)");
    struct ntoyecho_info info;
    DWORD returned = 0;
    if (!DeviceIoControl(device, IOCTL_NTOYECHO_INFO, NULL, 0, &info, sizeof info, &returned, NULL))
        failures += fail("DeviceIoControl(INFO)");
    else if (info.process_id != GetCurrentProcessId() || info.requests != ROUNDS + 2) {
        print_str("echo_client: the driver ran in process ");
        print_dec(info.process_id);
        print_str(", not ours, or lost requests\n");
        ++failures;
    }
    /* Write then read: the driver's paged-pool cache (another process may write between). */
    static const char message[] = "a line through the driver's cache";
    DWORD done = 0;
    char back[64];
    if (!WriteFile(device, message, sizeof message, &done, NULL) || done != sizeof message)
        failures += fail("WriteFile");
    if (!ReadFile(device, back, sizeof back, &done, NULL) || done == 0)
        failures += fail("ReadFile");
    /* The same through the DO_DIRECT_IO device: the driver reaches our buffers through MDLs.
     * Every process writes the same line, so the one read back is always it. */
    HANDLE direct = CreateFileW(L"\\\\.\\NtoyEchoDirect", GENERIC_READ | GENERIC_WRITE, 0, NULL,
                                OPEN_EXISTING, 0, NULL);
    if (direct == INVALID_HANDLE_VALUE) {
        failures += fail("CreateFileW(\\\\.\\NtoyEchoDirect)");
    } else {
        for (DWORD i = 0; i < sizeof back; ++i)
            back[i] = 0;
        if (!WriteFile(direct, message, sizeof message, &done, NULL) || done != sizeof message)
            failures += fail("WriteFile(NtoyEchoDirect)");
        if (!ReadFile(direct, back, sizeof back, &done, NULL) || done != sizeof message)
            failures += fail("ReadFile(NtoyEchoDirect)");
        for (DWORD i = 0; i < sizeof message; ++i)
            if (back[i] != message[i]) {
                print_str("echo_client: the direct read came back wrong\n");
                ++failures;
                break;
            }
        CloseHandle(direct);
    }
    /* Odd workers leave the handle for their process's end to close: the driver's
     * IRP_MJ_CLOSE comes all the same, from a system thread. */
    if (number % 2 == 0)
        CloseHandle(device);
    return failures;
}

static BOOL start_child(char* line, PROCESS_INFORMATION* child) {
    STARTUPINFOA startup;
    volatile char* bytes = (volatile char*)&startup;
    for (SIZE_T i = 0; i < sizeof(startup); ++i)
        bytes[i] = 0;
    startup.cb = sizeof(startup);
    return CreateProcessA(NULL, line, NULL, NULL, FALSE, 0, NULL, NULL, &startup, child);
}

int start(void) {
    char role[16];
    unsigned long long number = 0;
    if (get_argument(1, role, sizeof role) && argument_is(1, "worker")) {
        get_number_argument(2, 1, &number);
        return (int)worker((unsigned)number);
    }
    unsigned long long processes = 4;
    get_number_argument(1, 4, &processes);
    if (processes < 1 || processes > 16) {
        print_str("usage: echo_client.exe [PROCESSES, 1 to 16]\n");
        return 100;
    }
    char self[MAX_PATH];
    GetModuleFileNameA(NULL, self, sizeof self);
    PROCESS_INFORMATION children[16];
    unsigned failures = 0;
    for (unsigned i = 1; i < processes; ++i) {
        char line[MAX_PATH + 32];
        char* at = line;
        *at++ = '"';
        for (const char* c = self; *c != '\0'; ++c)
            *at++ = *c;
        for (const char* c = "\" worker "; *c != '\0'; ++c)
            *at++ = *c;
        if (i >= 10)
            *at++ = (char)('0' + i / 10);
        *at++ = (char)('0' + i % 10);
        *at = '\0';
        if (!start_child(line, &children[i]))
            return (int)fail("CreateProcessA");
    }
    failures += worker(0);
    for (unsigned i = 1; i < processes; ++i) {
        DWORD code = 1;
        WaitForSingleObject(children[i].hProcess, INFINITE);
        GetExitCodeProcess(children[i].hProcess, &code);
        failures += code;
        CloseHandle(children[i].hProcess);
        CloseHandle(children[i].hThread);
    }
    print_dec(processes);
    print_str(failures == 0 ? " processes: every echo matched\n" : " processes: failures\n");
    return (int)failures;
}
