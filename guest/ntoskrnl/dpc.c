/* DPCs: KeInsertQueueDpc hands the KDPC to the kernel's queue, which runs it at DISPATCH_LEVEL
 * on the next thread the scheduler puts on a processor, in that thread's process, through
 * NtoyRunDpc. */
#include "ntoskrnl_private.h"

_Static_assert(offsetof(KDPC, DeferredRoutine) == 0x18, "DeferredRoutine");
_Static_assert(offsetof(KDPC, DpcData) == 0x38, "DpcData");
_Static_assert(sizeof(KDPC) == 0x40, "KDPC");

#define DPC_OBJECT 19

VOID NTAPI KeInitializeDpc(PKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext) {
    memset(Dpc, 0, sizeof *Dpc);
    Dpc->Type = DPC_OBJECT;
    Dpc->DeferredRoutine = DeferredRoutine;
    Dpc->DeferredContext = DeferredContext;
}

BOOLEAN NTAPI KeInsertQueueDpc(PKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2) {
    if (Dpc->DpcData != NULL)
        return FALSE; /* queued already: the arguments stay the first ones */
    Dpc->SystemArgument1 = SystemArgument1;
    Dpc->SystemArgument2 = SystemArgument2;
    return (BOOLEAN)NtoyKsQueueDpc((ULONG64)Dpc);
}

ULONG64 NtoyRunDpc(PKDPC Dpc, PVOID unused) {
    (void)unused;
    Dpc->DpcData = NULL; /* off the queue before it runs: it may queue itself again */
    Dpc->DeferredRoutine(Dpc, Dpc->DeferredContext, Dpc->SystemArgument1, Dpc->SystemArgument2);
    return 0;
}
