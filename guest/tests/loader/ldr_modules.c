/* PEB->Ldr as programs walk it, and GetModuleHandle. The three lists hold one
 * LDR_DATA_TABLE_ENTRY per module, at Windows' x64 offsets (declared here, as programs
 * that walk the PEB declare them): in load order the executable, then ntdll, then the rest;
 * in initialisation order ntdll first and the executable absent. */
#include "../framework/ntoy_gs.h"
#include "../framework/ntoy_test.h"

typedef struct {
    USHORT Length;
    USHORT MaximumLength;
    WCHAR* Buffer;
} Name;

typedef struct {
    ULONG Length;
    BOOLEAN Initialized;
    PVOID SsHandle;
    LIST_ENTRY InLoadOrderModuleList;           /* 0x10 */
    LIST_ENTRY InMemoryOrderModuleList;         /* 0x20 */
    LIST_ENTRY InInitializationOrderModuleList; /* 0x30 */
} LoaderData;

typedef struct {
    LIST_ENTRY InLoadOrderLinks;           /* 0x00 */
    LIST_ENTRY InMemoryOrderLinks;         /* 0x10 */
    LIST_ENTRY InInitializationOrderLinks; /* 0x20 */
    PVOID DllBase;                         /* 0x30 */
    PVOID EntryPoint;                      /* 0x38 */
    ULONG SizeOfImage;                     /* 0x40 */
    Name FullDllName;                      /* 0x48 */
    Name BaseDllName;                      /* 0x58 */
} Entry;

#define ENTRY_FROM(link, member) ((Entry*)((char*)(link) - __builtin_offsetof(Entry, member)))

static LoaderData* loader_data(void) {
    char* peb = (char*)ntoy_read_gs(0x60);
    return *(LoaderData**)(peb + 0x18);
}

static WCHAR upper(WCHAR c) {
    return c >= L'a' && c <= L'z' ? (WCHAR)(c - L'a' + L'A') : c;
}

static BOOL name_is(const Name* name, const WCHAR* expected) {
    USHORT i = 0;
    for (; i < name->Length / 2; ++i) {
        if (expected[i] == L'\0' || upper(name->Buffer[i]) != upper(expected[i])) {
            return FALSE;
        }
    }
    return expected[i] == L'\0';
}

/* The entry for NAME in the list at HEAD whose links are at OFFSET in each entry. */
static Entry* find(LIST_ENTRY* head, SIZE_T offset, const WCHAR* name) {
    for (LIST_ENTRY* link = head->Flink; link != head; link = link->Flink) {
        Entry* entry = (Entry*)((char*)link - offset);
        if (name_is(&entry->BaseDllName, name)) {
            return entry;
        }
    }
    return NULL;
}

/* Whether a list is well formed (every Blink undoes its Flink) and how long it is. */
static int list_length(LIST_ENTRY* head) {
    int count = 0;
    for (LIST_ENTRY* link = head->Flink; link != head; link = link->Flink) {
        if (link->Flink->Blink != link || link->Blink->Flink != link || ++count > 1000) {
            return -1;
        }
    }
    return count;
}

static void test_get_module_handle(void) {
    HMODULE kernel32 = GetModuleHandleA("kernel32.dll");
    CHECK_NE("GetModuleHandleA(\"kernel32.dll\")", (ULONG_PTR)kernel32, 0);
    CHECK_EQ("GetModuleHandleA(\"KERNEL32\"): .dll assumed, case ignored",
             (ULONG_PTR)GetModuleHandleA("KERNEL32"), (ULONG_PTR)kernel32);
    CHECK_EQ("GetModuleHandleW(L\"Kernel32.Dll\")", (ULONG_PTR)GetModuleHandleW(L"Kernel32.Dll"),
             (ULONG_PTR)kernel32);
    CHECK_NE("GetModuleHandleA(\"ntdll\")", (ULONG_PTR)GetModuleHandleA("ntdll"), 0);
    CHECK_EQ("GetModuleHandleA(NULL) is PEB->ImageBaseAddress", (ULONG_PTR)GetModuleHandleA(NULL),
             *(ULONG_PTR*)(ntoy_read_gs(0x60) + 0x10));
    CHECK_EQ("the kernel32 handle is where its MZ header is", *(WORD*)kernel32, 0x5A4D);
    SetLastError(0);
    CHECK_EQ("GetModuleHandleA of a module not loaded", (ULONG_PTR)GetModuleHandleA("absent.dll"),
             0);
    CHECK_DEC("... ERROR_MOD_NOT_FOUND for a module not loaded", GetLastError(),
              ERROR_MOD_NOT_FOUND);
    SetLastError(0);
    CHECK_EQ("GetModuleHandleA(\"kernel32.\"): a trailing dot means no extension",
             (ULONG_PTR)GetModuleHandleA("kernel32."), 0);
    CHECK_DEC("... ERROR_MOD_NOT_FOUND for no extension", GetLastError(), ERROR_MOD_NOT_FOUND);
}

