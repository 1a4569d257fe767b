/* ntdll's loader: PEB->Ldr with its three module lists, reference counts, DllMain, process
 * start-up and shut-down, and the Ldr* exports kernel32's LoadLibrary, FreeLibrary,
 * GetModuleHandle and GetProcAddress are built on. loader.h has the split with the kernel.
 *
 * Modules mapped with the process (the executable and everything it imports) are pinned:
 * they never unload, as on Windows. A DLL loaded at run time starts with one reference for
 * the caller; each module holds one reference on every module its imports were bound to
 * (and on the targets of forwarders it resolved at run time), so FreeLibrary to zero unloads
 * the DLL and then whatever only it kept loaded. DllMain runs dependencies first
 * (DLL_PROCESS_ATTACH) and in the reverse order at the end (DLL_PROCESS_DETACH). Import
 * cycles among DLLs loaded at run time keep each other loaded. */
#include "loader.h"
#include "heap_internal.h"
#include "ntoy/mapped_images.h"
#include "ntoy/nt_status.h"
#include "ntoy/ntdll_exports.h"
#include "ntoy/teb.h"
#include "threads.h"

#define MAX_DLL_NAME 255 /* a file name: the kernel takes nothing longer */

static PEB_LDR_DATA loader_data;
static LoaderModule* executable;
static ULONG last_serial; /* of the last image the kernel told us about */

/* ---- The loader lock: recursive, because DllMain may load and free libraries ------------- */

static volatile LONG lock_owner; /* the owning thread's id; 0 when free */
static ULONG lock_depth;

/* Spins this many times before giving the processor away: the owner may be a thread the
 * scheduler preempted, which only runs again once this one yields. */
#define LOCK_SPINS_BEFORE_YIELD 64

void ldrp_lock_loader(void) {
    LONG me = (LONG)ntoy_current_thread_id();
    if (__atomic_load_n(&lock_owner, __ATOMIC_RELAXED) == me) {
        ++lock_depth;
        return;
    }
    LONG expected = 0;
    ULONG spins = 0;
    while (!__atomic_compare_exchange_n(&lock_owner, &expected, me, FALSE, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED)) {
        expected = 0;
        if (++spins % LOCK_SPINS_BEFORE_YIELD == 0) {
            NtYieldExecution();
        } else {
            __builtin_ia32_pause();
        }
    }
    lock_depth = 1;
}

void ldrp_unlock_loader(void) {
    if (--lock_depth == 0) {
        __atomic_store_n(&lock_owner, 0, __ATOMIC_RELEASE);
    }
}

/* ---- Lists --------------------------------------------------------------------------------- */

static void list_init(PLIST_ENTRY head) {
    head->Flink = head;
    head->Blink = head;
}

static void list_append(PLIST_ENTRY head, PLIST_ENTRY entry) {
    entry->Flink = head;
    entry->Blink = head->Blink;
    head->Blink->Flink = entry;
    head->Blink = entry;
}

/* Unlinks ENTRY if it is linked (a module is in the initialisation list only once its
 * initialisation has begun). */
static void list_remove(PLIST_ENTRY entry) {
    if (entry->Flink == NULL) {
        return;
    }
    entry->Blink->Flink = entry->Flink;
    entry->Flink->Blink = entry->Blink;
    entry->Flink = NULL;
    entry->Blink = NULL;
}

#define MODULE_FROM_INIT_LINKS(link) \
    ((LoaderModule*)((BYTE*)(link)-offsetof(LDR_DATA_TABLE_ENTRY, InInitializationOrderLinks)))

LoaderModule* ldrp_first_module(VOID) {
    PLIST_ENTRY head = &loader_data.InLoadOrderModuleList;
    return head->Flink == NULL || head->Flink == head ? NULL : (LoaderModule*)head->Flink;
}

LoaderModule* ldrp_next_module(LoaderModule* module) {
    PLIST_ENTRY next = module->Entry.InLoadOrderLinks.Flink;
    return next == &loader_data.InLoadOrderModuleList ? NULL : (LoaderModule*)next;
}

static LoaderModule* find_by_base(PVOID base) {
    for (LoaderModule* m = ldrp_first_module(); m != NULL; m = ldrp_next_module(m)) {
        if (m->Entry.DllBase == base) {
            return m;
        }
    }
    return NULL;
}

/* ---- Names ------------------------------------------------------------------------------- */

