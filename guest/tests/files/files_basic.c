/* Files through kernel32 as an ordinary program uses them: create, write, read back, seek,
 * truncate, delete, attributes, directories, full paths and the current directory. Works in
 * a directory of its own ("files_basic.dir") under the current directory, which it removes
 * at the end; runs unchanged on Windows. */
#include "../framework/ntoy_test.h"

static BOOL same_bytes(const char* a, const char* b, DWORD n) {
    for (DWORD i = 0; i < n; ++i) {
        if (a[i] != b[i]) {
            return FALSE;
        }
    }
    return TRUE;
}

static BOOL ends_with(const char* text, const char* suffix) {
    DWORD t = 0, s = 0;
    while (text[t] != '\0') {
        ++t;
    }
    while (suffix[s] != '\0') {
        ++s;
    }
    return t >= s && test_string_equal(text + t - s, suffix);
}

static HANDLE open_file(const char* name, DWORD access, DWORD disposition) {
    return CreateFileA(name, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                       disposition, FILE_ATTRIBUTE_NORMAL, NULL);
}

static void test_create_write_read(void) {
    SetLastError(12345);
    HANDLE file = open_file("a.txt", GENERIC_READ | GENERIC_WRITE, CREATE_NEW);
    CHECK_TRUE("CREATE_NEW makes a file", file != INVALID_HANDLE_VALUE);
    CHECK_DEC("CREATE_NEW leaves no error", GetLastError(), 0);
    HANDLE again = open_file("a.txt", GENERIC_READ, CREATE_NEW);
    CHECK_TRUE("CREATE_NEW over a file fails", again == INVALID_HANDLE_VALUE);
    CHECK_DEC("CREATE_NEW over a file: ERROR_FILE_EXISTS", GetLastError(), ERROR_FILE_EXISTS);

    DWORD written = 0;
    CHECK_TRUE("WriteFile", WriteFile(file, "hello, world", 12, &written, NULL));
    CHECK_DEC("WriteFile wrote every byte", written, 12);
    CHECK_DEC("GetFileSize after the write", GetFileSize(file, NULL), 12);
    CHECK_DEC("the pointer moved with the write", SetFilePointer(file, 0, NULL, FILE_CURRENT), 12);
    CHECK_TRUE("FlushFileBuffers", FlushFileBuffers(file));
    CHECK_DEC("GetFileType of a file", GetFileType(file), FILE_TYPE_DISK);

    char buffer[64];
    DWORD read = 99;
    CHECK_DEC("back to the start", SetFilePointer(file, 0, NULL, FILE_BEGIN), 0);
    CHECK_TRUE("ReadFile", ReadFile(file, buffer, sizeof(buffer), &read, NULL));
    CHECK_TRUE("ReadFile reads what was written",
               read == 12 && same_bytes(buffer, "hello, world", 12));
    read = 99;
    CHECK_TRUE("ReadFile at the end succeeds", ReadFile(file, buffer, sizeof(buffer), &read, NULL));
    CHECK_DEC("ReadFile at the end reads nothing", read, 0);

    CHECK_DEC("FILE_END - 5", SetFilePointer(file, -5, NULL, FILE_END), 7);
    CHECK_TRUE("read after FILE_END", ReadFile(file, buffer, 5, &read, NULL) && read == 5 &&
                                          same_bytes(buffer, "world", 5));
    SetLastError(0);
    CHECK_EQ("a negative seek fails", SetFilePointer(file, -100, NULL, FILE_BEGIN),
             INVALID_SET_FILE_POINTER);
    CHECK_DEC("a negative seek: ERROR_NEGATIVE_SEEK", GetLastError(), ERROR_NEGATIVE_SEEK);
    CHECK_DEC("a failed seek leaves the pointer", SetFilePointer(file, 0, NULL, FILE_CURRENT), 12);

    OVERLAPPED at = {0};
    at.Offset = 7;
    read = 0;
    CHECK_TRUE("ReadFile at an OVERLAPPED offset", ReadFile(file, buffer, 5, &read, &at) &&
                                                       read == 5 && same_bytes(buffer, "world", 5));
    at.Offset = 0;
    CHECK_TRUE("WriteFile at an OVERLAPPED offset", WriteFile(file, "J", 1, &written, &at));

    /* The INVALID_SET_FILE_POINTER dance: a position whose low part is all ones. */
    LONG high = 0;
    SetLastError(77);
    CHECK_EQ("a position of 0xFFFFFFFF", SetFilePointer(file, -1, &high, FILE_BEGIN), 0xFFFFFFFF);
    CHECK_DEC("... with no error", GetLastError(), 0);
    LARGE_INTEGER distant, now;
    distant.QuadPart = 0x10000000AULL;
    CHECK_TRUE("SetFilePointerEx past 4 GB", SetFilePointerEx(file, distant, &now, FILE_BEGIN) &&
                                                 now.QuadPart == (LONGLONG)0x10000000AULL);
    high = 0;
    CHECK_EQ("SetFilePointer reads back the low part", SetFilePointer(file, 0, &high, FILE_CURRENT),
             10);
    CHECK_DEC("... and the high part", high, 1);

    CHECK_EQ("seek to 5", SetFilePointer(file, 5, NULL, FILE_BEGIN), 5);
    CHECK_TRUE("SetEndOfFile", SetEndOfFile(file));
    LARGE_INTEGER size;
    CHECK_TRUE("GetFileSizeEx after truncation", GetFileSizeEx(file, &size) && size.QuadPart == 5);
    SetFilePointer(file, 0, NULL, FILE_BEGIN);
    CHECK_TRUE("the truncated file", ReadFile(file, buffer, sizeof(buffer), &read, NULL) &&
                                         read == 5 && same_bytes(buffer, "Jello", 5));
    CHECK_TRUE("CloseHandle", CloseHandle(file));
    SetLastError(0);
    CHECK_TRUE("CloseHandle again fails", !CloseHandle(file));
    CHECK_DEC("CloseHandle again: ERROR_INVALID_HANDLE", GetLastError(), ERROR_INVALID_HANDLE);
}

