/* ntoystash.sys's interface (the seeds' bug), shared with stash_client.exe. */
#ifndef NTOYSTASH_IOCTL_H
#define NTOYSTASH_IOCTL_H

#define STASH_BYTES 64
#define IOCTL_STASH_REMEMBER ((0x8000 << 16) | (0x900 << 2) | 3 /* METHOD_NEITHER */)
#define IOCTL_STASH_FIRE ((0x8000 << 16) | (0x901 << 2) | 0 /* METHOD_BUFFERED */)
/* The fix: the driver locks the caller's buffer with an MDL and keeps its system mapping,
 * which means the same pages in every process. */
#define IOCTL_STASH_REMEMBER_LOCKED ((0x8000 << 16) | (0x902 << 2) | 3 /* METHOD_NEITHER */)

#endif