static WCHAR fold_case(WCHAR c) {
    if (c >= L'a' && c <= L'z') {
        return (WCHAR)(c - L'a' + L'A');
    }
    return c == L'/' ? L'\\' : c;
}

/* A module name as Windows reads one: compared with the full path when it has a path and
 * with the file name otherwise, with ".dll" assumed when it has no extension and a trailing
 * '.' meaning "no extension". */
typedef struct ModuleName {
    const WCHAR* text;
    SIZE_T length; /* characters, without the suffix */
    const WCHAR* suffix;
    BOOLEAN has_path;
} ModuleName;

static ModuleName parse_module_name(const UNICODE_STRING* name) {
    ModuleName parsed = {name->Buffer, name->Length / sizeof(WCHAR), L"", FALSE};
    BOOLEAN has_extension = FALSE;
    for (SIZE_T i = 0; i < parsed.length; ++i) {
        WCHAR c = parsed.text[i];
        if (c == L'\\' || c == L'/') {
            parsed.has_path = TRUE;
            has_extension = FALSE;
        } else if (c == L'.') {
            has_extension = TRUE;
        }
    }
    if (!has_extension) {
        parsed.suffix = L".dll";
    }
    if (parsed.length > 0 && parsed.text[parsed.length - 1] == L'.') {
        --parsed.length;
    }
    return parsed;
}

static BOOLEAN name_matches(const ModuleName* name, const UNICODE_STRING* candidate) {
    SIZE_T suffix_length = 0;
    while (name->suffix[suffix_length] != L'\0') {
        ++suffix_length;
    }
    if (candidate->Buffer == NULL ||
        candidate->Length / sizeof(WCHAR) != name->length + suffix_length) {
        return FALSE;
    }
    for (SIZE_T i = 0; i < name->length; ++i) {
        if (fold_case(candidate->Buffer[i]) != fold_case(name->text[i])) {
            return FALSE;
        }
    }
    for (SIZE_T i = 0; i < suffix_length; ++i) {
        if (fold_case(candidate->Buffer[name->length + i]) != fold_case(name->suffix[i])) {
            return FALSE;
        }
    }
    return TRUE;
}

static LoaderModule* find_by_name(const ModuleName* name) {
    for (LoaderModule* m = ldrp_first_module(); m != NULL; m = ldrp_next_module(m)) {
        if (name_matches(name, name->has_path ? &m->Entry.FullDllName : &m->Entry.BaseDllName)) {
            return m;
        }
    }
    return NULL;
}

/* RtlHashUnicodeString's x65599 hash over the upper-cased name, as BaseNameHashValue holds. */
static ULONG hash_name(const UNICODE_STRING* name) {
    ULONG hash = 0;
    for (SIZE_T i = 0; i < name->Length / sizeof(WCHAR); ++i) {
        WCHAR c = name->Buffer[i];
        hash = hash * 65599 + (c >= L'a' && c <= L'z' ? c - L'a' + L'A' : c);
    }
    return hash;
}

/* ---- References ---------------------------------------------------------------------------- */

static void set_load_count(LoaderModule* module, ULONG count) {
    module->Node.LoadCount = count;
    module->Entry.ObsoleteLoadCount =
        count == LDRP_PINNED ? 0xFFFF : (USHORT)(count < 0xFFFE ? count : 0xFFFE);
}

static void add_reference(LoaderModule* module) {
    if (module->Node.LoadCount != LDRP_PINNED) {
        set_load_count(module, module->Node.LoadCount + 1);
    }
}

/* Records that MODULE keeps DEPENDENCY loaded; FALSE if it already did (or cannot). */
static BOOLEAN add_dependency(LoaderModule* module, LoaderModule* dependency) {
    if (dependency == module) {
        return FALSE;
    }
    for (ULONG i = 0; i < module->DependencyCount; ++i) {
        if (module->Dependencies[i] == dependency) {
            return FALSE;
        }
    }
    if (module->DependencyCount == module->DependencyCapacity) {
        ULONG capacity = module->DependencyCapacity == 0 ? 4 : module->DependencyCapacity * 2;
        LoaderModule** grown = ldrp_allocate(capacity * sizeof(LoaderModule*));
        if (grown == NULL) {
            return FALSE;
        }
        memcpy(grown, module->Dependencies, module->DependencyCount * sizeof(LoaderModule*));
        ldrp_free(module->Dependencies);
        module->Dependencies = grown;
        module->DependencyCapacity = capacity;
    }
    module->Dependencies[module->DependencyCount++] = dependency;
    return TRUE;
}

