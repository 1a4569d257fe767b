/* ntoyecho.sys's interface, shared by the driver and its user-mode client. */
#ifndef NTOYECHO_IOCTL_H
#define NTOYECHO_IOCTL_H

#define NTOYECHO_DEVICE_TYPE 0x8000u
#define NTOYECHO_CTL(function, method) \
    (((NTOYECHO_DEVICE_TYPE) << 16) | (0 << 14) | ((function) << 2) | (method))
/* The input comes back as the output. */
#define IOCTL_NTOYECHO_BUFFERED NTOYECHO_CTL(0x800, 0 /* METHOD_BUFFERED */)
#define IOCTL_NTOYECHO_NEITHER NTOYECHO_CTL(0x801, 3 /* METHOD_NEITHER */)
/* Output: struct ntoyecho_info. */
#define IOCTL_NTOYECHO_INFO NTOYECHO_CTL(0x802, 0 /* METHOD_BUFFERED */)
/* The input comes back in the output buffer, which the I/O manager locked and described with
 * an MDL (the driver writes it through a system mapping). */
#define IOCTL_NTOYECHO_OUT_DIRECT NTOYECHO_CTL(0x803, 2 /* METHOD_OUT_DIRECT */)
/* The driver reads the locked output buffer in place: Information is how many of its leading
 * bytes equal the input's. */
#define IOCTL_NTOYECHO_IN_DIRECT NTOYECHO_CTL(0x804, 1 /* METHOD_IN_DIRECT */)
/* The raw output pointer, which the driver locks itself (IoAllocateMdl, MmProbeAndLockPages)
 * and writes the input to through its own system mapping. */
#define IOCTL_NTOYECHO_LOCKED NTOYECHO_CTL(0x805, 3 /* METHOD_NEITHER */)

/* \\.\NtoyEchoDirect: the same device with DO_DIRECT_IO, so that reads and writes come
 * with an MDL for the caller's buffer. */

struct ntoyecho_info {
    unsigned int process_id;  /* the process the driver ran in, PsGetCurrentProcessId */
    unsigned int open_number; /* this open's number, from 1 */
    unsigned int requests;    /* requests on this open so far, this one included */
    unsigned int opens;       /* opens not yet closed */
};

#endif
