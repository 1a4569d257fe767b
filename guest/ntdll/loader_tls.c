/* Static TLS, as the .tls directory describes it: a module with one gets a TLS index
 * (written where its AddressOfIndex points), and every thread a vector
 * (TEB->ThreadLocalStoragePointer) holding, at each module's index, that thread's copy of the
 * module's template: its raw data, then SizeOfZeroFill zero bytes. Compiled code reaches a
 * variable as gs:[0x58][index] + offset.
 *
 * Every vector has room for index_capacity entries, so a module loaded at run time either
 * fits or makes every thread's vector grow. There is one thread per process today; when
 * there are more, attaching and detaching walk all of them, and each new thread runs
 * ldrp_tls_initialize_thread before its first instruction. */
#include "loader.h"
#include "ntoy/nt_status.h"
#include "ntoy/ntdll_exports.h"
#include "ntoy/teb.h"

static LoaderModule** index_owners; /* [index_capacity]: the module at each index, or NULL */
static ULONG index_capacity;

static PIMAGE_TLS_DIRECTORY64 tls_directory(LoaderModule* module) {
    ULONG size = 0;
    PIMAGE_TLS_DIRECTORY64 directory =
        ntoy_image_directory(module->Entry.DllBase, IMAGE_DIRECTORY_ENTRY_TLS, &size);
    return size >= sizeof(IMAGE_TLS_DIRECTORY64) ? directory : NULL;
}

static PVOID* thread_vector(void) {
    return NTOY_FIELD(ntoy_current_teb(), NTOY_TEB_THREAD_LOCAL_STORAGE_POINTER, PVOID*);
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

/* Makes every index below CAPACITY available, growing the owner table and the running
 * thread's vector. */
static NTSTATUS grow(ULONG capacity) {
    LoaderModule** owners = ldrp_allocate(capacity * sizeof(LoaderModule*));
    if (owners == NULL) {
        return STATUS_NO_MEMORY;
    }
    PVOID* old_vector = thread_vector();
    if (old_vector != NULL) {
        PVOID* vector = ldrp_allocate(capacity * sizeof(PVOID));
        if (vector == NULL) {
            ldrp_free(owners);
            return STATUS_NO_MEMORY;
        }
        memcpy(vector, old_vector, index_capacity * sizeof(PVOID));
        NTOY_FIELD(ntoy_current_teb(), NTOY_TEB_THREAD_LOCAL_STORAGE_POINTER, PVOID*) = vector;
        ldrp_free(old_vector);
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
        vector = ldrp_allocate(index_capacity * sizeof(PVOID));
        if (vector == NULL) {
            return STATUS_NO_MEMORY;
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
                return STATUS_NO_MEMORY;
            }
        }
    }
    NTOY_FIELD(ntoy_current_teb(), NTOY_TEB_THREAD_LOCAL_STORAGE_POINTER, PVOID*) = vector;
    return STATUS_SUCCESS;
}

NTSTATUS ldrp_tls_attach(LoaderModule* module) {
    if (tls_directory(module) == NULL) {
        return STATUS_SUCCESS;
    }
    NTSTATUS status = ldrp_tls_register(module);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    PVOID* vector = thread_vector();
    if (vector == NULL) {
        /* The first module with TLS in this process: the thread's first vector. */
        return ldrp_tls_initialize_thread();
    }
    PVOID block = new_block(module);
    if (block == NULL) {
        index_owners[module->Entry.TlsIndex] = NULL;
        return STATUS_NO_MEMORY;
    }
    vector[module->Entry.TlsIndex] = block;
    return STATUS_SUCCESS;
}

VOID ldrp_tls_detach(LoaderModule* module) {
    ULONG index = module->Entry.TlsIndex;
    if (index >= index_capacity || index_owners[index] != module) {
        return;
    }
    PVOID* vector = thread_vector();
    if (vector != NULL) {
        ldrp_free(vector[index]);
        vector[index] = NULL;
    }
    index_owners[index] = NULL;
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
