/* The seeds' bug, shown (docs/drivers.md): `ntoy run --driver images/ntoystash.sys
 * images/stash_client.exe`. This process hands ntoystash.sys a pointer to its buffer
 * (METHOD_NEITHER), then starts a copy of itself, which asks the driver to fire its DPC. The
 * DPC runs in the copy's process and writes there, at the same address: into the copy's own
 * buffer. This one's buffer never changes.
 * `stash_client.exe locked` shows the fix: the driver locks this process's buffer with an MDL
 * and the DPC writes through the system mapping, into this buffer, from the copy's process. */
#include <windows.h>

#include "../drivers/ntoystash_ioctl.h"
#include "common/command_line.h"
#include "common/print.h"

/* The same address in both processes: one executable, loaded at the same base. */
static char buffer[STASH_BYTES] = "untouched";

static HANDLE open_stash(void) {
    HANDLE h = CreateFileW(L"\\\\.\\NtoyStash", GENERIC_READ | GENERIC_WRITE, 0, NULL,
                           OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE)
        print_last_error("CreateFileW(\\\\.\\NtoyStash)");
    return h;
}

static void show(const char* who) {
    print_str(who);
    print_str(" (process ");
    print_dec(GetCurrentProcessId());
    print_str("): buffer at ");
    print_hex((unsigned long long)(ULONG_PTR)buffer);
    print_str(" says \"");
    print_str(buffer);
    print_str("\"\n");
}

int start(void) {
    HANDLE device = open_stash();
    if (device == INVALID_HANDLE_VALUE)
        return 1;
    DWORD returned;
    if (argument_is(1, "fire")) {
        show("firing process, before");
        if (!DeviceIoControl(device, IOCTL_STASH_FIRE, NULL, 0, NULL, 0, &returned, NULL)) {
            print_last_error("DeviceIoControl(FIRE)");
            return 1;
        }
        show("firing process, after ");
        CloseHandle(device);
        return 0;
    }
    /* `locked-noaccess` makes the locked page inaccessible while the driver holds it (its PTE
     * goes transition, its frame must stay the driver's), then accessible again to read it. */
    const BOOL noaccess = argument_is(1, "locked-noaccess");
    const DWORD remember = argument_is(1, "locked") || argument_is(1, "locked-exit") || noaccess
                               ? IOCTL_STASH_REMEMBER_LOCKED
                               : IOCTL_STASH_REMEMBER;
    if (!DeviceIoControl(device, remember, NULL, 0, buffer, sizeof buffer, &returned, NULL)) {
        print_last_error("DeviceIoControl(REMEMBER)");
        return 1;
    }
    show("requesting process, before");
    DWORD old_protection = 0;
    if (noaccess && !VirtualProtect(buffer, sizeof buffer, PAGE_NOACCESS, &old_protection)) {
        print_last_error("VirtualProtect(PAGE_NOACCESS)");
        return 1;
    }
    char self[MAX_PATH], line[MAX_PATH + 16];
    GetModuleFileNameA(NULL, self, sizeof self);
    char* at = line;
    *at++ = '"';
    for (const char* c = self; *c != '\0'; ++c)
        *at++ = *c;
    for (const char* c = "\" fire"; *c != '\0'; ++c)
        *at++ = *c;
    *at = '\0';
    STARTUPINFOA startup;
    volatile char* bytes = (volatile char*)&startup;
    for (SIZE_T i = 0; i < sizeof startup; ++i)
        bytes[i] = 0;
    startup.cb = sizeof startup;
    PROCESS_INFORMATION child;
    if (!CreateProcessA(NULL, line, NULL, NULL, FALSE, 0, NULL, NULL, &startup, &child)) {
        print_last_error("CreateProcessA");
        return 1;
    }
    WaitForSingleObject(child.hProcess, INFINITE);
    if (noaccess && !VirtualProtect(buffer, sizeof buffer, old_protection, &old_protection)) {
        print_last_error("VirtualProtect(back)");
        return 1;
    }
    show("requesting process, after ");
    /* `locked-exit` leaves the handle (and the driver's lock on our page) for the process's end:
     * the page goes before the driver's close unlocks it, which must lose nothing. */
    if (!argument_is(1, "locked-exit"))
        CloseHandle(device);
    return 0;
}
