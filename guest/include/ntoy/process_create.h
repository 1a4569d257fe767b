/* NtCreateProcessFromImage, ntoy's own process-creation call (Windows' NtCreateUserProcess
 * takes a dozen structures; kernel32!CreateProcessW needs only this). Plain C, shared by host
 * and guest.
 *
 *   NTSTATUS NtCreateProcessFromImage(PHANDLE ProcessHandle, PHANDLE ThreadHandle,
 *                                     PCLIENT_ID ClientId,
 *                                     const NTOY_PROCESS_CREATE *Parameters);
 *
 * The kernel resolves ImageName as Windows resolves a CreateProcess application name: the
 * caller's application directory, its current directory, then the images directory. Only
 * the name's last component is looked up, and only in those directories; no other host file
 * is ever opened. The child gets CommandLine, CurrentDirectory (the parent's when empty) and
 * Environment (the parent's when NULL) in its RTL_USER_PROCESS_PARAMETERS. The handles have
 * PROCESS_ALL_ACCESS and THREAD_ALL_ACCESS. */
#ifndef NTOY_PROCESS_CREATE_H
#define NTOY_PROCESS_CREATE_H

#define NTOY_CREATE_SUSPENDED 0x00000004 /* CREATE_SUSPENDED: the thread starts suspended */

/* All strings are UTF-16, counted in bytes, not NUL-terminated. */
typedef struct NTOY_PROCESS_CREATE {
    unsigned long long ImageName;        /* PCWSTR */
    unsigned int ImageNameLength;        /* bytes */
    unsigned int CommandLineLength;      /* bytes */
    unsigned long long CommandLine;      /* PCWSTR */
    unsigned long long CurrentDirectory; /* PCWSTR; NULL or empty: the parent's */
    unsigned int CurrentDirectoryLength; /* bytes */
    unsigned int Flags;                  /* NTOY_CREATE_SUSPENDED */
    unsigned long long Environment;      /* PCWSTR: NAME=VALUE\0...\0\0; NULL: the parent's */
    unsigned long long EnvironmentLength; /* bytes, both final NULs included */
} NTOY_PROCESS_CREATE;

#endif