static void release_reference(LoaderModule* module);

/* Calls DllMain (and the TLS callbacks first) with DLL_PROCESS_DETACH, once. */
static void detach(LoaderModule* module, BOOLEAN process_exit) {
    if ((module->Entry.Flags & LDRP_PROCESS_ATTACH_CALLED) == 0) {
        return;
    }
    module->Entry.Flags &= ~LDRP_PROCESS_ATTACH_CALLED;
    ldrp_tls_call_callbacks(module, DLL_PROCESS_DETACH);
    PDLL_INIT_ROUTINE entry_point = module->Entry.EntryPoint;
    if (entry_point != NULL && (module->Entry.Flags & LDRP_IMAGE_DLL) != 0) {
        entry_point(module->Entry.DllBase, DLL_PROCESS_DETACH, process_exit ? (PVOID)1 : NULL);
    }
}

/* The last reference went: detach, drop what it kept loaded, unmap, forget. */
static void unload(LoaderModule* module) {
    module->Node.State = LdrModulesUnloading;
    detach(module, FALSE);
    list_remove(&module->Entry.InInitializationOrderLinks);
    list_remove(&module->Entry.InMemoryOrderLinks);
    list_remove(&module->Entry.InLoadOrderLinks);
    for (ULONG i = 0; i < module->DependencyCount; ++i) {
        release_reference(module->Dependencies[i]);
    }
    ldrp_tls_detach(module);
    NtUnmapViewOfSection(NtCurrentProcess(), module->Entry.DllBase);
    ldrp_free(module->Dependencies);
    ldrp_free(module);
}

static void release_reference(LoaderModule* module) {
    ULONG count = module->Node.LoadCount;
    if (count == LDRP_PINNED || count == 0) {
        return;
    }
    set_load_count(module, count - 1);
    if (count == 1) {
        unload(module);
    }
}

/* ---- What the kernel mapped ---------------------------------------------------------------- */

static LoaderModule* create_module(const NTOY_MAPPED_IMAGE* record) {
    SIZE_T path_bytes = record->PathLength;
    LoaderModule* module = ldrp_allocate(sizeof(LoaderModule) + path_bytes + sizeof(WCHAR));
    if (module == NULL) {
        return NULL;
    }
    memcpy(module->Path, (const BYTE*)record + record->PathOffset, path_bytes);
    module->Serial = record->Serial;

    PVOID base = (PVOID)record->ImageBase;
    PIMAGE_NT_HEADERS64 nt = ntoy_image_nt_headers(base);
    LDR_DATA_TABLE_ENTRY* entry = &module->Entry;
    entry->DllBase = base;
    entry->EntryPoint = nt->OptionalHeader.AddressOfEntryPoint == 0
                            ? NULL
                            : (BYTE*)base + nt->OptionalHeader.AddressOfEntryPoint;
    entry->SizeOfImage = record->SizeOfImage;
    entry->FullDllName.Length = (USHORT)path_bytes;
    entry->FullDllName.MaximumLength = (USHORT)(path_bytes + sizeof(WCHAR));
    entry->FullDllName.Buffer = module->Path;
    entry->BaseDllName.Length = (USHORT)(path_bytes - record->FileNameOffset);
    entry->BaseDllName.MaximumLength = (USHORT)(entry->BaseDllName.Length + sizeof(WCHAR));
    entry->BaseDllName.Buffer = module->Path + record->FileNameOffset / sizeof(WCHAR);
    entry->Flags = LDRP_IN_LEGACY_LISTS |
                   ((nt->FileHeader.Characteristics & IMAGE_FILE_DLL) != 0 ? LDRP_IMAGE_DLL : 0);
    list_init(&entry->HashLinks);
    entry->TimeDateStamp = nt->FileHeader.TimeDateStamp;
    entry->CheckSum = nt->OptionalHeader.CheckSum;
    entry->DdagNode = &module->Node;
    list_init(&module->Node.Modules);
    list_append(&module->Node.Modules, &entry->NodeModuleLink);
    module->Node.State = LdrModulesMapped;
    entry->BaseNameHashValue = hash_name(&entry->BaseDllName);
    entry->ReferenceCount = 1;

    list_append(&loader_data.InLoadOrderModuleList, &entry->InLoadOrderLinks);
    list_append(&loader_data.InMemoryOrderModuleList, &entry->InMemoryOrderLinks);
    return module;
}

