/* poolmon, as Sysinternals' and the WDK's: the pool tags using the most memory, from
 * NtQuerySystemInformation(SystemPoolTagInformation). One snapshot, sorted by bytes in use
 * (paged and nonpaged together); the argument is how many tags to show (default 20).
 * Runs on ntoy as it is; on Windows it needs the same rights poolmon does. */
#include "common/command_line.h"
#include "common/pool_tags.h"
#include "common/print.h"

#define STATUS_INFO_LENGTH_MISMATCH_ 0xC0000004u

static void print_padded(unsigned long long value, int width) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    for (int i = n; i < width; ++i) {
        print_str(" ");
    }
    while (n > 0) {
        char c[2] = {digits[--n], 0};
        print_str(c);
    }
}

static void print_row(const char* tag, const char* type, ULONG allocs, ULONG frees,
                      SIZE_T bytes) {
    print_str(" ");
    print_str(tag);
    print_str(" ");
    print_str(type);
    print_padded(allocs, 10);
    print_padded(frees, 10);
    print_padded(allocs - frees, 10);
    print_padded(bytes, 12);
    print_str("\n");
}

int start(void) {
    char argument[32];
    unsigned long long shown = 20;
    if (get_argument(1, argument, sizeof(argument))) {
        shown = 0;
        for (const char* p = argument; *p >= '0' && *p <= '9'; ++p) {
            shown = shown * 10 + (unsigned long long)(*p - '0');
        }
    }
    HANDLE heap = GetProcessHeap();
    ULONG length = 4096;
    PoolTagInformation* info = NULL;
    for (;;) {
        info = (PoolTagInformation*)HeapAlloc(heap, 0, length);
        if (info == NULL) {
            print_str("poolmon: out of memory\n");
            return 1;
        }
        ULONG needed = 0;
        NTSTATUS status =
            NtQuerySystemInformation(SYSTEM_POOL_TAG_INFORMATION, info, length, &needed);
        if (status == 0) {
            break;
        }
        HeapFree(heap, 0, info);
        if ((ULONG)status != STATUS_INFO_LENGTH_MISMATCH_ || needed <= length) {
            print_str("poolmon: NtQuerySystemInformation failed: ");
            print_hex((ULONG)status);
            print_str("\n");
            return 1;
        }
        length = needed + 1024; /* room for tags that appear before the next call */
    }
    /* Selection sort by bytes in use: a few hundred tags at most. */
    for (ULONG i = 0; i < info->Count; ++i) {
        for (ULONG j = i + 1; j < info->Count; ++j) {
            SIZE_T a = info->TagInfo[i].PagedUsed + info->TagInfo[i].NonPagedUsed;
            SIZE_T b = info->TagInfo[j].PagedUsed + info->TagInfo[j].NonPagedUsed;
            if (b > a) {
                PoolTag t = info->TagInfo[i];
                info->TagInfo[i] = info->TagInfo[j];
                info->TagInfo[j] = t;
            }
        }
    }
    print_str(" Tag  Type       Allocs     Frees      Diff       Bytes\n");
    for (ULONG i = 0; i < info->Count && i < shown; ++i) {
        const PoolTag* t = &info->TagInfo[i];
        char tag[5];
        for (int k = 0; k < 4; ++k) {
            const unsigned char c = (unsigned char)(t->Tag >> (8 * k));
            tag[k] = c >= 0x20 && c < 0x7F ? (char)c : '.';
        }
        tag[4] = 0;
        if (t->NonPagedAllocs != 0) {
            print_row(tag, "Nonp ", t->NonPagedAllocs, t->NonPagedFrees, t->NonPagedUsed);
        }
        if (t->PagedAllocs != 0) {
            print_row(tag, "Paged", t->PagedAllocs, t->PagedFrees, t->PagedUsed);
        }
    }
    HeapFree(heap, 0, info);
    return 0;
}
