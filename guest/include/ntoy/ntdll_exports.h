/* Prototypes of the functions our ntdll.dll exports, with the Windows signatures. kernel32
 * calls through these; ntdll's own sources include them so that each definition is checked
 * against its declaration. The system-call exports (NtXxx and their ZwXxx aliases) are
 * generated from ntoy/syscalls.h; a new system call needs a prototype here only when C code
 * calls it. Guest-only. */
#ifndef NTOY_NTDLL_EXPORTS_H
#define NTOY_NTDLL_EXPORTS_H

#include "ntoy/nt_types.h"
#include "ntoy/process_create.h"
#include "ntoy/rtl_heap.h"

typedef DWORD (*PTHREAD_START_ROUTINE)(LPVOID ThreadParameter);

/* ---- System calls ------------------------------------------------------------------------ */

NTSTATUS NtTerminateProcess(HANDLE ProcessHandle, NTSTATUS ExitStatus);
NTSTATUS NtWriteFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                     PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length,
                     PLARGE_INTEGER ByteOffset, PULONG Key);
NTSTATUS NtAllocateVirtualMemory(HANDLE ProcessHandle, PVOID* BaseAddress, ULONG_PTR ZeroBits,
                                 PSIZE_T RegionSize, ULONG AllocationType, ULONG Protect);
NTSTATUS NtFreeVirtualMemory(HANDLE ProcessHandle, PVOID* BaseAddress, PSIZE_T RegionSize,
                             ULONG FreeType);
NTSTATUS NtProtectVirtualMemory(HANDLE ProcessHandle, PVOID* BaseAddress, PSIZE_T RegionSize,
                                ULONG NewProtect, PULONG OldProtect);
NTSTATUS NtQueryVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress,
                              MEMORY_INFORMATION_CLASS MemoryInformationClass,
                              PVOID MemoryInformation, SIZE_T MemoryInformationLength,
                              PSIZE_T ReturnLength);
NTSTATUS NtQuerySystemInformation(SYSTEM_INFORMATION_CLASS SystemInformationClass,
                                  PVOID SystemInformation, ULONG SystemInformationLength,
                                  PULONG ReturnLength);
NTSTATUS NtContinue(PCONTEXT ContextRecord, BOOLEAN TestAlert);
NTSTATUS NtRaiseException(PEXCEPTION_RECORD ExceptionRecord, PCONTEXT ContextRecord,
                          BOOLEAN FirstChance);
/* ntoy's own (kernel/ldr/ImageCalls.cpp): the kernel half of the loader. */
NTSTATUS NtMapImage(PUNICODE_STRING FileName, PVOID* ImageBase);
NTSTATUS NtQueryMappedImages(ULONG AfterSerial, PVOID Buffer, ULONG Length, PULONG ReturnLength);
NTSTATUS NtUnmapViewOfSection(HANDLE ProcessHandle, PVOID BaseAddress);

/* Objects and handles. */
NTSTATUS NtClose(HANDLE Handle);
NTSTATUS NtDuplicateObject(HANDLE SourceProcessHandle, HANDLE SourceHandle,
                           HANDLE TargetProcessHandle, PHANDLE TargetHandle,
                           ACCESS_MASK DesiredAccess, ULONG HandleAttributes, ULONG Options);

/* Events, mutants, semaphores and waits. */
NTSTATUS NtCreateEvent(PHANDLE EventHandle, ACCESS_MASK DesiredAccess,
                       POBJECT_ATTRIBUTES ObjectAttributes, EVENT_TYPE EventType,
                       BOOLEAN InitialState);
NTSTATUS NtSetEvent(HANDLE EventHandle, PLONG PreviousState);
NTSTATUS NtResetEvent(HANDLE EventHandle, PLONG PreviousState);
NTSTATUS NtPulseEvent(HANDLE EventHandle, PLONG PreviousState);
NTSTATUS NtCreateMutant(PHANDLE MutantHandle, ACCESS_MASK DesiredAccess,
                        POBJECT_ATTRIBUTES ObjectAttributes, BOOLEAN InitialOwner);