static void test_lists(void) {
    LoaderData* ldr = loader_data();
    if (!CHECK_NE("PEB->Ldr is set", (ULONG_PTR)ldr, 0)) {
        return;
    }
    CHECK_EQ("PEB_LDR_DATA.Length", ldr->Length, 0x58);
    CHECK_DEC("PEB_LDR_DATA.Initialized", ldr->Initialized, 1);
    int loaded = list_length(&ldr->InLoadOrderModuleList);
    CHECK_TRUE("load order list: well formed, executable + ntdll + kernel32 at least", loaded >= 3);
    CHECK_DEC("memory order list: the same modules", list_length(&ldr->InMemoryOrderModuleList),
              loaded);
    CHECK_DEC("initialisation order list: all but the executable",
              list_length(&ldr->InInitializationOrderModuleList), loaded - 1);

    Entry* first = (Entry*)ldr->InLoadOrderModuleList.Flink;
    CHECK_EQ("load order: the executable first", (ULONG_PTR)first->DllBase,
             (ULONG_PTR)GetModuleHandleA(NULL));
    CHECK_TRUE("load order: ntdll second",
               name_is(&((Entry*)first->InLoadOrderLinks.Flink)->BaseDllName, L"ntdll.dll"));
    Entry* init_first =
        ENTRY_FROM(ldr->InInitializationOrderModuleList.Flink, InInitializationOrderLinks);
    CHECK_TRUE("initialisation order: ntdll first",
               name_is(&init_first->BaseDllName, L"ntdll.dll"));
    Entry* memory_first = ENTRY_FROM(ldr->InMemoryOrderModuleList.Flink, InMemoryOrderLinks);
    CHECK_EQ("memory order: the executable first", (ULONG_PTR)memory_first, (ULONG_PTR)first);

    Entry* kernel32 = find(&ldr->InLoadOrderModuleList, 0, L"kernel32.dll");
    if (!CHECK_NE("kernel32.dll is in the load order list", (ULONG_PTR)kernel32, 0)) {
        return;
    }
    CHECK_EQ("... and the memory order list",
             (ULONG_PTR)find(&ldr->InMemoryOrderModuleList, 0x10, L"kernel32.dll"),
             (ULONG_PTR)kernel32);
    CHECK_EQ("... and the initialisation order list",
             (ULONG_PTR)find(&ldr->InInitializationOrderModuleList, 0x20, L"kernel32.dll"),
             (ULONG_PTR)kernel32);
    CHECK_EQ("kernel32: DllBase is its module handle", (ULONG_PTR)kernel32->DllBase,
             (ULONG_PTR)GetModuleHandleA("kernel32.dll"));

    /* Every entry describes its image as its headers do. */
    for (LIST_ENTRY* link = ldr->InLoadOrderModuleList.Flink; link != &ldr->InLoadOrderModuleList;
         link = link->Flink) {
        Entry* entry = (Entry*)link;
        char* base = entry->DllBase;
        IMAGE_NT_HEADERS64* nt = (IMAGE_NT_HEADERS64*)(base + ((IMAGE_DOS_HEADER*)base)->e_lfanew);
        char name[64];
        SIZE_T i = 0;
        for (; i < entry->BaseDllName.Length / 2 && i < sizeof(name) - 1; ++i) {
            name[i] = (char)entry->BaseDllName.Buffer[i];
        }
        name[i] = '\0';
        char check[128];
        CHECK_EQ(test_name(check, sizeof(check), name, ": SizeOfImage"), entry->SizeOfImage,
                 nt->OptionalHeader.SizeOfImage);
        DWORD entry_rva = nt->OptionalHeader.AddressOfEntryPoint;
        CHECK_EQ(test_name(check, sizeof(check), name, ": EntryPoint"),
                 (ULONG_PTR)entry->EntryPoint, entry_rva == 0 ? 0 : (ULONG_PTR)(base + entry_rva));
        SIZE_T full = entry->FullDllName.Length / 2;
        SIZE_T short_name = entry->BaseDllName.Length / 2;
        CHECK_TRUE(test_name(check, sizeof(check), name, ": BaseDllName is the end of FullDllName"),
                   full >= short_name &&
                       entry->BaseDllName.Buffer == entry->FullDllName.Buffer + full - short_name);
        CHECK_EQ(test_name(check, sizeof(check), name, ": GetModuleHandleW(BaseDllName)"),
                 (ULONG_PTR)GetModuleHandleW(entry->BaseDllName.Buffer), (ULONG_PTR)base);
        CHECK_EQ(test_name(check, sizeof(check), name, ": GetModuleHandleW(FullDllName)"),
                 (ULONG_PTR)GetModuleHandleW(entry->FullDllName.Buffer), (ULONG_PTR)base);
    }
}

int start(void) {
    test_get_module_handle();
    test_lists();
    return test_done();
}