static void test_dispositions(void) {
    HANDLE file = open_file("a.txt", GENERIC_READ, OPEN_ALWAYS);
    CHECK_TRUE("OPEN_ALWAYS over a file", file != INVALID_HANDLE_VALUE);
    CHECK_DEC("OPEN_ALWAYS over a file: ERROR_ALREADY_EXISTS", GetLastError(),
              ERROR_ALREADY_EXISTS);
    DWORD written = 1;
    SetLastError(0);
    CHECK_TRUE("WriteFile on a read-only handle fails", !WriteFile(file, "x", 1, &written, NULL));
    CHECK_DEC("... with ERROR_ACCESS_DENIED", GetLastError(), ERROR_ACCESS_DENIED);
    CloseHandle(file);

    file = open_file("a.txt", GENERIC_WRITE, CREATE_ALWAYS);
    CHECK_TRUE("CREATE_ALWAYS over a file", file != INVALID_HANDLE_VALUE);
    CHECK_DEC("CREATE_ALWAYS over a file: ERROR_ALREADY_EXISTS", GetLastError(),
              ERROR_ALREADY_EXISTS);
    CHECK_DEC("CREATE_ALWAYS empties it", GetFileSize(file, NULL), 0);
    CHECK_TRUE("write again", WriteFile(file, "abc", 3, &written, NULL));
    CloseHandle(file);

    file = open_file("b.txt", GENERIC_WRITE, CREATE_ALWAYS);
    CHECK_DEC("CREATE_ALWAYS of a new file: no error", GetLastError(), 0);
    CloseHandle(file);
    file = open_file("b.txt", GENERIC_WRITE, TRUNCATE_EXISTING);
    CHECK_TRUE("TRUNCATE_EXISTING", file != INVALID_HANDLE_VALUE);
    CloseHandle(file);

    file = open_file("missing.txt", GENERIC_READ, OPEN_EXISTING);
    CHECK_TRUE("OPEN_EXISTING of nothing fails", file == INVALID_HANDLE_VALUE);
    CHECK_DEC("... ERROR_FILE_NOT_FOUND", GetLastError(), ERROR_FILE_NOT_FOUND);
    file = open_file("missing.txt", GENERIC_WRITE, TRUNCATE_EXISTING);
    CHECK_DEC("TRUNCATE_EXISTING of nothing: ERROR_FILE_NOT_FOUND", GetLastError(),
              ERROR_FILE_NOT_FOUND);
    file = open_file("missing\\a.txt", GENERIC_READ, OPEN_ALWAYS);
    CHECK_TRUE("a missing directory on the way fails", file == INVALID_HANDLE_VALUE);
    CHECK_DEC("... ERROR_PATH_NOT_FOUND", GetLastError(), ERROR_PATH_NOT_FOUND);
    file = open_file("a.txt\\b.txt", GENERIC_READ, OPEN_EXISTING);
    CHECK_DEC("a file used as a directory: ERROR_PATH_NOT_FOUND", GetLastError(),
              ERROR_PATH_NOT_FOUND);
    file = open_file("", GENERIC_READ, OPEN_EXISTING);
    CHECK_DEC("an empty name: ERROR_PATH_NOT_FOUND", GetLastError(), ERROR_PATH_NOT_FOUND);
    file = open_file("a.txt", GENERIC_READ, 0);
    CHECK_DEC("disposition 0: ERROR_INVALID_PARAMETER", GetLastError(), ERROR_INVALID_PARAMETER);
}