/* Creates a module for every image the kernel mapped since the last call, in mapping order,
 * with LOAD_REASON, and gives each a reference on the modules its imports were bound to.
 * *FIRST_NEW is the first one created, or NULL. */
static NTSTATUS take_new_images(ULONG load_reason, LoaderModule** first_new) {
    *first_new = NULL;
    ULONG needed = 0;
    NTSTATUS status = NtQueryMappedImages(last_serial, NULL, 0, &needed);
    BYTE* buffer = NULL;
    while (status == STATUS_INFO_LENGTH_MISMATCH) {
        ldrp_free(buffer);
        buffer = ldrp_allocate(needed);
        if (buffer == NULL) {
            return STATUS_NO_MEMORY;
        }
        status = NtQueryMappedImages(last_serial, buffer, needed, &needed);
    }
    if (!NT_SUCCESS(status) || buffer == NULL) {
        ldrp_free(buffer);
        return status;
    }

    const NTOY_MAPPED_IMAGE* record = (const NTOY_MAPPED_IMAGE*)buffer;
    for (;;) {
        LoaderModule* module = create_module(record);
        if (module == NULL) {
            status = STATUS_NO_MEMORY; /* the rest is taken on the next call */
            break;
        }
        module->Entry.LoadReason = load_reason;
        last_serial = record->Serial;
        if (*first_new == NULL) {
            *first_new = module;
        }
        if (record->NextEntryOffset == 0) {
            break;
        }
        record = (const NTOY_MAPPED_IMAGE*)((const BYTE*)record + record->NextEntryOffset);
    }
    /* The bindings, now that every module they name exists. */
    record = (const NTOY_MAPPED_IMAGE*)buffer;
    for (LoaderModule* module = *first_new; module != NULL; module = ldrp_next_module(module)) {
        const unsigned long long* bindings =
            (const unsigned long long*)((const BYTE*)record + NTOY_MAPPED_IMAGE_BINDINGS_OFFSET);
        for (ULONG i = 0; i < record->BindingCount; ++i) {
            LoaderModule* bound = find_by_base((PVOID)bindings[i]);
            if (bound != NULL && add_dependency(module, bound)) {
                add_reference(bound);
            }
        }
        record = (const NTOY_MAPPED_IMAGE*)((const BYTE*)record + record->NextEntryOffset);
    }
    ldrp_free(buffer);
    return status;
}

/* ---- Initialisation -------------------------------------------------------------------- */

static NTSTATUS report_init_failure(LoaderModule* module);

/* Runs MODULE's initialisation after its dependencies': links it into the initialisation
 * order, then its TLS callbacks and DllMain with DLL_PROCESS_ATTACH (lpReserved non-NULL for
 * DLLs loaded with the process). Modules already initialised, or being initialised further
 * up (an import cycle), are skipped. The executable is not in the list; its TLS callbacks
 * run apart, after every DLL's. */
static NTSTATUS initialize_module(LoaderModule* module, BOOLEAN static_load) {
    if (module->Node.State >= LdrModulesInitializing) {
        return STATUS_SUCCESS;
    }
    module->Node.State = LdrModulesInitializing;
    for (ULONG i = 0; i < module->DependencyCount; ++i) {
        NTSTATUS status = initialize_module(module->Dependencies[i], static_load);
        if (!NT_SUCCESS(status)) {
            return status;
        }
    }
    if (module != executable) {
        list_append(&loader_data.InInitializationOrderModuleList,
                    &module->Entry.InInitializationOrderLinks);
        module->Entry.Flags |= LDRP_PROCESS_ATTACH_CALLED;
        loader_data.EntryInProgress = module;
        ldrp_tls_call_callbacks(module, DLL_PROCESS_ATTACH);
        PDLL_INIT_ROUTINE entry_point = module->Entry.EntryPoint;
        BOOLEAN attached = TRUE;
        if (entry_point != NULL && (module->Entry.Flags & LDRP_IMAGE_DLL) != 0) {
            attached = entry_point(module->Entry.DllBase, DLL_PROCESS_ATTACH,
                                   static_load ? (PVOID)1 : NULL);
        }
        loader_data.EntryInProgress = NULL;
        if (!attached) {
            module->Entry.Flags |= LDRP_PROCESS_ATTACH_FAILED;
            return static_load ? report_init_failure(module) : STATUS_DLL_INIT_FAILED;
        }
    }
    module->Entry.Flags |= LDRP_ENTRY_PROCESSED;
    module->Node.State = LdrModulesReadyToRun;
    return STATUS_SUCCESS;
}

