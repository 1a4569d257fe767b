/* The Rtl string routines drivers use on UNICODE_STRING and ANSI_STRING: counted strings whose
 * Length and MaximumLength are in bytes, with no terminator required. */
#include "ntoskrnl_private.h"

VOID NTAPI RtlInitUnicodeString(PUNICODE_STRING Destination, PCWSTR Source) {
    size_t bytes = Source ? wcslen(Source) * sizeof(WCHAR) : 0;
    /* Windows caps the length where a USHORT holds it (and the terminator still fits). */
    if (bytes > 0xFFFC)
        bytes = 0xFFFC;
    Destination->Length = (USHORT)bytes;
    Destination->MaximumLength = Source ? (USHORT)(bytes + sizeof(WCHAR)) : 0;
    Destination->Buffer = (PWSTR)Source;
}

VOID NTAPI RtlInitAnsiString(PANSI_STRING Destination, PCSTR Source) {
    size_t bytes = Source ? strlen(Source) : 0;
    if (bytes > 0xFFFE)
        bytes = 0xFFFE;
    Destination->Length = (USHORT)bytes;
    Destination->MaximumLength = Source ? (USHORT)(bytes + 1) : 0;
    Destination->Buffer = (PCHAR)Source;
}

VOID NTAPI RtlCopyUnicodeString(PUNICODE_STRING Destination, PCUNICODE_STRING Source) {
    if (!Source) {
        Destination->Length = 0;
        return;
    }
    USHORT bytes = Source->Length;
    if (bytes > Destination->MaximumLength)
        bytes = Destination->MaximumLength;
    memmove(Destination->Buffer, Source->Buffer, bytes);
    Destination->Length = bytes;
    /* A terminator when there is room, as Windows adds one. */
    if (bytes + sizeof(WCHAR) <= Destination->MaximumLength)
        Destination->Buffer[bytes / sizeof(WCHAR)] = 0;
}

static WCHAR upcase(WCHAR c) {
    return c >= 'a' && c <= 'z' ? (WCHAR)(c - 'a' + 'A') : c;
}

LONG NTAPI RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
                                   BOOLEAN CaseInSensitive) {
    size_t n1 = String1->Length / sizeof(WCHAR), n2 = String2->Length / sizeof(WCHAR);
    size_t n = n1 < n2 ? n1 : n2;
    for (size_t i = 0; i < n; i++) {
        WCHAR a = String1->Buffer[i], b = String2->Buffer[i];
        if (CaseInSensitive) {
            a = upcase(a);
            b = upcase(b);
        }
        if (a != b)
            return (LONG)a - (LONG)b;
    }
    return (LONG)n1 - (LONG)n2;
}

BOOLEAN NTAPI RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2,
                                    BOOLEAN CaseInSensitive) {
    return String1->Length == String2->Length &&
           RtlCompareUnicodeString(String1, String2, CaseInSensitive) == 0;
}

NTSTATUS NTAPI RtlAppendUnicodeStringToString(PUNICODE_STRING Destination,
                                              PCUNICODE_STRING Source) {
    if (!Source || Source->Length == 0)
        return STATUS_SUCCESS;
    if ((size_t)Destination->Length + Source->Length > Destination->MaximumLength)
        return STATUS_BUFFER_TOO_SMALL;
    memmove((char*)Destination->Buffer + Destination->Length, Source->Buffer, Source->Length);
    Destination->Length = (USHORT)(Destination->Length + Source->Length);
    if ((size_t)Destination->Length + sizeof(WCHAR) <= Destination->MaximumLength)
        Destination->Buffer[Destination->Length / sizeof(WCHAR)] = 0;
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI RtlAppendUnicodeToString(PUNICODE_STRING Destination, PCWSTR Source) {
    UNICODE_STRING s;
    RtlInitUnicodeString(&s, Source);
    return RtlAppendUnicodeStringToString(Destination, &s);
}

SIZE_T NTAPI RtlCompareMemory(const VOID* Source1, const VOID* Source2, SIZE_T Length) {
    const UCHAR *a = Source1, *b = Source2;
    SIZE_T i = 0;
    while (i < Length && a[i] == b[i])
        i++;
    return i;
}

size_t __cdecl wcslen(const WCHAR* s) {
    const WCHAR* end = s;
    while (*end)
        end++;
    return (size_t)(end - s);
}
