/* Confinement of the guest's files to ntoy's root (`ntoy run --root DIR`): nothing outside
 * DIR can be named, reached or changed, and no host path is shown. Run from the root's top
 * (the guest's "C:\") in the tree that tests/guest/files_root.sh plants:
 *
 *     inside.txt      "inside"
 *     inside_link  -> inside.txt                     (a relative link that stays inside)
 *     escape       -> <outside>                      (a directory outside the root)
 *     escape_file  -> <outside>/created_by_guest.txt (a dangling link out of the root)
 *     absolute_link -> <root>/inside.txt             (absolute: refused as a way out)
 *
 * The harness then checks that <outside> is as it was. ntoy-only: on Windows the same names
 * would mean other things. */
#include "../framework/ntoy_test.h"

NTSTATUS NTAPI RtlGetLastNtStatus(void);
/* <ntstatus.h>'s, which <windows.h> leaves out. */
#ifndef STATUS_OBJECT_NAME_INVALID
#define STATUS_OBJECT_NAME_INVALID ((NTSTATUS)0xC0000033L)
#endif
#ifndef STATUS_OBJECT_PATH_NOT_FOUND
#define STATUS_OBJECT_PATH_NOT_FOUND ((NTSTATUS)0xC000003AL)
#endif
#ifndef STATUS_ACCESS_DENIED
#define STATUS_ACCESS_DENIED ((NTSTATUS)0xC0000022L)
#endif

static HANDLE open_read(const char* name) {
    return CreateFileA(name, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
}

/* A name that must not open: the Win32 error and the NTSTATUS behind it. */
static void refused(const char* name, DWORD error, NTSTATUS status) {
    char check[128];
    SetLastError(0);
    HANDLE file = open_read(name);
    DWORD got = GetLastError();
    NTSTATUS nt = RtlGetLastNtStatus();
    if (file != INVALID_HANDLE_VALUE) {
        CloseHandle(file);
    }
    CHECK_TRUE(test_name(check, sizeof(check), "refused: ", name), file == INVALID_HANDLE_VALUE);
    CHECK_DEC(test_name(check, sizeof(check), "error: ", name), got, error);
    CHECK_STATUS(test_name(check, sizeof(check), "status: ", name), nt, status);
}

static BOOL starts_with(const char* text, const char* prefix) {
    for (; *prefix != '\0'; ++text, ++prefix) {
        if (*text != *prefix) {
            return FALSE;
        }
    }
    return TRUE;
}

int start(void) {
    char path[MAX_PATH];
    DWORD length = GetCurrentDirectoryA(sizeof(path), path);
    CHECK_TRUE("the current directory is the root, C:\\",
               length == 3 && test_string_equal(path, "C:\\"));
    CHECK_TRUE("SetCurrentDirectory .. stays at the root",
               SetCurrentDirectoryA("..") && GetCurrentDirectoryA(sizeof(path), path) == 3);
    GetFullPathNameA("inside.txt", sizeof(path), path, NULL);
    CHECK_TRUE("a full path is a guest path", test_string_equal(path, "C:\\inside.txt"));

    HANDLE file = open_read("inside.txt");
    char buffer[16];
    DWORD read = 0;
    CHECK_TRUE("a file inside opens and reads",
               file != INVALID_HANDLE_VALUE &&
                   ReadFile(file, buffer, sizeof(buffer), &read, NULL) && read == 6);
    CloseHandle(file);
    file = open_read("inside_link");
    CHECK_TRUE("a link that stays inside opens", file != INVALID_HANDLE_VALUE);
    CloseHandle(file);

    /* '..' and absolute names resolve inside the root, where nothing of the host is. */
    refused("..\\..\\etc\\passwd", ERROR_PATH_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND);
    refused("C:\\..\\..\\etc\\passwd", ERROR_PATH_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND);
    refused("/etc/passwd", ERROR_PATH_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND);
    refused("\\\\?\\C:\\..\\etc\\passwd", ERROR_INVALID_NAME, STATUS_OBJECT_NAME_INVALID);
    /* Other drives, network names and devices do not exist. */
    refused("D:\\x.txt", ERROR_PATH_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND);
    refused("\\\\server\\share\\x.txt", ERROR_PATH_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND);
    refused("\\\\.\\PhysicalDrive0", ERROR_PATH_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND);
    refused("NUL", ERROR_PATH_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND);
    refused("C:\\dir\\con.txt", ERROR_PATH_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND);
    /* Alternate data streams are not names here. */
    refused("inside.txt:secret", ERROR_INVALID_NAME, STATUS_OBJECT_NAME_INVALID);
    refused("inside.txt::$DATA", ERROR_INVALID_NAME, STATUS_OBJECT_NAME_INVALID);
    /* Links that lead out of the root, however spelled. */
    refused("escape\\secret.txt", ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
    refused("escape", ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
    refused("absolute_link", ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);
    refused("escape_file", ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED);

    file = CreateFileA("escape_file", GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    CHECK_TRUE("CREATE_ALWAYS through a dangling link out fails", file == INVALID_HANDLE_VALUE);
    CHECK_DEC("... ERROR_ACCESS_DENIED", GetLastError(), ERROR_ACCESS_DENIED);
    file = CreateFileA("escape\\new.txt", GENERIC_WRITE, 0, NULL, CREATE_NEW, 0, NULL);
    CHECK_TRUE("CREATE_NEW in a linked directory outside fails", file == INVALID_HANDLE_VALUE);
    CHECK_TRUE("DeleteFile through a link out fails", !DeleteFileA("escape\\secret.txt"));
    CHECK_EQ("GetFileAttributes through a link out fails", GetFileAttributesA("escape\\secret.txt"),
             INVALID_FILE_ATTRIBUTES);
    CHECK_DEC("... ERROR_ACCESS_DENIED", GetLastError(), ERROR_ACCESS_DENIED);
    CHECK_TRUE("SetCurrentDirectory into a link out fails", !SetCurrentDirectoryA("escape"));
    CHECK_TRUE("CreateDirectory through a link out fails",
               !CreateDirectoryA("escape\\made_by_guest", NULL));

    GetCurrentDirectoryA(sizeof(path), path);
    CHECK_TRUE("the current directory is still the root", test_string_equal(path, "C:\\"));
    CHECK_TRUE("no host path in the full path of '.'",
               GetFullPathNameA(".", sizeof(path), path, NULL) != 0 && starts_with(path, "C:\\"));
    return test_done();
}
