/* kstat.c - kernel TCP counters, sysctls, and the environment of a run. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "sockbench/kstat.h"

/* What each counter says (names as the kernel prints them; see
 * Documentation/networking/snmp_counter.rst). */
const char *const kstat_names[] = {
    /* TcpExt, /proc/net/netstat */
    "ListenOverflows",	    /* SYN or final ACK dropped: accept queue full */
    "ListenDrops",	    /* every drop at a listener, overflows included */
    "TCPReqQFullDrop",	    /* SYN dropped: SYN queue full and no cookies */
    "TCPReqQFullDoCookies", /* SYN queue full: answered with a cookie instead */
    "SyncookiesSent",	    /* SYN-ACKs that carried a cookie */
    "SyncookiesRecv",	    /* ACKs that came back with a valid cookie */
    "SyncookiesFailed",	    /* ACKs whose cookie did not check out */
    "TCPTimeouts",	    /* retransmission timer expired (SYN and SYN-ACK too) */
    "TCPSynRetrans",	    /* SYNs and SYN-ACKs sent again */
    /* No TCPAbortOnOverflow: Linux has no such counter (checked on 6.18);
     * with tcp_abort_on_overflow = 1 the RST is counted only in
     * ListenOverflows and OutRsts (tcp_check_req). */
    "TCPBacklogDrop",	 /* socket backlog (owner busy) full: segment dropped */
    "TCPAbortOnData",	 /* RST: data came after our close(), or SO_LINGER 0 */
    "TCPAbortOnClose",	 /* RST: close() with unread data in the receive queue */
    "TCPAbortOnTimeout", /* gave up: retransmits or keepalive probes ran out */
    "TCPAbortOnLinger",	 /* RST: gave up waiting in FIN_WAIT2 (TCP_LINGER2) */
    /* Tcp, /proc/net/snmp */
    "ActiveOpens",  /* connect() sent a SYN */
    "PassiveOpens", /* handshake done and admitted: child socket created */
    "AttemptFails", /* SYN_SENT/SYN_RECV went to CLOSED or back to LISTEN */
    "EstabResets",  /* ESTABLISHED/CLOSE_WAIT reset */
    "RetransSegs",  /* segments sent again */
    "InSegs",	    /* segments received */
    "OutSegs",	    /* segments sent, retransmissions excluded */
    "InErrs",	    /* segments received in error (bad checksum...) */
    "OutRsts",	    /* RSTs sent */
    "CurrEstab",    /* a gauge: connections in ESTABLISHED or CLOSE_WAIT now */
    NULL,
};

#define GAUGE "CurrEstab"

int kstat_index(const char *name)
{
	for (int i = 0; kstat_names[i]; i++)
		if (!strcmp(kstat_names[i], name))
			return i;
	return -1;
}

/* --- /proc/net/{netstat,snmp} --------------------------------------- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Next whitespace-separated token on this line, or NULL at its end. */
static const char *token(const char *p, const char **end)
{
	while (is_blank(*p))
		p++;
	if (!*p || *p == '\n')
		return NULL;
	*end = p;
	while (**end && !is_blank(**end) && **end != '\n')
		(*end)++;
	return p;
}

static const char *next_line(const char *p)
{
	p = strchr(p, '\n');
	return p ? p + 1 : NULL;
}

