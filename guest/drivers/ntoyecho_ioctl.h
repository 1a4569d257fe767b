/* ntoyecho.sys's interface, shared by the driver and its user-mode client. */
#ifndef NTOYECHO_IOCTL_H
#define NTOYECHO_IOCTL_H

#define NTOYECHO_DEVICE_TYPE 0x8000
#define NTOYECHO_CTL(function, method) \
    (((NTOYECHO_DEVICE_TYPE) << 16) | (0 << 14) | ((function) << 2) | (method))
/* The input comes back as the output. */
#define IOCTL_NTOYECHO_BUFFERED NTOYECHO_CTL(0x800, 0 /* METHOD_BUFFERED */)
#define IOCTL_NTOYECHO_NEITHER NTOYECHO_CTL(0x801, 3 /* METHOD_NEITHER */)
/* Output: struct ntoyecho_info. */
#define IOCTL_NTOYECHO_INFO NTOYECHO_CTL(0x802, 0 /* METHOD_BUFFERED */)

struct ntoyecho_info {
    unsigned int process_id;  /* the process the driver ran in, PsGetCurrentProcessId */
    unsigned int open_number; /* this open's number, from 1 */
    unsigned int requests;    /* requests on this open so far, this one included */
    unsigned int opens;       /* opens not yet closed */
};

#endif
