/* Prototypes of the kernel32 exports ordinary programs need (issue 11), with the Windows
 * SDK's parameter types; sdk_prototype_check.c compares them with mingw-w64's <windows.h>. */
#ifndef NTOY_KERNEL32_ORDINARY_EXPORTS_H
#define NTOY_KERNEL32_ORDINARY_EXPORTS_H

/* startup_info.c */
VOID GetStartupInfoA(LPSTARTUPINFOA lpStartupInfo);
VOID GetStartupInfoW(LPSTARTUPINFOW lpStartupInfo);

/* unhandled_exception.c */
LPTOP_LEVEL_EXCEPTION_FILTER SetUnhandledExceptionFilter(
    LPTOP_LEVEL_EXCEPTION_FILTER lpTopLevelExceptionFilter);
LONG UnhandledExceptionFilter(struct _EXCEPTION_POINTERS* ExceptionInfo);

/* code_pages.c */
UINT GetACP(VOID);
UINT GetOEMCP(VOID);
BOOL GetCPInfo(UINT CodePage, LPCPINFO lpCPInfo);
BOOL IsValidCodePage(UINT CodePage);
BOOL IsDBCSLeadByte(BYTE TestChar);
BOOL IsDBCSLeadByteEx(UINT CodePage, BYTE TestChar);
int MultiByteToWideChar(UINT CodePage, DWORD dwFlags, LPCCH lpMultiByteStr, int cbMultiByte,
                        LPWSTR lpWideCharStr, int cchWideChar);
int WideCharToMultiByte(UINT CodePage, DWORD dwFlags, LPCWCH lpWideCharStr, int cchWideChar,
                        LPSTR lpMultiByteStr, int cbMultiByte, LPCCH lpDefaultChar,
                        LPBOOL lpUsedDefaultChar);

/* module_file_name.c */
DWORD GetModuleFileNameW(HMODULE hModule, LPWSTR lpFilename, DWORD nSize);
DWORD GetModuleFileNameA(HMODULE hModule, LPSTR lpFilename, DWORD nSize);
BOOL GetModuleHandleExW(DWORD dwFlags, LPCWSTR lpModuleName, HMODULE* phModule);
BOOL GetModuleHandleExA(DWORD dwFlags, LPCSTR lpModuleName, HMODULE* phModule);

/* format_message.c */
DWORD FormatMessageW(DWORD dwFlags, LPCVOID lpSource, DWORD dwMessageId, DWORD dwLanguageId,
                     LPWSTR lpBuffer, DWORD nSize, va_list* Arguments);
DWORD FormatMessageA(DWORD dwFlags, LPCVOID lpSource, DWORD dwMessageId, DWORD dwLanguageId,
                     LPSTR lpBuffer, DWORD nSize, va_list* Arguments);

/* slim_sync.c (the rest are forwarders to ntdll's Rtl functions) */
BOOL SleepConditionVariableSRW(PCONDITION_VARIABLE ConditionVariable, PSRWLOCK SRWLock,
                               DWORD dwMilliseconds, ULONG Flags);
BOOL SleepConditionVariableCS(PCONDITION_VARIABLE ConditionVariable,
                              PCRITICAL_SECTION CriticalSection, DWORD dwMilliseconds);
BOOL InitOnceExecuteOnce(PINIT_ONCE InitOnce, PINIT_ONCE_FN InitFn, PVOID Parameter,
                         LPVOID* Context);
BOOL InitOnceBeginInitialize(LPINIT_ONCE lpInitOnce, DWORD dwFlags, PBOOL fPending,
                             LPVOID* lpContext);
BOOL InitOnceComplete(LPINIT_ONCE lpInitOnce, DWORD dwFlags, LPVOID lpContext);

#endif
