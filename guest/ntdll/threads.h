/* ntdll-internal: the threads ntdll has started, so that what every thread of the process
 * holds in its TEB (a TLS slot, a module's static TLS block) can be set or cleared in all of
 * them at once, as Windows' kernel does for its ntdll (ThreadZeroTlsCell,
 * ProcessTlsInformation).
 *
 * Every function here runs with the loader lock held (loader.c). */
#ifndef NTOY_NTDLL_THREADS_H
#define NTOY_NTDLL_THREADS_H

#include "ntoy/nt_types.h"

/* Records the running thread. Its record keeps a handle to the thread (SYNCHRONIZE), by which
 * a later walk tells that a thread ended without saying so (TerminateThread) and forgets it:
 * its TEB is gone with it. */
NTSTATUS ldrp_thread_register(VOID);
/* Forgets the running thread, which is about to end. */
VOID ldrp_thread_unregister(VOID);

/* Calls VISIT with the TEB of every recorded thread that has not ended, the running one
 * included. A thread that ended without RtlExitUserThread leaves its TLS blocks behind
 * unfreed, as TerminateThread leaves a thread's resources on Windows. */
typedef VOID (*ThreadVisitor)(BYTE* teb, PVOID context);
VOID ldrp_for_each_thread(ThreadVisitor visit, PVOID context);

#endif