/* A DLL of the process refused to start: say which, on the process's stderr (Windows shows
 * it in a hard-error message box), and end the process with STATUS_DLL_INIT_FAILED. */
static NTSTATUS report_init_failure(LoaderModule* module) {
    static const CHAR prefix[] = "the DLL initialization routine of ";
    static const CHAR suffix[] = " failed (DllMain returned FALSE): STATUS_DLL_INIT_FAILED\n";
    CHAR line[sizeof(prefix) + MAX_DLL_NAME + sizeof(suffix)];
    SIZE_T length = 0;
    for (SIZE_T i = 0; prefix[i] != '\0'; ++i) {
        line[length++] = prefix[i];
    }
    const UNICODE_STRING* name = &module->Entry.BaseDllName;
    for (SIZE_T i = 0; i < name->Length / sizeof(WCHAR) && i < MAX_DLL_NAME; ++i) {
        WCHAR c = name->Buffer[i];
        line[length++] = c >= 0x20 && c < 0x7F ? (CHAR)c : '?';
    }
    for (SIZE_T i = 0; suffix[i] != '\0'; ++i) {
        line[length++] = suffix[i];
    }
    IO_STATUS_BLOCK io;
    NtWriteFile(NTOY_FIELD(ntoy_process_parameters(), NTOY_PARAMS_STANDARD_ERROR, HANDLE), NULL,
                NULL, NULL, &io, line, (ULONG)length, NULL, NULL);
    return STATUS_DLL_INIT_FAILED;
}

static NTSTATUS initialize_process(void) {
    loader_data.Length = sizeof(loader_data);
    loader_data.Initialized = TRUE;
    list_init(&loader_data.InLoadOrderModuleList);
    list_init(&loader_data.InMemoryOrderModuleList);
    list_init(&loader_data.InInitializationOrderModuleList);
    BYTE* peb = ntoy_current_peb();
    NTOY_FIELD(peb, NTOY_PEB_LDR, PPEB_LDR_DATA) = &loader_data;
    /* The process heap comes first: DllMain and everything after may allocate from it. */
    NTSTATUS heap_status = ntoy_heap_initialize_process();
    if (!NT_SUCCESS(heap_status)) {
        return heap_status;
    }

    LoaderModule* first = NULL;
    NTSTATUS status = take_new_images(LoadReasonStaticDependency, &first);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    for (LoaderModule* m = ldrp_first_module(); m != NULL; m = ldrp_next_module(m)) {
        set_load_count(m, LDRP_PINNED);
        status = ldrp_tls_register(m);
        if (!NT_SUCCESS(status)) {
            return status;
        }
    }
    executable = find_by_base(NTOY_FIELD(peb, NTOY_PEB_IMAGE_BASE, PVOID));
    if (executable == NULL) {
        return STATUS_INVALID_IMAGE_FORMAT;
    }
    status = ldrp_thread_register();
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = ldrp_tls_initialize_thread();
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = initialize_module(executable, TRUE);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    executable->Entry.Flags |= LDRP_PROCESS_ATTACH_CALLED;
    ldrp_tls_call_callbacks(executable, DLL_PROCESS_ATTACH);
    return STATUS_SUCCESS;
}

NTSTATUS ldrp_initialize(VOID) {
    ldrp_lock_loader();
    NTSTATUS status = initialize_process();
    ldrp_unlock_loader();
    return status;
}

/* ---- Threads after the first ------------------------------------------------------------ */

/* Whether MODULE's TLS callbacks and DllMain hear of threads starting and ending: a DLL that
 * attached and did not turn them off (DisableThreadLibraryCalls). */
static BOOLEAN wants_thread_calls(const LoaderModule* module) {
    ULONG flags = module->Entry.Flags;
    return (flags & LDRP_IMAGE_DLL) != 0 && (flags & LDRP_PROCESS_ATTACH_CALLED) != 0 &&
           (flags & LDRP_DONT_CALL_FOR_THREADS) == 0;
}

static void call_for_thread(LoaderModule* module, ULONG reason) {
    ldrp_tls_call_callbacks(module, reason);
    PDLL_INIT_ROUTINE entry_point = module->Entry.EntryPoint;
    if (entry_point != NULL) {
        entry_point(module->Entry.DllBase, reason, NULL);
    }
}

