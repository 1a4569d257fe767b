/* CreateProcessA/W over NtCreateProcessFromImage (ntoy/process_create.h), ntoy's one-call
 * equivalent of what Windows' CreateProcess does with NtCreateUserProcess.
 *
 * The image is named as Windows names it: lpApplicationName when given (used as it is, with
 * its extension), else the command line's first token, quoted or not, with ".exe" added when
 * its file name has no extension. The kernel looks the name up as Windows does (the caller's
 * application directory, its current directory, the images directory). The child gets
 * lpCommandLine (lpApplicationName when there is none), lpCurrentDirectory (the caller's
 * when NULL) and lpEnvironment (ANSI, or UTF-16 with CREATE_UNICODE_ENVIRONMENT; a copy of
 * the caller's current one when NULL). CREATE_SUSPENDED holds its first thread.
 *
 * Not carried, because the kernel call has nothing to carry them in: STARTUPINFO (ntoy has
 * no windows or consoles to describe), the security attributes, and bInheritHandles (a
 * parent hands a child handles with DuplicateHandle instead). */
#include "kernel32_private.h"
#include "path.h"

#define MAX_IMAGE_NAME 32767 /* characters, as a UNICODE_STRING holds */

static SIZE_T string_length(LPCWSTR text) {
    SIZE_T length = 0;
    while (text[length] != L'\0') {
        ++length;
    }
    return length;
}

static PVOID allocate_pages(SIZE_T bytes) {
    PVOID base = NULL;
    SIZE_T size = bytes;
    if (!NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &size,
                                            MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE))) {
        return NULL;
    }
    return base;
}

static void free_pages(PVOID base) {
    if (base != NULL) {
        SIZE_T size = 0;
        NtFreeVirtualMemory(NtCurrentProcess(), &base, &size, MEM_RELEASE);
    }
}

static BOOL is_blank(WCHAR c) {
    return c == L' ' || c == L'\t';
}

/* The image name the command line's first token gives, into NAME (MAX_IMAGE_NAME + 1
 * characters): the token without its quotes, ".exe" added when its file name has no '.'.
 * Returns its length, or 0 when there is no token. */
static SIZE_T image_name_from_command_line(LPCWSTR line, PWSTR name) {
    while (is_blank(*line)) {
        ++line;
    }
    SIZE_T length = 0;
    if (*line == L'"') {
        for (++line; *line != L'\0' && *line != L'"' && length < MAX_IMAGE_NAME - 4; ++line) {
            name[length++] = *line;
        }
    } else {
        for (; *line != L'\0' && !is_blank(*line) && length < MAX_IMAGE_NAME - 4; ++line) {
            name[length++] = *line;
        }
    }
    BOOL has_extension = FALSE;
    for (SIZE_T i = 0; i < length; ++i) {
        if (name[i] == L'\\' || name[i] == L'/') {
            has_extension = FALSE;
        } else if (name[i] == L'.') {
            has_extension = TRUE;
        }
    }
    if (length != 0 && !has_extension) {
        static const WCHAR extension[] = L".exe";
        for (SIZE_T i = 0; i < 4; ++i) {
            name[length++] = extension[i];
        }
    }
    name[length] = L'\0';
    return length;
}

/* Characters of a UTF-16 environment block up to and including its final NUL: it ends at the
 * first empty string (two NULs in a row, or one at the very start). */
static SIZE_T environment_length(LPCWSTR block) {
    SIZE_T length = 0;
    while (block[length] != L'\0') {
        length += string_length(block + length) + 1;
    }
    return length + 1;
}

/* An ANSI environment block widened into a new allocation; NULL when out of memory. */
static PWSTR widen_environment(LPCSTR block) {
    SIZE_T length = 0;
    while (block[length] != '\0') {
        while (block[length] != '\0') {
            ++length;
        }
        ++length;
    }
    ++length;
    PWSTR wide = allocate_pages(length * sizeof(WCHAR));
    if (wide != NULL) {
        for (SIZE_T i = 0; i < length; ++i) {
            wide[i] = (WCHAR)(BYTE)block[i];
        }
    }
    return wide;
}

