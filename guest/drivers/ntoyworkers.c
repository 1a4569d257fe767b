/* ntoyworkers.sys: a correct driver with threads of its own. DriverEntry starts WORKERS system
 * threads (PsCreateSystemThread); each takes ROUNDS blocks from a nonpaged lookaside list,
 * bumps a counter under a spin lock (at DISPATCH_LEVEL), gives the block back, and sleeps now
 * and then (KeDelayExecutionThread), so that the threads interleave. The unload routine waits
 * for every worker to end, checks the counter and lets the lists go. */
#include <ntoy/ntddk.h>

#define WORKERS 3
#define ROUNDS 200
#define TAG_WORK 0x6B726F57 /* 'Work' */

static KSPIN_LOCK counter_lock;
static volatile ULONG counter;
static volatile LONG workers_running;
static NPAGED_LOOKASIDE_LIST blocks;
static PAGED_LOOKASIDE_LIST notes;
static HANDLE worker_handles[WORKERS];
static PEPROCESS system_process;

static VOID NTAPI Worker(PVOID context) {
    const ULONG number = (ULONG)(ULONG_PTR)context;
    if (PsGetCurrentProcess() != system_process)
        DbgPrint("worker %u: not in the System process\n", number);
    for (ULONG round = 0; round < ROUNDS; ++round) {
        ULONG* block = ExAllocateFromNPagedLookasideList(&blocks);
        if (block == NULL)
            break;
        block[0] = number;
        KIRQL old;
        KeAcquireSpinLock(&counter_lock, &old);
        counter = counter + 1; /* a read, then a write: the lock keeps them together */
        KeReleaseSpinLock(&counter_lock, old);
        ExFreeToNPagedLookasideList(&blocks, block);
        if (round % 20 == 0) {
            LARGE_INTEGER interval;
            interval.QuadPart = -10000; /* 1 ms */
            KeDelayExecutionThread(KernelMode, FALSE, &interval);
        }
    }
    char* note = ExAllocateFromPagedLookasideList(&notes);
    if (note != NULL) {
        _snprintf(note, 64, "worker %u done", number);
        DbgPrint("%s\n", note);
        ExFreeToPagedLookasideList(&notes, note);
    }
    __atomic_fetch_sub(&workers_running, 1, __ATOMIC_SEQ_CST);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static VOID NTAPI WorkersUnload(PDRIVER_OBJECT driver) {
    UNREFERENCED_PARAMETER(driver);
    /* The workers run this driver's code: it may not go before they have ended. */
    while (__atomic_load_n(&workers_running, __ATOMIC_SEQ_CST) != 0) {
        LARGE_INTEGER interval;
        interval.QuadPart = -10000;
        KeDelayExecutionThread(KernelMode, FALSE, &interval);
    }
    for (int i = 0; i < WORKERS; ++i)
        ZwClose(worker_handles[i]);
    DbgPrint("counter %u of %u; %u allocations from the list, %u of them from pool\n", counter,
             WORKERS * ROUNDS, blocks.L.TotalAllocates, blocks.L.AllocateMisses);
    ExDeleteNPagedLookasideList(&blocks);
    ExDeletePagedLookasideList(&notes);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry) {
    UNREFERENCED_PARAMETER(registry);
    system_process = PsGetCurrentProcess();
    KeInitializeSpinLock(&counter_lock);
    ExInitializeNPagedLookasideList(&blocks, NULL, NULL, 0, 48, TAG_WORK, 0);
    ExInitializePagedLookasideList(&notes, NULL, NULL, 0, 64, TAG_WORK, 0);
    driver->DriverUnload = WorkersUnload;
    for (ULONG i = 0; i < WORKERS; ++i) {
        __atomic_fetch_add(&workers_running, 1, __ATOMIC_SEQ_CST);
        CLIENT_ID id;
        NTSTATUS status = PsCreateSystemThread(&worker_handles[i], THREAD_ALL_ACCESS, NULL, NULL,
                                               &id, Worker, (PVOID)(ULONG_PTR)i);
        if (!NT_SUCCESS(status)) {
            __atomic_fetch_sub(&workers_running, 1, __ATOMIC_SEQ_CST);
            DbgPrint("PsCreateSystemThread failed: %08x\n", status);
            return status; /* a failing DriverEntry is unloaded: the routine waits */
        }
        DbgPrint("worker %u is thread %u of process %u\n", i, (unsigned)(ULONG_PTR)id.UniqueThread,
                 (unsigned)(ULONG_PTR)id.UniqueProcess);
    }
    return STATUS_SUCCESS;
}
