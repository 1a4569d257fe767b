/* Prototypes of the functions our kernel32.dll exports. Declarations only, with the Windows
 * SDK's parameter types, so that sdk_prototype_check.c can include this after mingw's
 * <windows.h> and have the compiler prove each one matches the SDK's declaration. */
#ifndef NTOY_KERNEL32_EXPORTS_H
#define NTOY_KERNEL32_EXPORTS_H

/* console.c */
HANDLE GetStdHandle(DWORD nStdHandle);

/* file_io.c */
BOOL WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite,
               LPDWORD lpNumberOfBytesWritten, LPOVERLAPPED lpOverlapped);

/* process.c */
__attribute__((noreturn)) VOID ExitProcess(UINT uExitCode);
HANDLE GetCurrentProcess(VOID);
DWORD GetCurrentProcessId(VOID);
DWORD GetCurrentThreadId(VOID);

/* command_line.c */
LPSTR GetCommandLineA(VOID);
LPWSTR GetCommandLineW(VOID);

/* module.c */
HMODULE GetModuleHandleA(LPCSTR lpModuleName);
HMODULE GetModuleHandleW(LPCWSTR lpModuleName);
HMODULE LoadLibraryA(LPCSTR lpLibFileName);
HMODULE LoadLibraryW(LPCWSTR lpLibFileName);
BOOL FreeLibrary(HMODULE hLibModule);
FARPROC GetProcAddress(HMODULE hModule, LPCSTR lpProcName);

/* pointer_probes.c */
BOOL IsBadReadPtr(const VOID* lp, UINT_PTR ucb);
BOOL IsBadWritePtr(LPVOID lp, UINT_PTR ucb);
BOOL IsBadCodePtr(FARPROC lpfn);

/* system_info.c */
VOID GetSystemInfo(LPSYSTEM_INFO lpSystemInfo);
VOID GetNativeSystemInfo(LPSYSTEM_INFO lpSystemInfo);

/* time.c */
DWORD GetTickCount(VOID);
ULONGLONG GetTickCount64(VOID);
BOOL QueryPerformanceCounter(LARGE_INTEGER* lpPerformanceCount);
BOOL QueryPerformanceFrequency(LARGE_INTEGER* lpFrequency);
VOID GetSystemTimeAsFileTime(LPFILETIME lpSystemTimeAsFileTime);
VOID GetSystemTimePreciseAsFileTime(LPFILETIME lpSystemTimeAsFileTime);
VOID GetSystemTime(LPSYSTEMTIME lpSystemTime);
BOOL FileTimeToSystemTime(const FILETIME* lpFileTime, LPSYSTEMTIME lpSystemTime);

/* last_error.c */
DWORD GetLastError(VOID);
VOID SetLastError(DWORD dwErrCode);

/* virtual_memory.c */
LPVOID VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType, DWORD flProtect);
LPVOID VirtualAllocEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType,
                      DWORD flProtect);
BOOL VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType);
BOOL VirtualFreeEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType);
BOOL VirtualProtect(LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect, PDWORD lpflOldProtect);
BOOL VirtualProtectEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect,
                      PDWORD lpflOldProtect);
SIZE_T VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer, SIZE_T dwLength);
SIZE_T VirtualQueryEx(HANDLE hProcess, LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer,
                      SIZE_T dwLength);

/* exception_handlers.c */
PVOID AddVectoredExceptionHandler(ULONG First, PVECTORED_EXCEPTION_HANDLER Handler);
ULONG RemoveVectoredExceptionHandler(PVOID Handle);
PVOID AddVectoredContinueHandler(ULONG First, PVECTORED_EXCEPTION_HANDLER Handler);
ULONG RemoveVectoredContinueHandler(PVOID Handle);

#endif
