/* netns.c - entering a private network namespace (no shell, no ip(8)). */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns.h"

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	int e = n < 0 ? -errno : 0;
	close(fd);
	return e;
}

int netns_lo_up(char *err, size_t errlen)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	strcpy(ifr.ifr_name, "lo");
	int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (rc < 0)
		snprintf(err, errlen, "bringing lo up: %s", strerror(errno));
	close(fd);
	return rc < 0 ? -1 : 0;
}

int netns_enter_private(bool *userns, char *err, size_t errlen)
{
	*userns = false;
	if (unshare(CLONE_NEWNET) < 0) {
		if (errno != EPERM) {
			snprintf(err, errlen, "unshare(CLONE_NEWNET): %s", strerror(errno));
			return -1;
		}
		/* Not root: a user namespace of our own makes us root there,
		 * and the network namespace created with it belongs to it. */
		uid_t uid = getuid();
		gid_t gid = getgid();
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
			snprintf(err, errlen,
				 "unshare(CLONE_NEWUSER|CLONE_NEWNET): %s (unprivileged user "
				 "namespaces disabled? kernel.unprivileged_userns_clone)",
				 strerror(errno));
			return -1;
		}
		char map[64];
		int e;
		/* setgroups must be denied before an unprivileged gid_map. */
		if ((e = write_file("/proc/self/setgroups", "deny")) < 0 && e != -ENOENT)
			goto map_fail;
		snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
		if ((e = write_file("/proc/self/uid_map", map)) < 0)
			goto map_fail;
		snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
		if ((e = write_file("/proc/self/gid_map", map)) < 0)
			goto map_fail;
		*userns = true;
		goto up;
	map_fail:
		snprintf(err, errlen, "user namespace id map: %s", strerror(-e));
		return -1;
	}
up:
	return netns_lo_up(err, errlen);
}
