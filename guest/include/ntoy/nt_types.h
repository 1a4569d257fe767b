/* The NT types and structures the guest runtime (our ntdll.dll and kernel32.dll) works with,
 * laid out exactly as 64-bit Windows lays them out. We define them ourselves rather than take
 * mingw's <windows.h> so that the runtime owns its ABI; the static assertions pin every
 * offset that the kernel or a program can observe. Guest-only: the host compiler's LP64
 * model would give these typedefs other sizes. */
#ifndef NTOY_NT_TYPES_H
#define NTOY_NT_TYPES_H

#if !defined(_WIN64)
#error "nt_types.h describes the 64-bit Windows ABI; include it only from mingw-w64 guest code"
#endif

#include <stddef.h>

/* Scalar types, with the same underlying C types as the Windows SDK (LLP64: long is 32-bit),
 * so that our prototypes are compatible with the SDK's. */
typedef unsigned char BYTE;
typedef unsigned char UCHAR;
typedef unsigned char BOOLEAN;
typedef char CHAR;
typedef char CCHAR;
typedef unsigned short WORD;
typedef unsigned short USHORT;
typedef short SHORT;
typedef wchar_t WCHAR;
typedef int BOOL;
typedef int INT;
typedef unsigned int UINT;
typedef long LONG;
typedef unsigned long ULONG;
typedef unsigned long DWORD;
typedef long long LONGLONG;
typedef unsigned long long ULONGLONG;
typedef unsigned long long DWORD64;
typedef long long LONG_PTR;
typedef unsigned long long ULONG_PTR;
typedef unsigned long long UINT_PTR;
typedef unsigned long long DWORD_PTR;
typedef unsigned long long SIZE_T;
typedef void VOID;
typedef void* PVOID;
typedef void* LPVOID;
typedef const void* LPCVOID;
typedef void* HANDLE;
typedef HANDLE* PHANDLE;
typedef LONG NTSTATUS;
typedef ULONG* PULONG;
typedef LONG* PLONG;
typedef DWORD* PDWORD;
typedef DWORD* LPDWORD;
typedef SIZE_T* PSIZE_T;
typedef ULONG_PTR* PULONG_PTR;
typedef PVOID* PPVOID;
typedef CHAR* LPSTR;
typedef const CHAR* LPCSTR;
typedef WCHAR* PWSTR;
typedef WCHAR* LPWSTR;
typedef const WCHAR* LPCWSTR;

#define TRUE 1
#define FALSE 0

#define NT_SUCCESS(status) ((NTSTATUS)(status) >= 0)
/* An error (severity 3), not a warning or information. */
#define NT_ERROR(status) ((ULONG)(status) >> 30 == 3)
#define NT_WARNING(status) (((ULONG)(status) >> 30) == 2)

/* The pseudo-handles every process and thread use for themselves. */
#define NtCurrentProcess() ((HANDLE)(LONG_PTR)-1)
#define NtCurrentThread() ((HANDLE)(LONG_PTR)-2)
#define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)

