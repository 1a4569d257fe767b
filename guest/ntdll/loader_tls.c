/* Static TLS, as the .tls directory describes it: a module with one gets a TLS index
 * (written where its AddressOfIndex points), and every thread a vector
 * (TEB->ThreadLocalStoragePointer) holding, at each module's index, that thread's copy of the
 * module's template: its raw data, then SizeOfZeroFill zero bytes. Compiled code reaches a
 * variable as gs:[0x58][index] + offset.
 *
 * Every vector has room for index_capacity entries, so a module loaded at run time either
 * fits or makes every thread's vector grow. Attaching and detaching a module walk every
 * thread ntdll started (threads.h); a new thread runs ldrp_tls_initialize_thread before its
 * first instruction of user code, and ldrp_tls_free_thread as it ends. Windows swaps other
 * threads' vectors in its kernel (ProcessTlsInformation); here ntdll writes their TEBs itself,
 * under the loader lock, which every thread takes before it first reads its vector. */
#include "loader.h"
#include "ntoy/nt_status.h"
#include "ntoy/ntdll_exports.h"
#include "ntoy/teb.h"
#include "threads.h"

static LoaderModule** index_owners; /* [index_capacity]: the module at each index, or NULL */
static ULONG index_capacity;

static PIMAGE_TLS_DIRECTORY64 tls_directory(LoaderModule* module) {
    ULONG size = 0;
    PIMAGE_TLS_DIRECTORY64 directory =
        ntoy_image_directory(module->Entry.DllBase, IMAGE_DIRECTORY_ENTRY_TLS, &size);
    return size >= sizeof(IMAGE_TLS_DIRECTORY64) ? directory : NULL;
}

BOOLEAN ldrp_tls_has_directory(LoaderModule* module) {
    return tls_directory(module) != NULL;
}

static PVOID** vector_of(BYTE* teb) {
    return &NTOY_FIELD(teb, NTOY_TEB_THREAD_LOCAL_STORAGE_POINTER, PVOID*);
}

/* A thread's block for MODULE: a fresh copy of its template. */
static PVOID new_block(LoaderModule* module) {
    PIMAGE_TLS_DIRECTORY64 directory = tls_directory(module);
    ULONGLONG start = directory->StartAddressOfRawData;
    ULONGLONG end = directory->EndAddressOfRawData;
    SIZE_T raw = end > start ? (SIZE_T)(end - start) : 0;
    /* At least one byte, so that a module with an empty template still has a block. */
    BYTE* block = ldrp_allocate(raw + directory->SizeOfZeroFill + 1);
    if (block != NULL) {
        memcpy(block, (const VOID*)start, raw); /* the zero fill is already zero */
    }
    return block;
}

/* A vector of index_capacity entries with a fresh block for every registered module, or
 * NULL when out of memory. */
static PVOID* new_vector(void) {
    PVOID* vector = ldrp_allocate(index_capacity * sizeof(PVOID));
    if (vector == NULL) {
        return NULL;
    }
    for (ULONG i = 0; i < index_capacity; ++i) {
        if (index_owners[i] == NULL) {
            continue;
        }
        vector[i] = new_block(index_owners[i]);
        if (vector[i] == NULL) {
            for (ULONG j = 0; j < i; ++j) {
                ldrp_free(vector[j]);
            }
            ldrp_free(vector);
            return NULL;
        }
    }
    return vector;
}

typedef struct GrowContext {
    ULONG capacity;
    NTSTATUS status;
} GrowContext;

/* Moves one thread's vector into a bigger one. */
static VOID grow_vector(BYTE* teb, PVOID context) {
    GrowContext* grow = context;
    PVOID* old_vector = *vector_of(teb);
    if (old_vector == NULL || !NT_SUCCESS(grow->status)) {
        return;
    }
    PVOID* vector = ldrp_allocate(grow->capacity * sizeof(PVOID));
    if (vector == NULL) {
        grow->status = STATUS_NO_MEMORY;
        return;
    }
    memcpy(vector, old_vector, index_capacity * sizeof(PVOID));
    *vector_of(teb) = vector;
    ldrp_free(old_vector);
}

/* Makes every index below CAPACITY available, growing the owner table and every thread's
 * vector. A failure leaves some vectors bigger than they need be, which does no harm. */