/* As Windows' LdrpInitializeThread: the thread's static TLS, then DLL_THREAD_ATTACH for every
 * DLL in load order and the executable's TLS callbacks last, under the loader lock. A thread
 * started while the process shuts down gets no calls. */
NTSTATUS ldrp_initialize_thread(VOID) {
    ldrp_lock_loader();
    NTSTATUS status = ldrp_thread_register();
    if (NT_SUCCESS(status)) {
        status = ldrp_tls_initialize_thread();
        if (!NT_SUCCESS(status)) {
            ldrp_thread_unregister();
        }
    }
    if (NT_SUCCESS(status) && !loader_data.ShutdownInProgress) {
        for (LoaderModule* m = ldrp_first_module(); m != NULL; m = ldrp_next_module(m)) {
            if (m != executable && wants_thread_calls(m)) {
                call_for_thread(m, DLL_THREAD_ATTACH);
            }
        }
        if (executable != NULL && (executable->Entry.Flags & LDRP_PROCESS_ATTACH_CALLED) != 0) {
            ldrp_tls_call_callbacks(executable, DLL_THREAD_ATTACH);
        }
    }
    ldrp_unlock_loader();
    return status;
}

/* As Windows' LdrShutdownThread, in the reverse order: the executable's TLS callbacks, then
 * every DLL from the end of the initialisation order, with DLL_THREAD_DETACH; then the thread's
 * static TLS is freed and ntdll forgets it. */
VOID ldrp_shutdown_thread(VOID) {
    ldrp_lock_loader();
    if (!loader_data.ShutdownInProgress) {
        if (executable != NULL && (executable->Entry.Flags & LDRP_PROCESS_ATTACH_CALLED) != 0) {
            ldrp_tls_call_callbacks(executable, DLL_THREAD_DETACH);
        }
        PLIST_ENTRY head = &loader_data.InInitializationOrderModuleList;
        for (PLIST_ENTRY link = head->Blink; link != head; link = link->Blink) {
            LoaderModule* module = MODULE_FROM_INIT_LINKS(link);
            if (wants_thread_calls(module)) {
                call_for_thread(module, DLL_THREAD_DETACH);
            }
        }
    }
    ldrp_tls_free_thread();
    ldrp_tls_free_expansion_slots();
    ldrp_thread_unregister();
    ldrp_unlock_loader();
}

/* ---- Shut-down ------------------------------------------------------------------------- */

/* DLL_PROCESS_DETACH for everything attached, in the reverse of the order attached: the
 * executable's TLS callbacks (attached last), then every DLL from the end of the
 * initialisation order. Once only: a DllMain that exits the process again ends it at once. */
static void shutdown_process(void) {
    ldrp_lock_loader();
    if (executable != NULL && !loader_data.ShutdownInProgress) {
        loader_data.ShutdownInProgress = TRUE;
        loader_data.ShutdownThreadId = (HANDLE)(ULONG_PTR)ntoy_current_thread_id();
        if ((executable->Entry.Flags & LDRP_PROCESS_ATTACH_CALLED) != 0) {
            executable->Entry.Flags &= ~LDRP_PROCESS_ATTACH_CALLED;
            ldrp_tls_call_callbacks(executable, DLL_PROCESS_DETACH);
        }
        PLIST_ENTRY head = &loader_data.InInitializationOrderModuleList;
        for (PLIST_ENTRY link = head->Blink; link != head; link = link->Blink) {
            detach(MODULE_FROM_INIT_LINKS(link), TRUE);
        }
    }
    ldrp_unlock_loader();
}

/* As Windows: every other thread ends first (NtTerminateProcess with no handle), so that
 * DLL_PROCESS_DETACH runs with this thread alone. One that died holding the loader lock
 * leaves it to this one rather than hang the exit: no other thread runs again to finish what
 * it was doing. */
VOID RtlExitUserProcess(NTSTATUS ExitStatus) {
    if (NT_SUCCESS(NtTerminateProcess(NULL, ExitStatus))) {
        LONG owner = __atomic_load_n(&lock_owner, __ATOMIC_ACQUIRE);
        if (owner != 0 && owner != (LONG)ntoy_current_thread_id()) {
            lock_depth = 0;
            __atomic_store_n(&lock_owner, 0, __ATOMIC_RELEASE);
        }
    }
    shutdown_process();
    /* Terminating ourselves does not return; loop rather than run on if it did. */
    for (;;) {
        NtTerminateProcess(NtCurrentProcess(), ExitStatus);
    }
}

