/* netns.h - a private network namespace per run: its own loopback, its own
 * somaxconn and port range, its own kernel counters; the host's are never
 * touched. */
#ifndef SOCKBENCH_NETNS_H
#define SOCKBENCH_NETNS_H

#include <stdbool.h>
#include <stddef.h>

/* Move the calling (single-threaded) process into a new network
 * namespace and bring `lo` up.  As root: unshare(CLONE_NEWNET).  Otherwise
 * a user namespace first (CLONE_NEWUSER, this uid mapped to root inside),
 * which owns the new network namespace and may set its sysctls where the
 * kernel allows.  *userns says which.  0, or -1 with err. */
int netns_enter_private(bool *userns, char *err, size_t errlen);
/* ioctl(SIOCSIFFLAGS) IFF_UP on "lo": a new namespace starts with lo down. */
int netns_lo_up(char *err, size_t errlen);

#endif
