/* The PE32+ structures ntdll's loader reads in mapped images (exports, TLS, the headers
 * that lead to them), with the Windows SDK's (winnt.h) names and layouts. Guest-only. */
#ifndef NTOY_IMAGE_TYPES_H
#define NTOY_IMAGE_TYPES_H

#include "ntoy/nt_types.h"

#define IMAGE_DOS_SIGNATURE 0x5A4D    /* "MZ" */
#define IMAGE_NT_SIGNATURE 0x00004550 /* "PE\0\0" */
#define IMAGE_FILE_DLL 0x2000
#define IMAGE_NUMBEROF_DIRECTORY_ENTRIES 16
#define IMAGE_DIRECTORY_ENTRY_EXPORT 0
#define IMAGE_DIRECTORY_ENTRY_TLS 9

#define DLL_PROCESS_DETACH 0
#define DLL_PROCESS_ATTACH 1
#define DLL_THREAD_ATTACH 2
#define DLL_THREAD_DETACH 3

typedef struct _IMAGE_DOS_HEADER {
    WORD e_magic;
    WORD e_cblp;
    WORD e_cp;
    WORD e_crlc;
    WORD e_cparhdr;
    WORD e_minalloc;
    WORD e_maxalloc;
    WORD e_ss;
    WORD e_sp;
    WORD e_csum;
    WORD e_ip;
    WORD e_cs;
    WORD e_lfarlc;
    WORD e_ovno;
    WORD e_res[4];
    WORD e_oemid;
    WORD e_oeminfo;
    WORD e_res2[10];
    LONG e_lfanew;
} IMAGE_DOS_HEADER, *PIMAGE_DOS_HEADER;
_Static_assert(sizeof(IMAGE_DOS_HEADER) == 0x40, "IMAGE_DOS_HEADER size");

typedef struct _IMAGE_FILE_HEADER {
    WORD Machine;
    WORD NumberOfSections;
    DWORD TimeDateStamp;
    DWORD PointerToSymbolTable;
    DWORD NumberOfSymbols;
    WORD SizeOfOptionalHeader;
    WORD Characteristics;
} IMAGE_FILE_HEADER, *PIMAGE_FILE_HEADER;

typedef struct _IMAGE_DATA_DIRECTORY {
    DWORD VirtualAddress;
    DWORD Size;
} IMAGE_DATA_DIRECTORY, *PIMAGE_DATA_DIRECTORY;

typedef struct _IMAGE_OPTIONAL_HEADER64 {
    WORD Magic;
    BYTE MajorLinkerVersion;
    BYTE MinorLinkerVersion;
    DWORD SizeOfCode;
    DWORD SizeOfInitializedData;
    DWORD SizeOfUninitializedData;
    DWORD AddressOfEntryPoint;
    DWORD BaseOfCode;
    ULONGLONG ImageBase;
    DWORD SectionAlignment;
    DWORD FileAlignment;
    WORD MajorOperatingSystemVersion;
    WORD MinorOperatingSystemVersion;
    WORD MajorImageVersion;
    WORD MinorImageVersion;
    WORD MajorSubsystemVersion;
    WORD MinorSubsystemVersion;
    DWORD Win32VersionValue;
    DWORD SizeOfImage;
    DWORD SizeOfHeaders;
    DWORD CheckSum;
    WORD Subsystem;
    WORD DllCharacteristics;
    ULONGLONG SizeOfStackReserve;
    ULONGLONG SizeOfStackCommit;
    ULONGLONG SizeOfHeapReserve;
    ULONGLONG SizeOfHeapCommit;
    DWORD LoaderFlags;
    DWORD NumberOfRvaAndSizes;
    IMAGE_DATA_DIRECTORY DataDirectory[IMAGE_NUMBEROF_DIRECTORY_ENTRIES];
} IMAGE_OPTIONAL_HEADER64, *PIMAGE_OPTIONAL_HEADER64;
_Static_assert(offsetof(IMAGE_OPTIONAL_HEADER64, ImageBase) == 0x18, "OptionalHeader.ImageBase");
_Static_assert(offsetof(IMAGE_OPTIONAL_HEADER64, DataDirectory) == 0x70,
               "OptionalHeader.DataDirectory");

typedef struct _IMAGE_NT_HEADERS64 {
    DWORD Signature;
    IMAGE_FILE_HEADER FileHeader;
    IMAGE_OPTIONAL_HEADER64 OptionalHeader;
} IMAGE_NT_HEADERS64, *PIMAGE_NT_HEADERS64;
_Static_assert(offsetof(IMAGE_NT_HEADERS64, OptionalHeader) == 0x18, "NT headers");

typedef struct _IMAGE_EXPORT_DIRECTORY {
    DWORD Characteristics;
    DWORD TimeDateStamp;
    WORD MajorVersion;
    WORD MinorVersion;
    DWORD Name;
    DWORD Base;
    DWORD NumberOfFunctions;
    DWORD NumberOfNames;
    DWORD AddressOfFunctions;
    DWORD AddressOfNames;
    DWORD AddressOfNameOrdinals;
} IMAGE_EXPORT_DIRECTORY, *PIMAGE_EXPORT_DIRECTORY;
_Static_assert(sizeof(IMAGE_EXPORT_DIRECTORY) == 0x28, "IMAGE_EXPORT_DIRECTORY size");

typedef VOID (*PIMAGE_TLS_CALLBACK)(PVOID DllHandle, DWORD Reason, PVOID Reserved);

/* Addresses, not RVAs: they are relocated with the image. */
typedef struct _IMAGE_TLS_DIRECTORY64 {
    ULONGLONG StartAddressOfRawData;
    ULONGLONG EndAddressOfRawData;
    ULONGLONG AddressOfIndex;
    ULONGLONG AddressOfCallBacks; /* a NULL-terminated array of PIMAGE_TLS_CALLBACK */
    DWORD SizeOfZeroFill;
    DWORD Characteristics;
} IMAGE_TLS_DIRECTORY64, *PIMAGE_TLS_DIRECTORY64;
_Static_assert(sizeof(IMAGE_TLS_DIRECTORY64) == 0x28, "IMAGE_TLS_DIRECTORY64 size");

/* A DLL's entry point (DllMain). */
typedef BOOLEAN (*PDLL_INIT_ROUTINE)(PVOID DllHandle, ULONG Reason, PVOID Context);

/* The NT headers of the image mapped at BASE. */
static inline PIMAGE_NT_HEADERS64 ntoy_image_nt_headers(PVOID base) {
    return (PIMAGE_NT_HEADERS64)((BYTE*)base + ((PIMAGE_DOS_HEADER)base)->e_lfanew);
}

/* The data directory INDEX of the image mapped at BASE: its address, with its size in *SIZE,
 * or NULL if the image has none. */
static inline PVOID ntoy_image_directory(PVOID base, ULONG index, ULONG* size) {
    PIMAGE_NT_HEADERS64 nt = ntoy_image_nt_headers(base);
    if (index >= nt->OptionalHeader.NumberOfRvaAndSizes ||
        nt->OptionalHeader.DataDirectory[index].VirtualAddress == 0) {
        *size = 0;
        return NULL;
    }
    *size = nt->OptionalHeader.DataDirectory[index].Size;
    return (BYTE*)base + nt->OptionalHeader.DataDirectory[index].VirtualAddress;
}

#endif