static void test_attributes_and_delete(void) {
    CHECK_EQ("GetFileAttributes of a file", GetFileAttributesA("a.txt"), FILE_ATTRIBUTE_ARCHIVE);
    DWORD dir = GetFileAttributesA(".");
    CHECK_TRUE("GetFileAttributes of a directory",
               dir != INVALID_FILE_ATTRIBUTES && (dir & FILE_ATTRIBUTE_DIRECTORY));
    CHECK_EQ("GetFileAttributes of nothing", GetFileAttributesA("missing.txt"),
             INVALID_FILE_ATTRIBUTES);
    CHECK_DEC("... ERROR_FILE_NOT_FOUND", GetLastError(), ERROR_FILE_NOT_FOUND);
    WIN32_FILE_ATTRIBUTE_DATA data;
    CHECK_TRUE("GetFileAttributesEx", GetFileAttributesExA("a.txt", GetFileExInfoStandard, &data) &&
                                          data.nFileSizeLow == 3 && data.nFileSizeHigh == 0 &&
                                          data.ftLastWriteTime.dwHighDateTime != 0);

    CHECK_TRUE("DeleteFile", DeleteFileA("a.txt"));
    CHECK_EQ("a deleted file is gone", GetFileAttributesA("a.txt"), INVALID_FILE_ATTRIBUTES);
    SetLastError(0);
    CHECK_TRUE("DeleteFile of nothing fails", !DeleteFileA("a.txt"));
    CHECK_DEC("... ERROR_FILE_NOT_FOUND", GetLastError(), ERROR_FILE_NOT_FOUND);
    CHECK_TRUE("DeleteFile b.txt", DeleteFileW(L"b.txt"));

    HANDLE temp = CreateFileA("temp.txt", GENERIC_WRITE, 0, NULL, CREATE_NEW,
                              FILE_FLAG_DELETE_ON_CLOSE, NULL);
    CHECK_TRUE("FILE_FLAG_DELETE_ON_CLOSE", temp != INVALID_HANDLE_VALUE);
    CHECK_TRUE("... the file exists while open",
               GetFileAttributesA("temp.txt") != INVALID_FILE_ATTRIBUTES);
    CloseHandle(temp);
    CHECK_EQ("... and is gone after CloseHandle", GetFileAttributesA("temp.txt"),
             INVALID_FILE_ATTRIBUTES);

    CHECK_TRUE("CreateDirectory", CreateDirectoryA("sub", NULL));
    SetLastError(0);
    CHECK_TRUE("CreateDirectory again fails", !CreateDirectoryA("sub", NULL));
    CHECK_DEC("... ERROR_ALREADY_EXISTS", GetLastError(), ERROR_ALREADY_EXISTS);
    HANDLE inside = open_file("sub\\x.txt", GENERIC_WRITE, CREATE_NEW);
    CloseHandle(inside);
    HANDLE directory = open_file("sub", GENERIC_READ, OPEN_EXISTING);
    CHECK_TRUE("CreateFile of a directory fails", directory == INVALID_HANDLE_VALUE);
    CHECK_DEC("... ERROR_ACCESS_DENIED", GetLastError(), ERROR_ACCESS_DENIED);
    directory = CreateFileA("sub", GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                            FILE_FLAG_BACKUP_SEMANTICS, NULL);
    CHECK_TRUE("... but opens with FILE_FLAG_BACKUP_SEMANTICS", directory != INVALID_HANDLE_VALUE);
    CloseHandle(directory);
    SetLastError(0);
    CHECK_TRUE("DeleteFile of a directory fails", !DeleteFileA("sub"));
    CHECK_DEC("... ERROR_ACCESS_DENIED", GetLastError(), ERROR_ACCESS_DENIED);
    SetLastError(0);
    CHECK_TRUE("RemoveDirectory of a full directory fails", !RemoveDirectoryA("sub"));
    CHECK_DEC("... ERROR_DIR_NOT_EMPTY", GetLastError(), ERROR_DIR_NOT_EMPTY);
    CHECK_TRUE("forward slashes", DeleteFileA("sub/x.txt"));
    CHECK_TRUE("RemoveDirectory", RemoveDirectoryA("sub"));
}