/* "123" or "-1" (snmp's MaxConn is -1: no limit). */
static int parse_value(const char *p, const char *end, uint64_t *v, bool *negative)
{
	*negative = *p == '-';
	if (*negative)
		p++;
	if (p == end)
		return -EINVAL;
	uint64_t x = 0;
	for (; p < end; p++) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		unsigned d = (unsigned)(*p - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -EINVAL;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

static int match_name(const char *p, const char *end)
{
	size_t len = (size_t)(end - p);
	for (int i = 0; kstat_names[i]; i++)
		if (strlen(kstat_names[i]) == len && !memcmp(kstat_names[i], p, len))
			return i;
	return -1;
}

/* The first "Prefix:" line holds names, the next one (same prefix) their
 * values, in the same order: the kernel prints both from one table
 * (netstat_seq_show, snmp_seq_show_tcp_udp in net/ipv4/proc.c). */
static int parse_section(struct kstat *k, const char *text, const char *prefix)
{
	size_t plen = strlen(prefix);
	const char *names = text;
	while (names && strncmp(names, prefix, plen))
		names = next_line(names);
	const char *values = names ? next_line(names) : NULL;
	if (!values || strncmp(values, prefix, plen))
		return -EINVAL;
	const char *n = names + plen, *v = values + plen, *n_end, *v_end;
	for (;;) {
		const char *nt = token(n, &n_end), *vt = token(v, &v_end);
		if (!nt || !vt)
			return nt || vt ? -EINVAL : 0; /* both lines must end together */
		uint64_t x;
		bool negative;
		if (parse_value(vt, v_end, &x, &negative) < 0)
			return -EINVAL;
		int i = match_name(nt, n_end);
		if (i >= 0) {
			if (negative)
				return -EINVAL; /* none of ours can be negative */
			k->v[i] = x;
			k->have[i] = true;
		}
		n = n_end;
		v = v_end;
	}
}

int kstat_parse(struct kstat *k, const char *netstat_text, const char *snmp_text)
{
	memset(k, 0, sizeof *k);
	if (!netstat_text || !snmp_text)
		return -EINVAL;
	int rc = parse_section(k, netstat_text, "TcpExt:");
	if (!rc)
		rc = parse_section(k, snmp_text, "Tcp:");
	if (rc)
		memset(k, 0, sizeof *k);
	return rc;
}

/* Whole file into a malloc'd, NUL-terminated buffer. procfs files report
 * size 0, so read until EOF. */
static int slurp(const char *path, char **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t cap = 8192, len = 0;
	char *buf = malloc(cap);
	int rc = buf ? 0 : -ENOMEM;
	while (!rc) {
		if (len + 1 == cap) {
			char *bigger = realloc(buf, cap * 2);
			if (!bigger) {
				rc = -ENOMEM;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = -errno;
		else if (n == 0)
			break;
		else
			len += (size_t)n;
	}
	close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* /proc/net is a symlink to /proc/self/net: the namespace of the thread group
 * leader. A thread that unshare(CLONE_NEWNET)s alone must look through
 * /proc/thread-self (Linux >= 3.17) to see its own counters. */
static int slurp_net(const char *file, char **out)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/thread-self/net/%s", file);
	int rc = slurp(path, out);
	if (rc == -ENOENT) {
		snprintf(path, sizeof path, "/proc/self/net/%s", file);
		rc = slurp(path, out);
	}
	return rc;
}

int kstat_read(struct kstat *k)
{
	char *netstat = NULL, *snmp = NULL;
	memset(k, 0, sizeof *k);
	int rc = slurp_net("netstat", &netstat);
	if (!rc)
		rc = slurp_net("snmp", &snmp);
	if (!rc)
		rc = kstat_parse(k, netstat, snmp);
	free(netstat);
	free(snmp);
	return rc;
}

static bool delta_of(const struct kstat *b, const struct kstat *a, int i, uint64_t *d)
{
	if (i < 0 || !b->have[i] || !a->have[i])
		return false;
	if (!strcmp(kstat_names[i], GAUGE))
		*d = a->v[i];
	else
		*d = a->v[i] >= b->v[i] ? a->v[i] - b->v[i] : 0;
	return true;
}

json_t *kstat_delta_json(const struct kstat *before, const struct kstat *after)
{
	json_t *o = json_object();
	uint64_t d;
	for (int i = 0; o && kstat_names[i]; i++)
		if (delta_of(before, after, i, &d))
			json_object_set_new(
			    o, kstat_names[i],
			    json_integer(d > INT64_MAX ? INT64_MAX : (json_int_t)d));
	return o;
}

uint64_t kstat_delta(const struct kstat *before, const struct kstat *after, const char *name)
{
	uint64_t d;
	return delta_of(before, after, kstat_index(name), &d) ? d : 0;
}

/* --- sysctls ---------------------------------------------------------- */

/* "net.core.somaxconn" -> "/proc/sys/net/core/somaxconn". Components are
 * letters, digits, '_' and '-': no way out of /proc/sys. */
static int sysctl_path(const char *dotted, char *path, size_t len)
{
	static const char root[] = "/proc/sys/";
	size_t n = strlen(dotted);
	if (!n || dotted[0] == '.' || dotted[n - 1] == '.' || strstr(dotted, ".."))
		return -EINVAL;
	if (sizeof root + n > len)
		return -ENAMETOOLONG;
	memcpy(path, root, sizeof root - 1);
	char *p = path + sizeof root - 1;
	for (const char *s = dotted; *s; s++) {
		if (*s == '.')
			*p++ = '/';
		else if (isalnum((unsigned char)*s) || *s == '_' || *s == '-')
			*p++ = *s;
		else
			return -EINVAL;
	}
	*p = '\0';
	return 0;
}

/* Multi-value sysctls separate with tabs ("32768\t60999\n"): trim, and make
 * every run of whitespace one space. */
static int squeeze(const char *in, char *buf, size_t len)
{
	size_t out = 0;
	bool gap = false;
	for (; *in; in++) {
		if (isspace((unsigned char)*in)) {
			gap = out > 0;
			continue;
		}
		if (out + (gap ? 2 : 1) >= len)
			return -ERANGE;
		if (gap)
			buf[out++] = ' ';
		gap = false;
		buf[out++] = *in;
	}
	buf[out] = '\0';
	return 0;
}

int sysctl_read_str(const char *dotted, char *buf, size_t len)
{
	char path[256], raw[4096];
	int rc = sysctl_path(dotted, path, sizeof path);
	if (rc)
		return rc;
	if (!len)
		return -ERANGE;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n;
	do
		n = read(fd, raw, sizeof raw - 1);
	while (n < 0 && errno == EINTR);
	rc = n < 0 ? -errno : 0;
	close(fd);
	if (rc)
		return rc;
	if ((size_t)n == sizeof raw - 1)
		return -ERANGE;
	raw[n] = '\0';
	return squeeze(raw, buf, len);
}

int sysctl_read_int(const char *dotted, long *out)
{
	char buf[64];
	int rc = sysctl_read_str(dotted, buf, sizeof buf);
	if (rc)
		return rc == -ERANGE ? -EINVAL : rc;
	char *end;
	errno = 0;
	long v = strtol(buf, &end, 10);
	if (end == buf || *end)
		return -EINVAL;
	if (errno)
		return -errno;
	*out = v;
	return 0;
}

int sysctl_write(const char *dotted, const char *value)
{
	char path[256];
	int rc = sysctl_path(dotted, path, sizeof path);
	if (rc)
		return rc;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* proc_dointvec and friends parse the whole value from one write(). */
	size_t len = strlen(value);
	ssize_t n = write(fd, value, len);
	rc = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	close(fd);
	return rc;
}

int kstat_port_range(int *lo, int *hi)
{
	char buf[64], *end;
	int rc = sysctl_read_str("net.ipv4.ip_local_port_range", buf, sizeof buf);
	if (rc)
		return rc;
	long a = strtol(buf, &end, 10);
	if (end == buf || *end != ' ')
		return -EINVAL;
	const char *second = end + 1;
	long b = strtol(second, &end, 10);
	if (end == second || *end || a < 1 || b > 65535 || a > b)
		return -EINVAL;
	*lo = (int)a;
	*hi = (int)b;
	return 0;
}

/* --- environment ------------------------------------------------------ */

/* The initial network namespace has had a fixed inode since Linux 6.18
 * (NET_NS_INIT_INO in include/uapi/linux/nsfs.h); every other one gets a
 * number from proc_alloc_inum(), which starts at 0xF0000000. */
#define NET_NS_INIT_INO 0xEFFFFFF9u

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma, mi;
	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

const char *kstat_netns(void)
{
	struct stat self, init;
	if (stat("/proc/thread-self/ns/net", &self) && stat("/proc/self/ns/net", &self))
		return "unknown";
	if (self.st_ino == NET_NS_INIT_INO)
		return "host";
	if (kernel_at_least(6, 18))
		return "private";
	/* Older kernels: compare with init's namespace. Reading another
	 * process's ns link needs ptrace access to it, often refused. Inside a
	 * container pid 1 is the container's init, so "host" there means
	 * "the container's". */
	if (stat("/proc/1/ns/net", &init))
		return "unknown";
	return self.st_ino == init.st_ino && self.st_dev == init.st_dev ? "host" : "private";
}

/* CPUs this process may run on (what nproc prints): what the generator's
 * threads can actually use, which a cpuset can make fewer than are online. */
static long cpus(void)
{
	cpu_set_t set;
	if (!sched_getaffinity(0, sizeof set, &set))
		return CPU_COUNT(&set);
	return sysconf(_SC_NPROCESSORS_ONLN);
}

static const struct {
	const char *name;
	bool optional; /* left out where the kernel lacks it */
} env_sysctls[] = {
    {"net.core.somaxconn"},		/* backlog ceiling for listen() */
    {"net.ipv4.tcp_max_syn_backlog"},	/* SYN queue (half-open) limit */
    {"net.ipv4.tcp_syncookies"},	/* 1: cookies when the SYN queue is full */
    {"net.ipv4.tcp_abort_on_overflow"}, /* 1: RST instead of drop on a full queue */
    {"net.ipv4.tcp_syn_retries"},
    {"net.ipv4.tcp_syn_linear_timeouts", true}, /* Linux >= 6.5 */
    {"net.ipv4.ip_local_port_range"},
    {"net.ipv4.tcp_tw_reuse"},
    {"net.core.rmem_max"},
    {"net.core.wmem_max"},
    {"net.ipv4.tcp_fin_timeout"},
    {"net.ipv4.tcp_rmem"},
    {"net.ipv4.tcp_wmem"},
};

static json_t *sysctl_json(const char *value)
{
	char *end;
	errno = 0;
	long long v = strtoll(value, &end, 10);
	if (end != value && !*end && !errno)
		return json_integer(v);
	return json_string(value);
}

json_t *env_json(void)
{
	struct utsname u;
	json_t *sys = json_object();
	for (size_t i = 0; i < sizeof env_sysctls / sizeof env_sysctls[0]; i++) {
		char buf[256];
		int rc = sysctl_read_str(env_sysctls[i].name, buf, sizeof buf);
		if (rc == -ENOENT && env_sysctls[i].optional)
			continue;
		json_object_set_new(sys, env_sysctls[i].name, rc ? json_null() : sysctl_json(buf));
	}
	return json_pack("{s:o, s:I, s:s, s:o}", "kernel",
			 uname(&u) ? json_null() : json_string(u.release), "cpus",
			 (json_int_t)cpus(), "netns", kstat_netns(), "sysctl", sys);
}

uint64_t kstat_syn_retry_next(int linear, uint64_t waited_ns)
{
	const uint64_t init = 1000000000ull; /* TCP_TIMEOUT_INIT */
	uint64_t at = 0, rto = init;
	/* k: the retransmission about to be scheduled (1 = the first) */
	for (int k = 1; k < 64; k++) {
		at += rto;
		if (at > waited_ns)
			return at;
		if (k > linear) /* doubled, up to TCP_RTO_MAX (120 s) */
			rto = rto * 2 < 120 * init ? rto * 2 : 120 * init;
	}
	return at;
}
