/* What NtQueryMappedImages returns: one record per image the kernel mapped in the process,
 * shared by the kernel that writes them and ntdll's loader that reads them. Plain C with
 * types of the same size on the LP64 host and the LLP64 guest.
 *
 * Records follow each other in the caller's buffer, each 8-byte aligned:
 *
 *     NTOY_MAPPED_IMAGE                the fixed part
 *     unsigned long long Bindings[]    BindingCount image bases: the images this one's
 *                                      imports were bound to (forwarders followed)
 *     wchar path[]                     PathLength bytes of UTF-16, no terminator: the file the
 *                                      image was read from, at PathOffset from the record */
#ifndef NTOY_MAPPED_IMAGES_H
#define NTOY_MAPPED_IMAGES_H

typedef struct NTOY_MAPPED_IMAGE {
    unsigned int NextEntryOffset; /* bytes from this record to the next; 0 in the last */
    unsigned int Serial;          /* the order images were mapped in, from 1; never reused */
    unsigned long long ImageBase;
    unsigned int SizeOfImage;
    unsigned int BindingCount;
    unsigned short PathLength;     /* bytes */
    unsigned short FileNameOffset; /* bytes into the path where the file name starts */
    unsigned int PathOffset;       /* bytes from the record to the path */
} NTOY_MAPPED_IMAGE;

#define NTOY_MAPPED_IMAGE_BINDINGS_OFFSET 0x20

#endif