NTSTATUS NtReleaseMutant(HANDLE MutantHandle, PLONG PreviousCount);
NTSTATUS NtCreateSemaphore(PHANDLE SemaphoreHandle, ACCESS_MASK DesiredAccess,
                           POBJECT_ATTRIBUTES ObjectAttributes, LONG InitialCount,
                           LONG MaximumCount);
NTSTATUS NtReleaseSemaphore(HANDLE SemaphoreHandle, LONG ReleaseCount, PLONG PreviousCount);
NTSTATUS NtWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable, PLARGE_INTEGER Timeout);
NTSTATUS NtWaitForMultipleObjects(ULONG Count, HANDLE Handles[], WAIT_TYPE WaitType,
                                  BOOLEAN Alertable, PLARGE_INTEGER Timeout);
NTSTATUS NtSignalAndWaitForSingleObject(HANDLE SignalHandle, HANDLE WaitHandle, BOOLEAN Alertable,
                                        PLARGE_INTEGER Timeout);
NTSTATUS NtDelayExecution(BOOLEAN Alertable, PLARGE_INTEGER DelayInterval);
NTSTATUS NtYieldExecution(VOID);

/* Threads. */
NTSTATUS NtCreateThreadEx(PHANDLE ThreadHandle, ACCESS_MASK DesiredAccess,
                          POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ProcessHandle,
                          PVOID StartRoutine, PVOID Argument, ULONG CreateFlags, SIZE_T ZeroBits,
                          SIZE_T StackSize, SIZE_T MaximumStackSize,
                          PPS_ATTRIBUTE_LIST AttributeList);
NTSTATUS NtTerminateThread(HANDLE ThreadHandle, NTSTATUS ExitStatus);
NTSTATUS NtSuspendThread(HANDLE ThreadHandle, PULONG PreviousSuspendCount);
NTSTATUS NtResumeThread(HANDLE ThreadHandle, PULONG PreviousSuspendCount);
NTSTATUS NtGetContextThread(HANDLE ThreadHandle, PCONTEXT ThreadContext);
NTSTATUS NtSetContextThread(HANDLE ThreadHandle, PCONTEXT ThreadContext);
NTSTATUS NtQueryInformationThread(HANDLE ThreadHandle, THREADINFOCLASS ThreadInformationClass,
                                  PVOID ThreadInformation, ULONG ThreadInformationLength,
                                  PULONG ReturnLength);
NTSTATUS NtQueueApcThread(HANDLE ThreadHandle, PPS_APC_ROUTINE ApcRoutine, PVOID ApcArgument1,
                          PVOID ApcArgument2, PVOID ApcArgument3);
NTSTATUS NtTestAlert(VOID);
NTSTATUS NtAlertThread(HANDLE ThreadHandle);

/* Processes and their memory. */
NTSTATUS NtOpenProcess(PHANDLE ProcessHandle, ACCESS_MASK DesiredAccess,
                       POBJECT_ATTRIBUTES ObjectAttributes, PCLIENT_ID ClientId);
NTSTATUS NtQueryInformationProcess(HANDLE ProcessHandle, PROCESSINFOCLASS ProcessInformationClass,
                                   PVOID ProcessInformation, ULONG ProcessInformationLength,
                                   PULONG ReturnLength);
NTSTATUS NtSetInformationProcess(HANDLE ProcessHandle, PROCESSINFOCLASS ProcessInformationClass,
                                 PVOID ProcessInformation, ULONG ProcessInformationLength);
NTSTATUS NtLockVirtualMemory(HANDLE ProcessHandle, PVOID* BaseAddress, PSIZE_T RegionSize,
                             ULONG MapType);
NTSTATUS NtUnlockVirtualMemory(HANDLE ProcessHandle, PVOID* BaseAddress, PSIZE_T RegionSize,
                               ULONG MapType);
NTSTATUS NtReadVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress, PVOID Buffer,
                             SIZE_T BufferSize, PSIZE_T NumberOfBytesRead);
NTSTATUS NtWriteVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress, PVOID Buffer,
                              SIZE_T BufferSize, PSIZE_T NumberOfBytesWritten);
/* ntoy's own (ntoy/process_create.h). */
NTSTATUS NtCreateProcessFromImage(PHANDLE ProcessHandle, PHANDLE ThreadHandle, PCLIENT_ID ClientId,
                                  const NTOY_PROCESS_CREATE* Parameters);

