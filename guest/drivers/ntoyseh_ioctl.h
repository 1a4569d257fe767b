/* ntoyseh.sys's device (\\.\NtoySafe), shared with safe_client.exe. */
#ifndef NTOYSEH_IOCTL_H
#define NTOYSEH_IOCTL_H

/* METHOD_NEITHER: the input copied to the output through the raw pointers, probed and
 * guarded by __try; a bad pointer fails the request with STATUS_ACCESS_VIOLATION. */
#define IOCTL_NTOYSAFE_COPY ((0x8000u << 16) | (0xA00 << 2) | 3 /* METHOD_NEITHER */)

#endif