/* ---- Loading ----------------------------------------------------------------------------- */

/* Loads the DLL NAME, or references it if it is loaded; the new images get LOAD_REASON. */
static NTSTATUS load_dll(const UNICODE_STRING* name, ULONG load_reason, LoaderModule** result) {
    ModuleName parsed = parse_module_name(name);
    LoaderModule* module = find_by_name(&parsed);
    if (module != NULL) {
        add_reference(module);
        *result = module;
        return STATUS_SUCCESS;
    }
    /* Only the image folders are searched, by file name: a path names nothing there. */
    if (parsed.has_path) {
        return STATUS_DLL_NOT_FOUND;
    }
    WCHAR file_name[MAX_DLL_NAME + 1];
    SIZE_T length = 0;
    for (SIZE_T i = 0; i < parsed.length; ++i) {
        if (length == MAX_DLL_NAME) {
            return STATUS_DLL_NOT_FOUND;
        }
        file_name[length++] = parsed.text[i];
    }
    for (const WCHAR* c = parsed.suffix; *c != L'\0'; ++c) {
        if (length == MAX_DLL_NAME) {
            return STATUS_DLL_NOT_FOUND;
        }
        file_name[length++] = *c;
    }
    UNICODE_STRING kernel_name = {(USHORT)(length * sizeof(WCHAR)),
                                  (USHORT)(length * sizeof(WCHAR)), file_name};
    PVOID base = NULL;
    NTSTATUS status = NtMapImage(&kernel_name, &base);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    LoaderModule* first_new = NULL;
    status = take_new_images(LoadReasonStaticDependency, &first_new);
    module = find_by_base(base);
    if (module == NULL) {
        return NT_SUCCESS(status) ? STATUS_INTERNAL_ERROR : status;
    }
    BOOLEAN mapped_now = first_new != NULL && module->Serial >= first_new->Serial;
    if (mapped_now) {
        module->Entry.LoadReason = load_reason; /* the rest were mapped as its dependencies */
    }
    for (LoaderModule* m = first_new; NT_SUCCESS(status) && m != NULL; m = ldrp_next_module(m)) {
        status = ldrp_tls_attach(m);
    }
    add_reference(module);
    if (NT_SUCCESS(status)) {
        status = initialize_module(module, FALSE);
    }
    if (!NT_SUCCESS(status)) {
        /* DLL_PROCESS_DETACH for whatever attached, then everything this call mapped goes. */
        release_reference(module);
        return status;
    }
    *result = module;
    return STATUS_SUCCESS;
}

NTSTATUS ldrp_load_forwarder_target(LoaderModule* module, const CHAR* dll, SIZE_T length,
                                    LoaderModule** target) {
    /* Forwarders name a DLL without its ".dll". */
    static const WCHAR extension[] = L".dll";
    WCHAR name[MAX_DLL_NAME + 1];
    if (length + 4 > MAX_DLL_NAME) {
        return STATUS_DLL_NOT_FOUND;
    }
    for (SIZE_T i = 0; i < length; ++i) {
        name[i] = (WCHAR)(BYTE)dll[i];
    }
    for (SIZE_T i = 0; i < 4; ++i) {
        name[length + i] = extension[i];
    }
    UNICODE_STRING string = {(USHORT)((length + 4) * sizeof(WCHAR)),
                             (USHORT)((length + 4) * sizeof(WCHAR)), name};
    NTSTATUS status = load_dll(&string, LoadReasonDynamicForwarderDependency, target);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    /* MODULE keeps the target loaded, with one reference however often it forwards there. */
    if (!add_dependency(module, *target)) {
        release_reference(*target);
    }
    return STATUS_SUCCESS;
}

/* ---- Exports ------------------------------------------------------------------------------- */

/* DllPath (a search path) and DllCharacteristics are accepted and not used: ntoy looks for
 * DLLs only in the image folders. */
NTSTATUS LdrLoadDll(PWSTR DllPath, PULONG DllCharacteristics, PUNICODE_STRING DllName,
                    PVOID* BaseAddress) {
    (void)DllPath;
    (void)DllCharacteristics;
    if (DllName == NULL || BaseAddress == NULL) {
        return STATUS_INVALID_PARAMETER;
    }
    ldrp_lock_loader();
    LoaderModule* module = NULL;
    NTSTATUS status = load_dll(DllName, LoadReasonDynamicLoad, &module);
    if (NT_SUCCESS(status)) {
        *BaseAddress = module->Entry.DllBase;
    }
    ldrp_unlock_loader();
    return status;
}