static NTSTATUS grow(ULONG capacity) {
    LoaderModule** owners = ldrp_allocate(capacity * sizeof(LoaderModule*));
    if (owners == NULL) {
        return STATUS_NO_MEMORY;
    }
    GrowContext context = {capacity, STATUS_SUCCESS};
    ldrp_for_each_thread(grow_vector, &context);
    if (!NT_SUCCESS(context.status)) {
        ldrp_free(owners);
        return context.status;
    }
    memcpy(owners, index_owners, index_capacity * sizeof(LoaderModule*));
    ldrp_free(index_owners);
    index_owners = owners;
    index_capacity = capacity;
    return STATUS_SUCCESS;
}

NTSTATUS ldrp_tls_register(LoaderModule* module) {
    PIMAGE_TLS_DIRECTORY64 directory = tls_directory(module);
    if (directory == NULL) {
        return STATUS_SUCCESS;
    }
    ULONG index = 0;
    while (index < index_capacity && index_owners[index] != NULL) {
        ++index;
    }
    if (index == index_capacity) {
        NTSTATUS status = grow(index_capacity == 0 ? 8 : index_capacity * 2);
        if (!NT_SUCCESS(status)) {
            return status;
        }
    }
    index_owners[index] = module;
    module->Entry.TlsIndex = (USHORT)index;
    if (directory->AddressOfIndex != 0) {
        *(ULONG*)directory->AddressOfIndex = index;
    }
    return STATUS_SUCCESS;
}

NTSTATUS ldrp_tls_initialize_thread(VOID) {
    PVOID* vector = NULL;
    if (index_capacity != 0) {
        vector = new_vector();
        if (vector == NULL) {
            return STATUS_NO_MEMORY;
        }
    }
    *vector_of(ntoy_current_teb()) = vector;
    return STATUS_SUCCESS;
}

typedef struct AttachContext {
    LoaderModule* module;
    NTSTATUS status;
} AttachContext;

/* Gives one thread its block of the module just registered (its first vector, if the module
 * is the process's first with TLS). */
static VOID attach_thread(BYTE* teb, PVOID context) {
    AttachContext* attach = context;
    if (!NT_SUCCESS(attach->status)) {
        return;
    }
    PVOID* vector = *vector_of(teb);
    if (vector == NULL) {
        vector = new_vector();
        if (vector == NULL) {
            attach->status = STATUS_NO_MEMORY;
            return;
        }
        *vector_of(teb) = vector;
        return;
    }
    PVOID block = new_block(attach->module);
    if (block == NULL) {
        attach->status = STATUS_NO_MEMORY;
        return;
    }
    vector[attach->module->Entry.TlsIndex] = block;
}

/* Frees one thread's block at the index of the module in CONTEXT. */
static VOID detach_thread(BYTE* teb, PVOID context) {
    LoaderModule* module = context;
    PVOID* vector = *vector_of(teb);
    if (vector != NULL) {
        ldrp_free(vector[module->Entry.TlsIndex]);
        vector[module->Entry.TlsIndex] = NULL;
    }
}

NTSTATUS ldrp_tls_attach(LoaderModule* module) {
    if (tls_directory(module) == NULL) {
        return STATUS_SUCCESS;
    }
    NTSTATUS status = ldrp_tls_register(module);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    AttachContext context = {module, STATUS_SUCCESS};
    ldrp_for_each_thread(attach_thread, &context);
    if (!NT_SUCCESS(context.status)) {
        /* The threads that got a block give it back; the index is free again. */
        ldrp_for_each_thread(detach_thread, module);
        index_owners[module->Entry.TlsIndex] = NULL;
    }
    return context.status;
}

VOID ldrp_tls_detach(LoaderModule* module) {
    ULONG index = module->Entry.TlsIndex;
    if (index >= index_capacity || index_owners[index] != module) {
        return;
    }
    ldrp_for_each_thread(detach_thread, module);
    index_owners[index] = NULL;
}

VOID ldrp_tls_free_thread(VOID) {
    PVOID** slot = vector_of(ntoy_current_teb());
    PVOID* vector = *slot;
    if (vector == NULL) {
        return;
    }
    for (ULONG i = 0; i < index_capacity; ++i) {
        ldrp_free(vector[i]);
    }
    *slot = NULL;
    ldrp_free(vector);
}

VOID ldrp_tls_call_callbacks(LoaderModule* module, ULONG reason) {
    PIMAGE_TLS_DIRECTORY64 directory = tls_directory(module);
    if (directory == NULL || directory->AddressOfCallBacks == 0) {
        return;
    }
    for (PIMAGE_TLS_CALLBACK* callback = (PIMAGE_TLS_CALLBACK*)directory->AddressOfCallBacks;
         *callback != NULL; ++callback) {
        (*callback)(module->Entry.DllBase, reason, NULL);
    }
}
