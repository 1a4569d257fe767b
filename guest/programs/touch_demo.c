/* The README's demonstration: reserve a region, commit part of it, touch the committed pages
 * (each first touch is a demand-zero page fault), change protections, and show the region
 * map that VirtualQuery reports after each step. */
#include "common/print.h"

#define DEMO_PAGE_SIZE 4096
#define DEMO_RESERVED_PAGES 64
#define DEMO_COMMITTED_PAGES 16

typedef struct NamedValue {
    DWORD value;
    const char* name;
} NamedValue;

static const NamedValue kStateNames[] = {
    {MEM_COMMIT, "committed"},
    {MEM_RESERVE, "reserved"},
    {MEM_FREE, "free"},
};

static const NamedValue kProtectionNames[] = {
    {PAGE_NOACCESS, "no access"},
    {PAGE_READONLY, "read-only"},
    {PAGE_READWRITE, "read/write"},
    {PAGE_WRITECOPY, "write-copy"},
    {PAGE_EXECUTE, "execute"},
    {PAGE_EXECUTE_READ, "execute/read"},
    {PAGE_EXECUTE_READWRITE, "execute/read/write"},
    {PAGE_EXECUTE_WRITECOPY, "execute/write-copy"},
};

static const char* name_of(const NamedValue* names, int count, DWORD value) {
    for (int i = 0; i < count; ++i) {
        if (names[i].value == value) {
            return names[i].name;
        }
    }
    return "?";
}

static const char* state_name(DWORD state) {
    return name_of(kStateNames, sizeof(kStateNames) / sizeof(kStateNames[0]), state);
}

/* The base protection, without modifiers such as PAGE_GUARD. */
static const char* protection_name(DWORD protection) {
    return name_of(kProtectionNames, sizeof(kProtectionNames) / sizeof(kProtectionNames[0]),
                   protection & 0xFF);
}

/* One line per region VirtualQuery reports between BASE and BASE + SIZE. */
static void print_regions(const char* title, unsigned char* base, SIZE_T size) {
    print_str(title);
    print_str("\n");
    unsigned char* cursor = base;
    while (cursor < base + size) {
        MEMORY_BASIC_INFORMATION info;
        if (VirtualQuery(cursor, &info, sizeof(info)) != sizeof(info)) {
            print_last_error("  VirtualQuery failed");
            return;
        }
        SIZE_T pages = info.RegionSize / DEMO_PAGE_SIZE;
        print_str("  ");
        print_hex_width((ULONG_PTR)info.BaseAddress, 12);
        print_str("  ");
        print_dec(pages);
        print_str(pages == 1 ? " page, " : " pages, ");
        print_str(state_name(info.State));
        if (info.State == MEM_COMMIT) {
            print_str(", ");
            print_str(protection_name(info.Protect));
        }
        print_str("\n");
        cursor = (unsigned char*)info.BaseAddress + info.RegionSize;
    }
}

int start(void) {
    SYSTEM_INFO system;
    GetSystemInfo(&system);
    print_str("ntoy touch demo\n");
    print_str("system: page size ");
    print_dec(system.dwPageSize);
    print_str(", allocation granularity ");
    print_dec(system.dwAllocationGranularity);
    print_str(", ");
    print_dec(system.dwNumberOfProcessors);
    print_str(" processor(s)\n");
    print_str("user address space: ");
    print_hex((ULONG_PTR)system.lpMinimumApplicationAddress);
    print_str(" .. ");
    print_hex((ULONG_PTR)system.lpMaximumApplicationAddress);
    print_str("\n\n");

    const SIZE_T reserved_size = DEMO_RESERVED_PAGES * DEMO_PAGE_SIZE;
    unsigned char* region = VirtualAlloc(NULL, reserved_size, MEM_RESERVE, PAGE_READWRITE);
    if (region == NULL) {
        print_last_error("VirtualAlloc(MEM_RESERVE) failed");
        return 1;
    }
    print_str("reserved ");
    print_dec(DEMO_RESERVED_PAGES);
    print_str(" pages at ");
    print_hex((ULONG_PTR)region);
    print_str(": address space only, no memory yet\n");

    if (VirtualAlloc(region, DEMO_COMMITTED_PAGES * DEMO_PAGE_SIZE, MEM_COMMIT, PAGE_READWRITE) !=
        region) {
        print_last_error("VirtualAlloc(MEM_COMMIT) failed");
        return 1;
    }
    print_str("committed the first ");
    print_dec(DEMO_COMMITTED_PAGES);
    print_str(" pages: the memory is promised, but no page is mapped until touched\n");

    unsigned long long checksum = 0;
    for (int page = 0; page < DEMO_COMMITTED_PAGES; ++page) {
        volatile unsigned char* byte = region + page * DEMO_PAGE_SIZE;
        *byte = (unsigned char)(page + 1); /* first touch: a demand-zero page fault */
        checksum += *byte;
    }
    print_str("touched each committed page once (");
    print_dec(DEMO_COMMITTED_PAGES);
    print_str(" page faults), checksum ");
    print_dec(checksum);
    print_str("\n\n");
    print_regions("regions after committing and touching:", region, reserved_size);

    DWORD old_protection = 0;
    if (!VirtualProtect(region + 4 * DEMO_PAGE_SIZE, 4 * DEMO_PAGE_SIZE, PAGE_READONLY,
                        &old_protection)) {
        print_last_error("VirtualProtect failed");
        return 1;
    }
    print_str("\nmade pages 4-7 read-only (they were ");
    print_str(protection_name(old_protection));
    print_str(")\n");
    print_regions("regions now:", region, reserved_size);

    if (!VirtualFree(region + 8 * DEMO_PAGE_SIZE, 8 * DEMO_PAGE_SIZE, MEM_DECOMMIT)) {
        print_last_error("VirtualFree(MEM_DECOMMIT) failed");
        return 1;
    }
    print_str("\ndecommitted pages 8-15: back to reserved, their contents gone\n");
    print_regions("regions now:", region, reserved_size);

    if (!VirtualFree(region, 0, MEM_RELEASE)) {
        print_last_error("VirtualFree(MEM_RELEASE) failed");
        return 1;
    }
    print_str("\nreleased the whole reservation\n");
    print_regions("regions now:", region, reserved_size);
    print_str("\ndone\n");
    return 0;
}