BOOL CreateProcessW(LPCWSTR lpApplicationName, LPWSTR lpCommandLine,
                    LPSECURITY_ATTRIBUTES lpProcessAttributes,
                    LPSECURITY_ATTRIBUTES lpThreadAttributes, BOOL bInheritHandles,
                    DWORD dwCreationFlags, LPVOID lpEnvironment, LPCWSTR lpCurrentDirectory,
                    LPSTARTUPINFOW lpStartupInfo, LPPROCESS_INFORMATION lpProcessInformation) {
    (void)lpProcessAttributes;
    (void)lpThreadAttributes;
    (void)bInheritHandles;
    (void)lpStartupInfo;
    LPCWSTR command_line = lpCommandLine != NULL ? lpCommandLine : lpApplicationName;
    if (command_line == NULL || lpProcessInformation == NULL) {
        RtlSetLastWin32Error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }

    PWSTR name_buffer = NULL;
    LPCWSTR image_name = lpApplicationName;
    SIZE_T image_name_length = image_name != NULL ? string_length(image_name) : 0;
    if (image_name == NULL) {
        name_buffer = allocate_pages((MAX_IMAGE_NAME + 1) * sizeof(WCHAR));
        if (name_buffer == NULL) {
            RtlSetLastWin32Error(ERROR_NOT_ENOUGH_MEMORY);
            return FALSE;
        }
        image_name = name_buffer;
        image_name_length = image_name_from_command_line(command_line, name_buffer);
    }

    PWSTR environment_copy = NULL;
    LPCWSTR environment = lpEnvironment;
    if (lpEnvironment == NULL) {
        environment_copy = GetEnvironmentStringsW();
        environment = environment_copy;
    } else if ((dwCreationFlags & CREATE_UNICODE_ENVIRONMENT) == 0) {
        environment_copy = widen_environment(lpEnvironment);
        environment = environment_copy;
    }
    if (environment == NULL || image_name_length == 0 || image_name_length > MAX_IMAGE_NAME) {
        RtlSetLastWin32Error(
            environment == NULL
                ? ERROR_NOT_ENOUGH_MEMORY
                : (image_name_length == 0 ? ERROR_FILE_NOT_FOUND : ERROR_INVALID_PARAMETER));
        free_pages(environment_copy);
        free_pages(name_buffer);
        return FALSE;
    }

    SIZE_T command_line_length = string_length(command_line);
    /* The child starts in the caller's current directory unless told otherwise; either is
     * made a full path here, and the kernel checks that it is a directory under the root. */
    WCHAR directory[NTOY_PATH_CHARS];
    DWORD full_length = GetFullPathNameW(lpCurrentDirectory != NULL ? lpCurrentDirectory : L".",
                                         NTOY_PATH_CHARS, directory, NULL);
    LPCWSTR given =
        full_length != 0 && full_length < NTOY_PATH_CHARS ? directory : lpCurrentDirectory;
    SIZE_T directory_length = given != NULL ? string_length(given) : 0;
    NTOY_PROCESS_CREATE parameters;
    parameters.ImageName = (ULONG_PTR)image_name;
    parameters.ImageNameLength = (unsigned int)(image_name_length * sizeof(WCHAR));
    parameters.CommandLineLength = (unsigned int)(command_line_length * sizeof(WCHAR));
    parameters.CommandLine = (ULONG_PTR)command_line;
    parameters.CurrentDirectory = (ULONG_PTR)given;
    parameters.CurrentDirectoryLength = (unsigned int)(directory_length * sizeof(WCHAR));
    parameters.Flags = (dwCreationFlags & CREATE_SUSPENDED) != 0 ? NTOY_CREATE_SUSPENDED : 0;
    parameters.Environment = (ULONG_PTR)environment;
    parameters.EnvironmentLength = environment_length(environment) * sizeof(WCHAR);

    HANDLE process = NULL;
    HANDLE thread = NULL;
    CLIENT_ID client = {NULL, NULL};
    NTSTATUS status = NtCreateProcessFromImage(&process, &thread, &client, &parameters);
    free_pages(environment_copy);
    free_pages(name_buffer);
    if (!NT_SUCCESS(status)) {
        set_last_nt_error(status);
        return FALSE;
    }
    lpProcessInformation->hProcess = process;
    lpProcessInformation->hThread = thread;
    lpProcessInformation->dwProcessId = (DWORD)(ULONG_PTR)client.UniqueProcess;
    lpProcessInformation->dwThreadId = (DWORD)(ULONG_PTR)client.UniqueThread;
    return TRUE;
}

/* TEXT widened into a new allocation (NULL stays NULL); FALSE when out of memory. */
static BOOL widen_string(LPCSTR text, PWSTR* wide) {
    *wide = NULL;
    if (text == NULL) {
        return TRUE;
    }
    SIZE_T length = 0;
    while (text[length] != '\0') {
        ++length;
    }
    *wide = allocate_pages((length + 1) * sizeof(WCHAR));
    if (*wide == NULL) {
        RtlSetLastWin32Error(ERROR_NOT_ENOUGH_MEMORY);
        return FALSE;
    }
    for (SIZE_T i = 0; i <= length; ++i) {
        (*wide)[i] = (WCHAR)(BYTE)text[i];
    }
    return TRUE;
}

/* The strings widened (the ANSI code page is ASCII); an ANSI environment stays ANSI, for
 * CreateProcessW to widen. */
BOOL CreateProcessA(LPCSTR lpApplicationName, LPSTR lpCommandLine,
                    LPSECURITY_ATTRIBUTES lpProcessAttributes,
                    LPSECURITY_ATTRIBUTES lpThreadAttributes, BOOL bInheritHandles,
                    DWORD dwCreationFlags, LPVOID lpEnvironment, LPCSTR lpCurrentDirectory,
                    LPSTARTUPINFOA lpStartupInfo, LPPROCESS_INFORMATION lpProcessInformation) {
    (void)lpStartupInfo;
    PWSTR application = NULL;
    PWSTR command_line = NULL;
    PWSTR directory = NULL;
    BOOL result = widen_string(lpApplicationName, &application) &&
                  widen_string(lpCommandLine, &command_line) &&
                  widen_string(lpCurrentDirectory, &directory) &&
                  CreateProcessW(application, command_line, lpProcessAttributes, lpThreadAttributes,
                                 bInheritHandles, dwCreationFlags, lpEnvironment, directory, NULL,
                                 lpProcessInformation);
    free_pages(directory);
    free_pages(command_line);
    free_pages(application);
    return result;
}
