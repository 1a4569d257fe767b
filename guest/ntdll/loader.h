/* ntdll-internal: the user-mode loader, which owns PEB->Ldr.
 *
 * The split with the kernel, as on Windows: the kernel maps images and binds their imports
 * (NtMapImage, with clear errors for what cannot be loaded) and unmaps them
 * (NtUnmapViewOfSection); ntdll keeps the module lists, reference counts, TLS, and calls
 * DllMain and TLS callbacks. After each mapping ntdll asks the kernel what it mapped
 * (NtQueryMappedImages): the images, their paths and which images each one's imports were
 * bound to, from which the initialisation order and the references follow.
 *
 * Every function here runs with the loader lock held (loader.c). */
#ifndef NTOY_NTDLL_LOADER_H
#define NTOY_NTDLL_LOADER_H

#include "ntoy/image_types.h"
#include "ntoy/nt_types.h"

/* A module as ntdll keeps it: the public entry first, so that an entry in a PEB list and the
 * module are the same pointer. */
typedef struct LoaderModule {
    LDR_DATA_TABLE_ENTRY Entry;
    LDR_DDAG_NODE Node;    /* Entry.DdagNode */
    ULONG Serial;          /* the kernel's (NtQueryMappedImages) */
    ULONG DependencyCount; /* modules this one holds a reference on */
    ULONG DependencyCapacity;
    struct LoaderModule** Dependencies; /* its import bindings, then forwarder targets */
    WCHAR Path[];                       /* FullDllName's buffer; BaseDllName points into it */
} LoaderModule;

#define LDRP_PINNED 0xFFFFFFFFUL /* Node.LoadCount of a module that never unloads */

/* loader_heap.c: zeroed blocks for the loader's own records; NULL when out of memory. */
PVOID ldrp_allocate(SIZE_T size);
VOID ldrp_free(PVOID block);

/* loader_tls.c: static TLS (the .tls directory) and each thread's TLS data. */
/* Gives a module with a .tls directory its TLS index (written to its AddressOfIndex). */
NTSTATUS ldrp_tls_register(LoaderModule* module);
/* What each thread needs before its first instruction of user code: its TLS vector
 * (TEB->ThreadLocalStoragePointer) with a fresh copy of every registered module's TLS
 * template. Process initialisation calls it for the initial thread, a thread start for every
 * later one. */
NTSTATUS ldrp_tls_initialize_thread(VOID);
/* A module loaded at run time: registers it and gives every thread its block. */
NTSTATUS ldrp_tls_attach(LoaderModule* module);
/* Gives back the module's index and frees every thread's block. */
VOID ldrp_tls_detach(LoaderModule* module);
/* Calls the module's TLS callbacks with REASON. */
VOID ldrp_tls_call_callbacks(LoaderModule* module, ULONG reason);
/* Whether the module has a .tls directory. */
BOOLEAN ldrp_tls_has_directory(LoaderModule* module);
/* Frees the running thread's TLS vector and blocks, as it ends. */
VOID ldrp_tls_free_thread(VOID);
/* tls_slots.c: frees the running thread's TLS expansion slots, as it ends. */
VOID ldrp_tls_free_expansion_slots(VOID);

/* loader.c: the module list. */
LoaderModule* ldrp_first_module(VOID); /* in load order; NULL at the end */
LoaderModule* ldrp_next_module(LoaderModule* module);

/* loader_exports.c: an export of a loaded module, by name or (NAME NULL) by ordinal. */
NTSTATUS ldrp_get_procedure_address(LoaderModule* module, const ANSI_STRING* name, ULONG ordinal,
                                    PVOID* address, ULONG depth);
/* Loads (or references) the DLL a forwarder names for MODULE, recording it as a dependency. */
NTSTATUS ldrp_load_forwarder_target(LoaderModule* module, const CHAR* dll, SIZE_T length,
                                    LoaderModule** target);

/* The loader's part of a thread's start (RtlUserThreadStart): process initialisation on the
 * first thread (PEB->Ldr, TLS, DllMain and TLS callbacks with DLL_PROCESS_ATTACH). An error
 * status ends the process. */
NTSTATUS ldrp_initialize(VOID);
/* The same for every later thread: its static TLS, then DLL_THREAD_ATTACH. An error status
 * ends the thread. */
NTSTATUS ldrp_initialize_thread(VOID);
/* The end of a thread that is not the process's last: DLL_THREAD_DETACH, then its static TLS
 * freed and ntdll's record of it dropped. */
VOID ldrp_shutdown_thread(VOID);

/* loader.c: the loader lock, recursive, which every ldrp_ function expects held. Threads
 * (threads.c) and TLS slots (tls_slots.c) are kept under it too. */
void ldrp_lock_loader(void);
void ldrp_unlock_loader(void);

#endif
