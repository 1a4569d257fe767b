/* Prototypes of the functions our ntdll.dll exports, with the Windows signatures. kernel32
 * calls through these; ntdll's own sources include them so that each definition is checked
 * against its declaration. The system-call exports (NtXxx and their ZwXxx aliases) are
 * generated from ntoy/syscalls.h; a new system call needs a prototype here only when C code
 * calls it. Guest-only. */
#ifndef NTOY_NTDLL_EXPORTS_H
#define NTOY_NTDLL_EXPORTS_H

#include "ntoy/nt_types.h"

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

/* ---- Process start and end --------------------------------------------------------------- */

__attribute__((noreturn)) VOID RtlUserThreadStart(PTHREAD_START_ROUTINE StartAddress,
                                                  PVOID Argument);
/* Detaches every DLL (DLL_PROCESS_DETACH, TLS callbacks) and ends the process. */
__attribute__((noreturn)) VOID RtlExitUserProcess(NTSTATUS ExitStatus);

/* ---- Loader ------------------------------------------------------------------------------ */

NTSTATUS LdrLoadDll(PWSTR DllPath, PULONG DllCharacteristics, PUNICODE_STRING DllName,
                    PVOID* BaseAddress);
NTSTATUS LdrUnloadDll(PVOID BaseAddress);
NTSTATUS LdrGetDllHandle(PWSTR DllPath, PULONG DllCharacteristics, PUNICODE_STRING DllName,
                         PVOID* DllHandle);
NTSTATUS LdrGetProcedureAddress(PVOID BaseAddress, PANSI_STRING Name, ULONG Ordinal,
                                PVOID* ProcedureAddress);

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

/* ---- Memory and string routines (the C library ones ntdll exports) ----------------------- */

void* memset(void* destination, int value, size_t count);
void* memcpy(void* destination, const void* source, size_t count);
void* memmove(void* destination, const void* source, size_t count);
int memcmp(const void* left, const void* right, size_t count);
size_t strlen(const char* string);

#endif