NTSTATUS LdrUnloadDll(PVOID BaseAddress) {
    ldrp_lock_loader();
    LoaderModule* module = find_by_base(BaseAddress);
    NTSTATUS status = module == NULL ? STATUS_DLL_NOT_FOUND : STATUS_SUCCESS;
    /* Once the process is shutting down, DLLs stay until the end. */
    if (module != NULL && !loader_data.ShutdownInProgress) {
        release_reference(module);
    }
    ldrp_unlock_loader();
    return status;
}

/* The module that contains ADDRESS, for GetModuleHandleEx and the unwinder. The entry stays
 * valid while the module is loaded. */
NTSTATUS LdrFindEntryForAddress(PVOID Address, PLDR_DATA_TABLE_ENTRY* TableEntry) {
    if (TableEntry == NULL) {
        return STATUS_INVALID_PARAMETER;
    }
    ldrp_lock_loader();
    LoaderModule* found = NULL;
    for (LoaderModule* m = ldrp_first_module(); m != NULL; m = ldrp_next_module(m)) {
        ULONG_PTR base = (ULONG_PTR)m->Entry.DllBase;
        if ((ULONG_PTR)Address >= base && (ULONG_PTR)Address - base < m->Entry.SizeOfImage) {
            found = m;
            break;
        }
    }
    if (found != NULL) {
        *TableEntry = &found->Entry;
    }
    ldrp_unlock_loader();
    return found != NULL ? STATUS_SUCCESS : STATUS_NO_MORE_ENTRIES;
}

/* One more reference on a loaded module (GetModuleHandleEx), or with LDR_ADDREF_DLL_PIN a pin
 * that keeps it until the process ends. */
NTSTATUS LdrAddRefDll(ULONG Flags, PVOID BaseAddress) {
    if (Flags & ~LDR_ADDREF_DLL_PIN) {
        return STATUS_INVALID_PARAMETER;
    }
    ldrp_lock_loader();
    LoaderModule* module = find_by_base(BaseAddress);
    if (module != NULL) {
        if (Flags & LDR_ADDREF_DLL_PIN) {
            set_load_count(module, LDRP_PINNED);
        } else {
            add_reference(module);
        }
    }
    ldrp_unlock_loader();
    return module != NULL ? STATUS_SUCCESS : STATUS_DLL_NOT_FOUND;
}

NTSTATUS LdrGetDllHandle(PWSTR DllPath, PULONG DllCharacteristics, PUNICODE_STRING DllName,
                         PVOID* DllHandle) {
    (void)DllPath;
    (void)DllCharacteristics;
    if (DllName == NULL || DllHandle == NULL) {
        return STATUS_INVALID_PARAMETER;
    }
    ldrp_lock_loader();
    ModuleName parsed = parse_module_name(DllName);
    LoaderModule* module = find_by_name(&parsed);
    if (module != NULL) {
        *DllHandle = module->Entry.DllBase;
    }
    ldrp_unlock_loader();
    return module != NULL ? STATUS_SUCCESS : STATUS_DLL_NOT_FOUND;
}

/* A DLL with static TLS keeps its thread calls, as on Windows: its TLS callbacks may need
 * them. */
NTSTATUS LdrDisableThreadCalloutsForDll(PVOID BaseAddress) {
    ldrp_lock_loader();
    LoaderModule* module = find_by_base(BaseAddress);
    if (module != NULL && !ldrp_tls_has_directory(module)) {
        module->Entry.Flags |= LDRP_DONT_CALL_FOR_THREADS;
    }
    ldrp_unlock_loader();
    return module != NULL ? STATUS_SUCCESS : STATUS_DLL_NOT_FOUND;
}

NTSTATUS LdrGetProcedureAddress(PVOID BaseAddress, PANSI_STRING Name, ULONG Ordinal,
                                PVOID* ProcedureAddress) {
    if (ProcedureAddress == NULL) {
        return STATUS_INVALID_PARAMETER;
    }
    ldrp_lock_loader();
    LoaderModule* module = find_by_base(BaseAddress);
    NTSTATUS status = module == NULL
                          ? STATUS_DLL_NOT_FOUND
                          : ldrp_get_procedure_address(module, Name, Ordinal, ProcedureAddress, 0);
    ldrp_unlock_loader();
    return status;
}