static void test_wide_names(void) {
    HANDLE file = CreateFileW(L"\x00fcml\x00e4ut.txt", GENERIC_READ | GENERIC_WRITE, 0, NULL,
                              CREATE_NEW, 0, NULL);
    CHECK_TRUE("CreateFileW of a non-ASCII name", file != INVALID_HANDLE_VALUE);
    DWORD written = 0;
    WriteFile(file, "u", 1, &written, NULL);
    CloseHandle(file);
    CHECK_EQ("GetFileAttributesW finds it", GetFileAttributesW(L"\x00fcml\x00e4ut.txt"),
             FILE_ATTRIBUTE_ARCHIVE);
    CHECK_TRUE("DeleteFileW", DeleteFileW(L"\x00fcml\x00e4ut.txt"));
}

static void test_full_paths(const char* base) {
    char full[MAX_PATH], expected[MAX_PATH];
    char* part = NULL;
    DWORD length = GetFullPathNameA("x\\..\\y.txt", sizeof(full), full, &part);
    DWORD n = 0;
    for (; base[n] != '\0'; ++n) {
        expected[n] = base[n];
    }
    const char* tail = "\\y.txt";
    for (DWORD i = 0; tail[i] != '\0'; ++i) {
        expected[n++] = tail[i];
    }
    expected[n] = '\0';
    CHECK_TRUE("GetFullPathName of a relative name",
               length == n && test_string_equal(full, expected));
    CHECK_TRUE("... and its file part", part != NULL && test_string_equal(part, "y.txt"));
    length = GetFullPathNameA("C:\\a\\..\\..\\b", sizeof(full), full, NULL);
    CHECK_TRUE("'..' stops at the root", test_string_equal(full, "C:\\b"));
    GetFullPathNameA("C:/a/./b/", sizeof(full), full, &part);
    CHECK_TRUE("'/' is a separator, '.' goes, a trailing separator stays",
               test_string_equal(full, "C:\\a\\b\\") && part == NULL);
    GetFullPathNameA("C:\\a\\b.. ", sizeof(full), full, NULL);
    CHECK_TRUE("trailing dots and spaces go", test_string_equal(full, "C:\\a\\b"));
    CHECK_DEC("a buffer too small: the size needed", GetFullPathNameA("C:\\abc", 4, full, NULL), 7);
}

int start(void) {
    char base[MAX_PATH];
    /* A clean start: whatever a failed run left. */
    DeleteFileA("files_basic.dir\\a.txt");
    DeleteFileA("files_basic.dir\\b.txt");
    RemoveDirectoryA("files_basic.dir");
    CHECK_TRUE("CreateDirectory of the work directory", CreateDirectoryA("files_basic.dir", NULL));
    CHECK_TRUE("SetCurrentDirectory", SetCurrentDirectoryA("files_basic.dir"));
    DWORD length = GetCurrentDirectoryA(sizeof(base), base);
    CHECK_TRUE("GetCurrentDirectory follows",
               length > 0 && length < sizeof(base) && ends_with(base, "\\files_basic.dir"));
    SetLastError(0);
    CHECK_TRUE("SetCurrentDirectory to nothing fails", !SetCurrentDirectoryA("nowhere"));
    CHECK_DEC("... ERROR_FILE_NOT_FOUND", GetLastError(), ERROR_FILE_NOT_FOUND);

    test_create_write_read();
    test_dispositions();
    test_attributes_and_delete();
    test_wide_names();
    test_full_paths(base);

    CHECK_TRUE("SetCurrentDirectory ..", SetCurrentDirectoryA(".."));
    CHECK_TRUE("RemoveDirectory of the work directory", RemoveDirectoryA("files_basic.dir"));
    return test_done();
}