typedef union _LARGE_INTEGER {
    struct {
        DWORD LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY* Flink;
    struct _LIST_ENTRY* Blink;
} LIST_ENTRY, *PLIST_ENTRY;

typedef struct _UNICODE_STRING {
    USHORT Length; /* in bytes, without a terminator */
    USHORT MaximumLength;
    PWSTR Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
_Static_assert(sizeof(UNICODE_STRING) == 0x10, "UNICODE_STRING size");
_Static_assert(offsetof(UNICODE_STRING, Buffer) == 0x8, "UNICODE_STRING.Buffer");

/* ---- Exceptions -------------------------------------------------------------------------- */

typedef struct __attribute__((aligned(16))) _M128A {
    ULONGLONG Low;
    LONGLONG High;
} M128A, *PM128A;

/* The FXSAVE image. */
typedef struct __attribute__((aligned(16))) _XSAVE_FORMAT {
    WORD ControlWord;
    WORD StatusWord;
    BYTE TagWord;
    BYTE Reserved1;
    WORD ErrorOpcode;
    DWORD ErrorOffset;
    WORD ErrorSelector;
    WORD Reserved2;
    DWORD DataOffset;
    WORD DataSelector;
    WORD Reserved3;
    DWORD MxCsr;
    DWORD MxCsr_Mask;
    M128A FloatRegisters[8];
    M128A XmmRegisters[16];
    BYTE Reserved4[96];
} XSAVE_FORMAT, XMM_SAVE_AREA32;
_Static_assert(sizeof(XMM_SAVE_AREA32) == 0x200, "XMM_SAVE_AREA32 size");
_Static_assert(offsetof(XMM_SAVE_AREA32, MxCsr) == 0x18, "XMM_SAVE_AREA32.MxCsr");
_Static_assert(offsetof(XMM_SAVE_AREA32, XmmRegisters) == 0xA0, "XMM_SAVE_AREA32.XmmRegisters");

#define CONTEXT_AMD64 0x00100000L
#define CONTEXT_CONTROL (CONTEXT_AMD64 | 0x1L)
#define CONTEXT_INTEGER (CONTEXT_AMD64 | 0x2L)
#define CONTEXT_SEGMENTS (CONTEXT_AMD64 | 0x4L)
#define CONTEXT_FLOATING_POINT (CONTEXT_AMD64 | 0x8L)
#define CONTEXT_DEBUG_REGISTERS (CONTEXT_AMD64 | 0x10L)
#define CONTEXT_FULL (CONTEXT_CONTROL | CONTEXT_INTEGER | CONTEXT_FLOATING_POINT)
#define CONTEXT_ALL                                                                  \
    (CONTEXT_CONTROL | CONTEXT_INTEGER | CONTEXT_SEGMENTS | CONTEXT_FLOATING_POINT | \
     CONTEXT_DEBUG_REGISTERS)

typedef struct __attribute__((aligned(16))) _CONTEXT {
    /* Register home space for the callee of whoever holds the context. */
    DWORD64 P1Home;
    DWORD64 P2Home;
    DWORD64 P3Home;
    DWORD64 P4Home;
    DWORD64 P5Home;
    DWORD64 P6Home;

    DWORD ContextFlags;
    DWORD MxCsr;

    WORD SegCs;
    WORD SegDs;
    WORD SegEs;
    WORD SegFs;
    WORD SegGs;
    WORD SegSs;
    DWORD EFlags;

    DWORD64 Dr0;
    DWORD64 Dr1;
    DWORD64 Dr2;
    DWORD64 Dr3;
    DWORD64 Dr6;
    DWORD64 Dr7;

    DWORD64 Rax;
    DWORD64 Rcx;
    DWORD64 Rdx;
    DWORD64 Rbx;
    DWORD64 Rsp;
    DWORD64 Rbp;
    DWORD64 Rsi;
    DWORD64 Rdi;
    DWORD64 R8;
    DWORD64 R9;
    DWORD64 R10;
    DWORD64 R11;
    DWORD64 R12;
    DWORD64 R13;
    DWORD64 R14;
    DWORD64 R15;

    DWORD64 Rip;

    union {
        XMM_SAVE_AREA32 FltSave;
        struct {
            M128A Header[2];
            M128A Legacy[8];
            M128A Xmm0;
            M128A Xmm1;
            M128A Xmm2;
            M128A Xmm3;
            M128A Xmm4;
            M128A Xmm5;
            M128A Xmm6;
            M128A Xmm7;
            M128A Xmm8;
            M128A Xmm9;
            M128A Xmm10;
            M128A Xmm11;
            M128A Xmm12;
            M128A Xmm13;
            M128A Xmm14;
            M128A Xmm15;
        } s;
    } u;

    M128A VectorRegister[26];
    DWORD64 VectorControl;

    DWORD64 DebugControl;
    DWORD64 LastBranchToRip;
    DWORD64 LastBranchFromRip;
    DWORD64 LastExceptionToRip;
    DWORD64 LastExceptionFromRip;
} CONTEXT, *PCONTEXT;
_Static_assert(sizeof(CONTEXT) == 0x4D0, "CONTEXT size");
_Static_assert(_Alignof(CONTEXT) == 16, "CONTEXT alignment");
_Static_assert(offsetof(CONTEXT, ContextFlags) == 0x30, "CONTEXT.ContextFlags");
_Static_assert(offsetof(CONTEXT, MxCsr) == 0x34, "CONTEXT.MxCsr");
_Static_assert(offsetof(CONTEXT, SegCs) == 0x38, "CONTEXT.SegCs");
_Static_assert(offsetof(CONTEXT, SegSs) == 0x42, "CONTEXT.SegSs");
_Static_assert(offsetof(CONTEXT, EFlags) == 0x44, "CONTEXT.EFlags");
_Static_assert(offsetof(CONTEXT, Dr0) == 0x48, "CONTEXT.Dr0");
_Static_assert(offsetof(CONTEXT, Dr7) == 0x70, "CONTEXT.Dr7");
_Static_assert(offsetof(CONTEXT, Rax) == 0x78, "CONTEXT.Rax");
_Static_assert(offsetof(CONTEXT, Rsp) == 0x98, "CONTEXT.Rsp");
_Static_assert(offsetof(CONTEXT, R15) == 0xF0, "CONTEXT.R15");
_Static_assert(offsetof(CONTEXT, Rip) == 0xF8, "CONTEXT.Rip");
_Static_assert(offsetof(CONTEXT, u.FltSave) == 0x100, "CONTEXT.FltSave");
_Static_assert(offsetof(CONTEXT, u.s.Xmm0) == 0x1A0, "CONTEXT.Xmm0");
_Static_assert(offsetof(CONTEXT, VectorRegister) == 0x300, "CONTEXT.VectorRegister");
_Static_assert(offsetof(CONTEXT, VectorControl) == 0x4A0, "CONTEXT.VectorControl");
_Static_assert(offsetof(CONTEXT, DebugControl) == 0x4A8, "CONTEXT.DebugControl");
_Static_assert(offsetof(CONTEXT, LastExceptionFromRip) == 0x4C8, "CONTEXT.LastExceptionFromRip");

#define EXCEPTION_NONCONTINUABLE 0x1
#define EXCEPTION_MAXIMUM_PARAMETERS 15

typedef struct _EXCEPTION_RECORD {
    DWORD ExceptionCode;
    DWORD ExceptionFlags;
    struct _EXCEPTION_RECORD* ExceptionRecord;
    PVOID ExceptionAddress;
    DWORD NumberParameters;
    ULONG_PTR ExceptionInformation[EXCEPTION_MAXIMUM_PARAMETERS];
} EXCEPTION_RECORD, *PEXCEPTION_RECORD;
_Static_assert(sizeof(EXCEPTION_RECORD) == 0x98, "EXCEPTION_RECORD size");
_Static_assert(offsetof(EXCEPTION_RECORD, ExceptionFlags) == 0x4, "EXCEPTION_RECORD.Flags");
_Static_assert(offsetof(EXCEPTION_RECORD, ExceptionRecord) == 0x8, "EXCEPTION_RECORD.Record");
_Static_assert(offsetof(EXCEPTION_RECORD, ExceptionAddress) == 0x10, "EXCEPTION_RECORD.Address");
_Static_assert(offsetof(EXCEPTION_RECORD, NumberParameters) == 0x18, "EXCEPTION_RECORD.Params");
_Static_assert(offsetof(EXCEPTION_RECORD, ExceptionInformation) == 0x20,
               "EXCEPTION_RECORD.ExceptionInformation");

typedef struct _EXCEPTION_POINTERS {
    PEXCEPTION_RECORD ExceptionRecord;
    PCONTEXT ContextRecord;
} EXCEPTION_POINTERS, *PEXCEPTION_POINTERS;

/* Vectored handler return values. */
#define EXCEPTION_CONTINUE_EXECUTION (-1)
#define EXCEPTION_CONTINUE_SEARCH 0

typedef LONG (*PVECTORED_EXCEPTION_HANDLER)(struct _EXCEPTION_POINTERS* ExceptionInfo);

/* ---- I/O --------------------------------------------------------------------------------- */

typedef struct _IO_STATUS_BLOCK {
    union {
        NTSTATUS Status;
        PVOID Pointer;
    } u;
    ULONG_PTR Information;
} IO_STATUS_BLOCK, *PIO_STATUS_BLOCK;
_Static_assert(sizeof(IO_STATUS_BLOCK) == 0x10, "IO_STATUS_BLOCK size");

typedef VOID (*PIO_APC_ROUTINE)(PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, ULONG Reserved);

/* ---- Virtual memory ---------------------------------------------------------------------- */

#define MEM_COMMIT 0x00001000
#define MEM_RESERVE 0x00002000
#define MEM_DECOMMIT 0x00004000
#define MEM_RELEASE 0x00008000
#define MEM_FREE 0x00010000
#define MEM_PRIVATE 0x00020000
#define MEM_MAPPED 0x00040000
#define MEM_RESET 0x00080000
#define MEM_TOP_DOWN 0x00100000
#define MEM_IMAGE 0x01000000

#define PAGE_NOACCESS 0x01
#define PAGE_READONLY 0x02
#define PAGE_READWRITE 0x04
#define PAGE_WRITECOPY 0x08
#define PAGE_EXECUTE 0x10
#define PAGE_EXECUTE_READ 0x20
#define PAGE_EXECUTE_READWRITE 0x40
#define PAGE_EXECUTE_WRITECOPY 0x80
#define PAGE_GUARD 0x100
#define PAGE_NOCACHE 0x200
#define PAGE_WRITECOMBINE 0x400

typedef enum _MEMORY_INFORMATION_CLASS {
    MemoryBasicInformation = 0,
} MEMORY_INFORMATION_CLASS;

typedef struct _MEMORY_BASIC_INFORMATION {
    PVOID BaseAddress;
    PVOID AllocationBase;
    DWORD AllocationProtect;
    WORD PartitionId;
    SIZE_T RegionSize;
    DWORD State;
    DWORD Protect;
    DWORD Type;
} MEMORY_BASIC_INFORMATION, *PMEMORY_BASIC_INFORMATION;
_Static_assert(sizeof(MEMORY_BASIC_INFORMATION) == 0x30, "MEMORY_BASIC_INFORMATION size");
_Static_assert(offsetof(MEMORY_BASIC_INFORMATION, AllocationProtect) == 0x10, "MBI.AllocProtect");
_Static_assert(offsetof(MEMORY_BASIC_INFORMATION, RegionSize) == 0x18, "MBI.RegionSize");
_Static_assert(offsetof(MEMORY_BASIC_INFORMATION, State) == 0x20, "MBI.State");
_Static_assert(offsetof(MEMORY_BASIC_INFORMATION, Protect) == 0x24, "MBI.Protect");
_Static_assert(offsetof(MEMORY_BASIC_INFORMATION, Type) == 0x28, "MBI.Type");

/* ---- System information ------------------------------------------------------------------ */

/* ---- Objects, handles and access rights --------------------------------------------------- */

typedef ULONG ACCESS_MASK;

#define DELETE 0x00010000L
#define READ_CONTROL 0x00020000L
#define WRITE_DAC 0x00040000L
#define WRITE_OWNER 0x00080000L
#define SYNCHRONIZE 0x00100000L
#define STANDARD_RIGHTS_REQUIRED 0x000F0000L
#define MAXIMUM_ALLOWED 0x02000000L

#define EVENT_QUERY_STATE 0x0001
#define EVENT_MODIFY_STATE 0x0002
#define EVENT_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3)
#define MUTANT_QUERY_STATE 0x0001
#define MUTANT_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | MUTANT_QUERY_STATE)
#define SEMAPHORE_QUERY_STATE 0x0001
#define SEMAPHORE_MODIFY_STATE 0x0002
#define SEMAPHORE_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3)
#define THREAD_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFF)
#define PROCESS_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFF)

/* DuplicateHandle / NtDuplicateObject options. */
#define DUPLICATE_CLOSE_SOURCE 0x00000001
#define DUPLICATE_SAME_ACCESS 0x00000002

/* OBJECT_ATTRIBUTES.Attributes */
#define OBJ_INHERIT 0x00000002L

typedef struct _OBJECT_ATTRIBUTES {
    ULONG Length;
    HANDLE RootDirectory;
    PUNICODE_STRING ObjectName;
    ULONG Attributes;
    PVOID SecurityDescriptor;
    PVOID SecurityQualityOfService;
} OBJECT_ATTRIBUTES, *POBJECT_ATTRIBUTES;
_Static_assert(sizeof(OBJECT_ATTRIBUTES) == 0x30, "OBJECT_ATTRIBUTES size");

typedef struct _CLIENT_ID {
    HANDLE UniqueProcess;
    HANDLE UniqueThread;
} CLIENT_ID, *PCLIENT_ID;
_Static_assert(sizeof(CLIENT_ID) == 0x10, "CLIENT_ID size");

/* ---- Events, mutants, semaphores --------------------------------------------------------- */

typedef enum _EVENT_TYPE {
    NotificationEvent = 0,   /* manual reset */
    SynchronizationEvent = 1 /* auto reset */
} EVENT_TYPE;

typedef enum _WAIT_TYPE { WaitAll = 0, WaitAny = 1 } WAIT_TYPE;

/* The largest number of handles one NtWaitForMultipleObjects takes (MAXIMUM_WAIT_OBJECTS). */
#define MAXIMUM_WAIT_OBJECTS 64

/* ---- Threads and processes ---------------------------------------------------------------- */

typedef LONG KPRIORITY;

/* NtCreateThreadEx CreateFlags */
#define THREAD_CREATE_FLAGS_CREATE_SUSPENDED 0x00000001

typedef enum _THREADINFOCLASS {
    ThreadBasicInformation = 0,
    ThreadAmILastThread = 12
} THREADINFOCLASS;

typedef struct _THREAD_BASIC_INFORMATION {
    NTSTATUS ExitStatus; /* STATUS_PENDING while the thread runs */
    PVOID TebBaseAddress;
    CLIENT_ID ClientId;
    ULONG_PTR AffinityMask;
    KPRIORITY Priority;
    LONG BasePriority;
} THREAD_BASIC_INFORMATION, *PTHREAD_BASIC_INFORMATION;
_Static_assert(sizeof(THREAD_BASIC_INFORMATION) == 0x30, "THREAD_BASIC_INFORMATION size");
_Static_assert(offsetof(THREAD_BASIC_INFORMATION, ClientId) == 0x10, "TBI.ClientId");

typedef enum _PROCESSINFOCLASS {
    ProcessBasicInformation = 0,
    ProcessQuotaLimits = 1,
    ProcessVmCounters = 3,
    ProcessHandleCount = 20
} PROCESSINFOCLASS;

/* ProcessQuotaLimits with the _EX length (0x58; QUOTA_LIMITS is its first 0x30 bytes). */
typedef struct _QUOTA_LIMITS_EX {
    SIZE_T PagedPoolLimit;
    SIZE_T NonPagedPoolLimit;
    SIZE_T MinimumWorkingSetSize;
    SIZE_T MaximumWorkingSetSize;
    SIZE_T PagefileLimit;
    LARGE_INTEGER TimeLimit;
    SIZE_T WorkingSetLimit;
    SIZE_T Reserved2;
    SIZE_T Reserved3;
    SIZE_T Reserved4;
    ULONG Flags;
    ULONG CpuRateLimit;
} QUOTA_LIMITS_EX, *PQUOTA_LIMITS_EX;
_Static_assert(sizeof(QUOTA_LIMITS_EX) == 0x58, "QUOTA_LIMITS_EX size");
#define QUOTA_LIMITS_SIZE 0x30

/* NtLockVirtualMemory's MapType. */
#define MAP_PROCESS 1
#define MAP_SYSTEM 2

/* ProcessVmCounters with the _EX length (0x60). Sizes in bytes. */
typedef struct _VM_COUNTERS_EX {
    SIZE_T PeakVirtualSize;
    SIZE_T VirtualSize;
    ULONG PageFaultCount;
    SIZE_T PeakWorkingSetSize;
    SIZE_T WorkingSetSize;
    SIZE_T QuotaPeakPagedPoolUsage;
    SIZE_T QuotaPagedPoolUsage;
    SIZE_T QuotaPeakNonPagedPoolUsage;
    SIZE_T QuotaNonPagedPoolUsage;
    SIZE_T PagefileUsage;
    SIZE_T PeakPagefileUsage;
    SIZE_T PrivateUsage;
} VM_COUNTERS_EX;
_Static_assert(sizeof(VM_COUNTERS_EX) == 0x60, "VM_COUNTERS_EX size");
_Static_assert(offsetof(VM_COUNTERS_EX, PeakWorkingSetSize) == 0x18, "VMC.PeakWorkingSetSize");

typedef struct _PROCESS_BASIC_INFORMATION {
    NTSTATUS ExitStatus; /* STATUS_PENDING while the process runs */
    PVOID PebBaseAddress;
    ULONG_PTR AffinityMask;
    KPRIORITY BasePriority;
    ULONG_PTR UniqueProcessId;
    ULONG_PTR InheritedFromUniqueProcessId;
} PROCESS_BASIC_INFORMATION, *PPROCESS_BASIC_INFORMATION;
_Static_assert(sizeof(PROCESS_BASIC_INFORMATION) == 0x30, "PROCESS_BASIC_INFORMATION size");
_Static_assert(offsetof(PROCESS_BASIC_INFORMATION, UniqueProcessId) == 0x20, "PBI.UniqueProcessId");

/* A user APC routine (NtQueueApcThread), called with the three arguments queued with it. */
typedef VOID (*PPS_APC_ROUTINE)(PVOID ApcArgument1, PVOID ApcArgument2, PVOID ApcArgument3);

/* NtCreateThreadEx's attribute list; ntoy's kernel32 passes none. */
typedef struct _PS_ATTRIBUTE_LIST PS_ATTRIBUTE_LIST, *PPS_ATTRIBUTE_LIST;

typedef enum _SYSTEM_INFORMATION_CLASS {
    SystemBasicInformation = 0,
} SYSTEM_INFORMATION_CLASS;

typedef struct _SYSTEM_BASIC_INFORMATION {
    ULONG Reserved;
    ULONG TimerResolution;
    ULONG PageSize;
    ULONG NumberOfPhysicalPages;
    ULONG LowestPhysicalPageNumber;
    ULONG HighestPhysicalPageNumber;
    ULONG AllocationGranularity;
    ULONG_PTR MinimumUserModeAddress;
    ULONG_PTR MaximumUserModeAddress;
    ULONG_PTR ActiveProcessorsAffinityMask;
    CCHAR NumberOfProcessors;
} SYSTEM_BASIC_INFORMATION, *PSYSTEM_BASIC_INFORMATION;
_Static_assert(sizeof(SYSTEM_BASIC_INFORMATION) == 0x40, "SYSTEM_BASIC_INFORMATION size");
_Static_assert(offsetof(SYSTEM_BASIC_INFORMATION, PageSize) == 0x8, "SBI.PageSize");
_Static_assert(offsetof(SYSTEM_BASIC_INFORMATION, AllocationGranularity) == 0x18,
               "SBI.AllocationGranularity");
_Static_assert(offsetof(SYSTEM_BASIC_INFORMATION, MinimumUserModeAddress) == 0x20,
               "SBI.MinimumUserModeAddress");
_Static_assert(offsetof(SYSTEM_BASIC_INFORMATION, MaximumUserModeAddress) == 0x28,
               "SBI.MaximumUserModeAddress");
_Static_assert(offsetof(SYSTEM_BASIC_INFORMATION, ActiveProcessorsAffinityMask) == 0x30,
               "SBI.ActiveProcessorsAffinityMask");
_Static_assert(offsetof(SYSTEM_BASIC_INFORMATION, NumberOfProcessors) == 0x38,
               "SBI.NumberOfProcessors");

/* ---- Loader data (PEB->Ldr) ------------------------------------------------------------- */

typedef struct _STRING {
    USHORT Length; /* in bytes, without a terminator */
    USHORT MaximumLength;
    CHAR* Buffer;
} ANSI_STRING, *PANSI_STRING;
_Static_assert(sizeof(ANSI_STRING) == 0x10, "ANSI_STRING size");

typedef struct _RTL_BALANCED_NODE {
    struct _RTL_BALANCED_NODE* Children[2];
    ULONG_PTR ParentValue;
} RTL_BALANCED_NODE;
_Static_assert(sizeof(RTL_BALANCED_NODE) == 0x18, "RTL_BALANCED_NODE size");

typedef struct _PEB_LDR_DATA {
    ULONG Length;
    BOOLEAN Initialized;
    PVOID SsHandle;
    LIST_ENTRY InLoadOrderModuleList;
    LIST_ENTRY InMemoryOrderModuleList;
    LIST_ENTRY InInitializationOrderModuleList;
    PVOID EntryInProgress;
    BOOLEAN ShutdownInProgress;
    HANDLE ShutdownThreadId;
} PEB_LDR_DATA, *PPEB_LDR_DATA;
_Static_assert(sizeof(PEB_LDR_DATA) == 0x58, "PEB_LDR_DATA size");
_Static_assert(offsetof(PEB_LDR_DATA, InLoadOrderModuleList) == 0x10, "PEB_LDR_DATA.InLoadOrder");
_Static_assert(offsetof(PEB_LDR_DATA, InMemoryOrderModuleList) == 0x20,
               "PEB_LDR_DATA.InMemoryOrder");
_Static_assert(offsetof(PEB_LDR_DATA, InInitializationOrderModuleList) == 0x30,
               "PEB_LDR_DATA.InInitializationOrder");
_Static_assert(offsetof(PEB_LDR_DATA, ShutdownInProgress) == 0x48,
               "PEB_LDR_DATA.ShutdownInProgress");

/* LDR_DDAG_NODE.State */
#define LdrModulesUnloading (-1)
#define LdrModulesMapped 2
#define LdrModulesInitializing 8
#define LdrModulesReadyToRun 9

/* Windows 8 and later keep a module's reference count here (LoadCount); ~0 pins it. */
typedef struct _LDR_DDAG_NODE {
    LIST_ENTRY Modules; /* the entries of the module (NodeModuleLink) */
    PVOID ServiceTagList;
    ULONG LoadCount;
    ULONG LoadWhileUnloadingCount;
    ULONG LowestLink;
    PVOID Dependencies;
    PVOID IncomingDependencies;
    LONG State;
    PVOID CondenseLink;
    ULONG PreorderNumber;
} LDR_DDAG_NODE, *PLDR_DDAG_NODE;
_Static_assert(sizeof(LDR_DDAG_NODE) == 0x50, "LDR_DDAG_NODE size");
_Static_assert(offsetof(LDR_DDAG_NODE, LoadCount) == 0x18, "LDR_DDAG_NODE.LoadCount");
_Static_assert(offsetof(LDR_DDAG_NODE, State) == 0x38, "LDR_DDAG_NODE.State");

/* LDR_DATA_TABLE_ENTRY.Flags */
#define LDRP_IMAGE_DLL 0x00000004
#define LDRP_IN_LEGACY_LISTS 0x00000040
#define LDRP_ENTRY_PROCESSED 0x00004000
#define LDRP_DONT_CALL_FOR_THREADS 0x00040000
#define LDRP_PROCESS_ATTACH_CALLED 0x00080000
#define LDRP_PROCESS_ATTACH_FAILED 0x00100000

/* LDR_DATA_TABLE_ENTRY.LoadReason */
#define LoadReasonStaticDependency 0
#define LoadReasonStaticForwarderDependency 1
#define LoadReasonDynamicForwarderDependency 2
#define LoadReasonDynamicLoad 4

/* The Windows 10 layout. */
typedef struct _LDR_DATA_TABLE_ENTRY {
    LIST_ENTRY InLoadOrderLinks;
    LIST_ENTRY InMemoryOrderLinks;
    LIST_ENTRY InInitializationOrderLinks;
    PVOID DllBase;
    PVOID EntryPoint;
    ULONG SizeOfImage;
    UNICODE_STRING FullDllName;
    UNICODE_STRING BaseDllName;
    ULONG Flags;
    USHORT ObsoleteLoadCount; /* 0xFFFF for modules that never unload */
    USHORT TlsIndex;
    LIST_ENTRY HashLinks;
    ULONG TimeDateStamp;
    PVOID EntryPointActivationContext;
    PVOID Lock;
    PLDR_DDAG_NODE DdagNode;
    LIST_ENTRY NodeModuleLink;
    PVOID LoadContext;
    PVOID ParentDllBase;
    PVOID SwitchBackContext;
    RTL_BALANCED_NODE BaseAddressIndexNode;
    RTL_BALANCED_NODE MappingInfoIndexNode;
    ULONG_PTR OriginalBase;
    LARGE_INTEGER LoadTime;
    ULONG BaseNameHashValue;
    ULONG LoadReason;
    ULONG ImplicitPathOptions;
    ULONG ReferenceCount;
    ULONG DependentLoadFlags;
    UCHAR SigningLevel;
    ULONG CheckSum;
    PVOID ActivePatchImageBase;
    ULONG HotPatchState;
} LDR_DATA_TABLE_ENTRY, *PLDR_DATA_TABLE_ENTRY;
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, InMemoryOrderLinks) == 0x10, "LDR_DTE.InMemory");
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, InInitializationOrderLinks) == 0x20,
               "LDR_DTE.InInitializationOrder");
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, DllBase) == 0x30, "LDR_DTE.DllBase");
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, EntryPoint) == 0x38, "LDR_DTE.EntryPoint");
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, SizeOfImage) == 0x40, "LDR_DTE.SizeOfImage");
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, FullDllName) == 0x48, "LDR_DTE.FullDllName");
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, BaseDllName) == 0x58, "LDR_DTE.BaseDllName");
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, Flags) == 0x68, "LDR_DTE.Flags");
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, ObsoleteLoadCount) == 0x6C, "LDR_DTE.LoadCount");
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, TlsIndex) == 0x6E, "LDR_DTE.TlsIndex");
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, HashLinks) == 0x70, "LDR_DTE.HashLinks");
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, TimeDateStamp) == 0x80, "LDR_DTE.TimeDateStamp");
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, DdagNode) == 0x98, "LDR_DTE.DdagNode");
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, NodeModuleLink) == 0xA0, "LDR_DTE.NodeModuleLink");
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, BaseAddressIndexNode) == 0xC8,
               "LDR_DTE.BaseAddressIndexNode");
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, OriginalBase) == 0xF8, "LDR_DTE.OriginalBase");
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, BaseNameHashValue) == 0x108, "LDR_DTE.Hash");
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, LoadReason) == 0x10C, "LDR_DTE.LoadReason");
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, ReferenceCount) == 0x114, "LDR_DTE.ReferenceCount");
_Static_assert(offsetof(LDR_DATA_TABLE_ENTRY, CheckSum) == 0x120, "LDR_DTE.CheckSum");
_Static_assert(sizeof(LDR_DATA_TABLE_ENTRY) == 0x138, "LDR_DATA_TABLE_ENTRY size");

#endif