/* ---- Process start and end --------------------------------------------------------------- */

__attribute__((noreturn)) VOID RtlUserThreadStart(PTHREAD_START_ROUTINE StartAddress,
                                                  PVOID Argument);
/* Detaches every DLL (DLL_PROCESS_DETACH, TLS callbacks) and ends the process. */
__attribute__((noreturn)) VOID RtlExitUserProcess(NTSTATUS ExitStatus);
/* Ends the calling thread: the whole process if it is the last thread, else DLL_THREAD_DETACH,
 * its TLS freed, then NtTerminateThread (ntoy/process_layout.h). */
__attribute__((noreturn)) VOID RtlExitUserThread(NTSTATUS ExitStatus);

/* ---- TLS slots (TlsAlloc and friends): the PEB's bitmaps and the TEB's slots -------------- */

/* A free slot, zero in every thread, in *INDEX; STATUS_NO_MEMORY when all 1088 are taken. */
NTSTATUS RtlTlsAlloc(PULONG Index);
/* Gives the slot back and zeroes it in every thread. */
NTSTATUS RtlTlsFree(ULONG Index);
/* Sets the calling thread's slot, allocating its expansion slots for an index past 63. */
NTSTATUS RtlTlsSetValue(ULONG Index, PVOID Value);

/* ---- Loader ------------------------------------------------------------------------------ */

NTSTATUS LdrLoadDll(PWSTR DllPath, PULONG DllCharacteristics, PUNICODE_STRING DllName,
                    PVOID* BaseAddress);
NTSTATUS LdrUnloadDll(PVOID BaseAddress);
NTSTATUS LdrGetDllHandle(PWSTR DllPath, PULONG DllCharacteristics, PUNICODE_STRING DllName,
                         PVOID* DllHandle);
NTSTATUS LdrGetProcedureAddress(PVOID BaseAddress, PANSI_STRING Name, ULONG Ordinal,
                                PVOID* ProcedureAddress);
/* The loaded module whose image contains ADDRESS; STATUS_NO_MORE_ENTRIES if none does. */
NTSTATUS LdrFindEntryForAddress(PVOID Address, PLDR_DATA_TABLE_ENTRY* TableEntry);
#define LDR_ADDREF_DLL_PIN 0x00000001
/* A reference on a loaded module, or (LDR_ADDREF_DLL_PIN) a pin until the process ends. */
NTSTATUS LdrAddRefDll(ULONG Flags, PVOID BaseAddress);
/* DisableThreadLibraryCalls: no DLL_THREAD_ATTACH/DETACH for the DLL (unless it has TLS). */
NTSTATUS LdrDisableThreadCalloutsForDll(PVOID BaseAddress);

/* ---- Errors ------------------------------------------------------------------------------ */

ULONG RtlNtStatusToDosError(NTSTATUS Status);
ULONG RtlNtStatusToDosErrorNoTeb(NTSTATUS Status);
NTSTATUS RtlGetLastNtStatus(VOID);
DWORD RtlGetLastWin32Error(VOID);
VOID RtlSetLastWin32Error(DWORD Win32Error);

/* ---- Exceptions -------------------------------------------------------------------------- */

PVOID RtlAddVectoredExceptionHandler(ULONG First, PVECTORED_EXCEPTION_HANDLER Handler);
ULONG RtlRemoveVectoredExceptionHandler(PVOID Handle);
PVOID RtlAddVectoredContinueHandler(ULONG First, PVECTORED_EXCEPTION_HANDLER Handler);
ULONG RtlRemoveVectoredContinueHandler(PVOID Handle);
/* The filter an exception no handler took reaches last (kernel32's UnhandledExceptionFilter). */
VOID RtlSetUnhandledExceptionFilter(PVECTORED_EXCEPTION_HANDLER TopLevelExceptionFilter);

/* ---- Memory and string routines (the C library ones ntdll exports) ----------------------- */

void* memset(void* destination, int value, size_t count);
void* memcpy(void* destination, const void* source, size_t count);
void* memmove(void* destination, const void* source, size_t count);
int memcmp(const void* left, const void* right, size_t count);
size_t strlen(const char* string);

#endif
