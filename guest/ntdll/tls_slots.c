/* TLS slots (kernel32's TlsAlloc, TlsFree, TlsSetValue; TlsGetValue reads the TEB itself), as
 * Windows keeps them: 64 in the TEB (TlsSlots, 0x1480) and 1024 more in an array the TEB
 * points to (TlsExpansionSlots, 0x1780), allocated for a thread when it first needs one.
 * Which slots are taken is in the PEB's two bitmaps (TlsBitmapBits, TlsExpansionBitmapBits),
 * which PEB->TlsBitmap and PEB->TlsExpansionBitmap describe, as on Windows.
 *
 * A slot is zero in every thread when TlsAlloc hands it out: TlsFree zeroes it in every
 * thread ntdll started (Windows' kernel does that, ThreadZeroTlsCell). The bitmaps, the
 * expansion arrays and other threads' slots are changed under the loader lock (Windows uses
 * the PEB lock). An expansion array is freed with its thread (ldrp_shutdown_thread). */
#include "loader.h"
#include "ntoy/nt_status.h"
#include "ntoy/ntdll_exports.h"
#include "ntoy/teb.h"
#include "threads.h"

#define TLS_SLOT_COUNT (NTOY_TLS_MINIMUM_AVAILABLE + NTOY_TLS_EXPANSION_SLOTS)

/* RTL_BITMAP, which the PEB's TlsBitmap and TlsExpansionBitmap point to. */
typedef struct RtlBitmap {
    ULONG SizeOfBitMap; /* bits */
    ULONG* Buffer;
} RtlBitmap;

static RtlBitmap tls_bitmap;
static RtlBitmap tls_expansion_bitmap;

/* Points the PEB at its bitmaps the first time a slot is asked for. */
static void describe_bitmaps(BYTE* peb) {
    if (NTOY_FIELD(peb, NTOY_PEB_TLS_BITMAP, RtlBitmap*) != NULL) {
        return;
    }
    tls_bitmap.SizeOfBitMap = NTOY_TLS_MINIMUM_AVAILABLE;
    tls_bitmap.Buffer = &NTOY_FIELD(peb, NTOY_PEB_TLS_BITMAP_BITS, ULONG);
    tls_expansion_bitmap.SizeOfBitMap = NTOY_TLS_EXPANSION_SLOTS;
    tls_expansion_bitmap.Buffer = &NTOY_FIELD(peb, NTOY_PEB_TLS_EXPANSION_BITMAP_BITS, ULONG);
    NTOY_FIELD(peb, NTOY_PEB_TLS_BITMAP, RtlBitmap*) = &tls_bitmap;
    NTOY_FIELD(peb, NTOY_PEB_TLS_EXPANSION_BITMAP, RtlBitmap*) = &tls_expansion_bitmap;
}

/* The first clear bit of BITMAP, set; or -1 when all are set. */
static LONG take_clear_bit(RtlBitmap* bitmap) {
    for (ULONG word = 0; word < bitmap->SizeOfBitMap / 32; ++word) {
        ULONG bits = bitmap->Buffer[word];
        if (bits != 0xFFFFFFFFUL) {
            ULONG bit = (ULONG)__builtin_ctz(~bits);
            bitmap->Buffer[word] = bits | (1UL << bit);
            return (LONG)(word * 32 + bit);
        }
    }
    return -1;
}

static PVOID* expansion_slots(BYTE* teb) {
    return NTOY_FIELD(teb, NTOY_TEB_TLS_EXPANSION_SLOTS, PVOID*);
}

NTSTATUS RtlTlsAlloc(PULONG Index) {
    ldrp_lock_loader();
    describe_bitmaps(ntoy_current_peb());
    NTSTATUS status = STATUS_SUCCESS;
    LONG index = take_clear_bit(&tls_bitmap);
    if (index < 0) {
        index = take_clear_bit(&tls_expansion_bitmap);
        if (index < 0) {
            status = STATUS_NO_MEMORY;
        } else {
            index += NTOY_TLS_MINIMUM_AVAILABLE;
        }
    }
    ldrp_unlock_loader();
    if (NT_SUCCESS(status)) {
        *Index = (ULONG)index;
    }
    return status;
}

/* Zeroes the slot at index (ULONG_PTR)CONTEXT in one thread. */
static VOID zero_slot(BYTE* teb, PVOID context) {
    ULONG index = (ULONG)(ULONG_PTR)context;
    if (index < NTOY_TLS_MINIMUM_AVAILABLE) {
        NTOY_FIELD(teb, NTOY_TEB_TLS_SLOTS + index * sizeof(PVOID), PVOID) = NULL;
    } else if (expansion_slots(teb) != NULL) {
        expansion_slots(teb)[index - NTOY_TLS_MINIMUM_AVAILABLE] = NULL;
    }
}

NTSTATUS RtlTlsFree(ULONG Index) {
    if (Index >= TLS_SLOT_COUNT) {
        return STATUS_INVALID_PARAMETER;
    }
    ldrp_lock_loader();
    describe_bitmaps(ntoy_current_peb());
    RtlBitmap* bitmap = &tls_bitmap;
    ULONG bit = Index;
    if (Index >= NTOY_TLS_MINIMUM_AVAILABLE) {
        bitmap = &tls_expansion_bitmap;
        bit -= NTOY_TLS_MINIMUM_AVAILABLE;
    }
    ULONG mask = 1UL << (bit % 32);
    NTSTATUS status = STATUS_INVALID_PARAMETER; /* a slot nobody took */
    if ((bitmap->Buffer[bit / 32] & mask) != 0) {
        ldrp_for_each_thread(zero_slot, (PVOID)(ULONG_PTR)Index);
        bitmap->Buffer[bit / 32] &= ~mask;
        status = STATUS_SUCCESS;
    }
    ldrp_unlock_loader();
    return status;
}

NTSTATUS RtlTlsSetValue(ULONG Index, PVOID Value) {
    BYTE* teb = ntoy_current_teb();
    if (Index < NTOY_TLS_MINIMUM_AVAILABLE) {
        NTOY_FIELD(teb, NTOY_TEB_TLS_SLOTS + Index * sizeof(PVOID), PVOID) = Value;
        return STATUS_SUCCESS;
    }
    if (Index >= TLS_SLOT_COUNT) {
        return STATUS_INVALID_PARAMETER;
    }
    if (expansion_slots(teb) == NULL) {
        /* Under the lock: TlsFree in another thread reads this pointer. */
        ldrp_lock_loader();
        PVOID* slots = ldrp_allocate(NTOY_TLS_EXPANSION_SLOTS * sizeof(PVOID));
        NTOY_FIELD(teb, NTOY_TEB_TLS_EXPANSION_SLOTS, PVOID*) = slots;
        ldrp_unlock_loader();
        if (slots == NULL) {
            return STATUS_NO_MEMORY;
        }
    }
    expansion_slots(teb)[Index - NTOY_TLS_MINIMUM_AVAILABLE] = Value;
    return STATUS_SUCCESS;
}

VOID ldrp_tls_free_expansion_slots(VOID) {
    BYTE* teb = ntoy_current_teb();
    PVOID* slots = expansion_slots(teb);
    NTOY_FIELD(teb, NTOY_TEB_TLS_EXPANSION_SLOTS, PVOID*) = NULL;
    ldrp_free(slots);
}
