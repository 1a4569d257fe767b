/* Directories as an ordinary program sees them: FindFirstFile/FindNextFile with Windows'
 * wildcards, _findfirst64, and the name and attribute changes (MoveFileEx, CreateHardLink,
 * SetFileAttributes, SetFileTime), each checked against what Windows answers. */
#include <io.h>
#include <stdio.h>
#include <string.h>
#include <windows.h>
#include <winternl.h>

/* FileRenameInformation through a handle (kernel32 has no call for it here). */
typedef struct {
    BOOLEAN ReplaceIfExists;
    HANDLE RootDirectory;
    ULONG FileNameLength;
    WCHAR FileName[64];
} RenameInformation;
typedef NTSTATUS(NTAPI* SetInformationFile)(HANDLE, PIO_STATUS_BLOCK, PVOID, ULONG, ULONG);

/* Renames the file open as HANDLE to the bare name NAME, in its own folder. */
static NTSTATUS rename_handle(HANDLE handle, const WCHAR* name) {
    RenameInformation info;
    memset(&info, 0, sizeof(info));
    info.FileNameLength = (ULONG)(wcslen(name) * sizeof(WCHAR));
    memcpy(info.FileName, name, info.FileNameLength);
    IO_STATUS_BLOCK io;
    SetInformationFile set = (SetInformationFile)(void (*)(void))GetProcAddress(
        GetModuleHandleA("ntdll.dll"), "NtSetInformationFile");
    return set(handle, &io, &info, sizeof(info), 10 /* FileRenameInformation */);
}

static void touch(const char* name, int bytes) {
    FILE* f = fopen(name, "wb");
    for (int i = 0; i < bytes; ++i) {
        fputc('x', f);
    }
    fclose(f);
}

static void list(const char* pattern) {
    WIN32_FIND_DATAA found;
    HANDLE find = FindFirstFileA(pattern, &found);
    DWORD error = GetLastError();
    printf("%s:", pattern);
    if (find == INVALID_HANDLE_VALUE) {
        printf(" error %lu\n", error);
        return;
    }
    do {
        printf(" %s%s", found.cFileName,
               (found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ? "/" : "");
        if (!(found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
            printf("(%lu)", found.nFileSizeLow);
        }
    } while (FindNextFileA(find, &found));
    error = GetLastError();
    printf(" [end %lu]\n", error);
    FindClose(find);
}

int main(void) {
    CreateDirectoryA("dirtest", NULL);
    CreateDirectoryA("dirtest\\Sub", NULL);
    touch("dirtest\\b.txt", 2);
    touch("dirtest\\a.txt", 1);
    touch("dirtest\\c.dat", 3);
    touch("dirtest\\a.txt.bak", 4);
    touch("dirtest\\noext", 5);

    list("dirtest\\*");
    list("dirtest\\*.*");
    list("dirtest\\*.txt");
    list("dirtest\\?.txt");
    list("dirtest\\A.TXT");
    list("dirtest\\*.");
    list("dirtest\\nothing*");
    list("missing\\*");

    /* A rename, one refused over an existing name, then allowed with REPLACE_EXISTING. */
    printf("move: %d\n", MoveFileExW(L"dirtest\\c.dat", L"dirtest\\d.dat", 0));
    BOOL ok = MoveFileExW(L"dirtest\\d.dat", L"dirtest\\b.txt", 0);
    DWORD error = GetLastError();
    printf("move onto b.txt: %d %lu\n", ok, error);
    HANDLE held = CreateFileA("dirtest\\b.txt", GENERIC_READ,
                              FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                              OPEN_EXISTING, 0, NULL);
    ok = MoveFileExW(L"dirtest\\d.dat", L"dirtest\\b.txt", MOVEFILE_REPLACE_EXISTING);
    error = GetLastError();
    printf("move replacing an open file: %d %lu\n", ok, error);
    CloseHandle(held);
    printf("move replacing: %d\n",
           MoveFileExW(L"dirtest\\d.dat", L"dirtest\\b.txt", MOVEFILE_REPLACE_EXISTING));
    printf("move into Sub: %d\n", MoveFileExW(L"dirtest\\noext", L"dirtest\\Sub\\moved", 0));
    printf("link: %d\n", CreateHardLinkW(L"dirtest\\link.txt", L"dirtest\\a.txt", NULL));
    list("dirtest\\*");
    list("dirtest\\Sub\\*");

    /* Read-only: reported, and deleting is refused until it is cleared. */
    printf("read-only: %d\n", SetFileAttributesA("dirtest\\a.txt", FILE_ATTRIBUTE_READONLY));
    printf("attributes: %#lx\n", GetFileAttributesA("dirtest\\a.txt"));
    ok = DeleteFileA("dirtest\\a.txt");
    error = GetLastError();
    printf("delete read-only: %d %lu\n", ok, error);
    printf("normal: %d\n", SetFileAttributesA("dirtest\\a.txt", FILE_ATTRIBUTE_NORMAL));
    printf("attributes: %#lx\n", GetFileAttributesA("dirtest\\a.txt"));

    /* A last-write time set and read back: 2020-01-01 00:00:00 UTC. */
    HANDLE file =
        CreateFileA("dirtest\\a.txt", FILE_WRITE_ATTRIBUTES, 0, NULL, OPEN_EXISTING, 0, NULL);
    FILETIME when = {0x1E6F0000u, 0x01D5C03Cu};
    printf("set time: %d\n", SetFileTime(file, NULL, NULL, &when));
    CloseHandle(file);
    WIN32_FIND_DATAA found;
    HANDLE find = FindFirstFileA("dirtest\\a.txt", &found);
    printf("time: %08lx%08lx\n", found.ftLastWriteTime.dwHighDateTime,
           found.ftLastWriteTime.dwLowDateTime);
    FindClose(find);

    /* Windows renames the open file, not whatever now has the name it was opened by: here
     * another open moves "x" to "y" and a new "x" appears, and the rename through the first
     * handle moves "y" (regression: ntoy moved the new "x"). */
    touch("dirtest\\x", 1);
    HANDLE x =
        CreateFileA("dirtest\\x", DELETE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    NULL, OPEN_EXISTING, 0, NULL);
    printf("x moved to y: %d\n", MoveFileExW(L"dirtest\\x", L"dirtest\\y", 0));
    touch("dirtest\\x", 2);
    printf("rename through the first handle: %#lx\n", (unsigned long)rename_handle(x, L"z"));
    CloseHandle(x);
    list("dirtest\\?");

    /* A find handle that is not one: an error, not a fault. */
    ok = FindClose((HANDLE)(ULONG_PTR)0x12340000);
    error = GetLastError();
    printf("FindClose of a bogus handle: %d %lu\n", ok, error);

    /* msvcrt's _find family. */
    struct __finddata64_t data;
    intptr_t handle = _findfirst64("dirtest\\*.txt", &data);
    printf("_findfirst64:");
    if (handle != -1) {
        do {
            printf(" %s(%lld)", data.name, (long long)data.size);
        } while (_findnext64(handle, &data) == 0);
        _findclose(handle);
    }
    printf("\n");

    DeleteFileA("dirtest\\x");
    DeleteFileA("dirtest\\z");
    DeleteFileA("dirtest\\a.txt");
    DeleteFileA("dirtest\\link.txt");
    DeleteFileA("dirtest\\b.txt");
    DeleteFileA("dirtest\\a.txt.bak");
    DeleteFileA("dirtest\\Sub\\moved");
    RemoveDirectoryA("dirtest\\Sub");
    printf("removed: %d\n", RemoveDirectoryA("dirtest"));
    return 0;
}
