/* kstat.h - kernel TCP counters, sysctls and the environment of a run.
 *
 * The counters come from /proc/net/netstat ("TcpExt:") and /proc/net/snmp
 * ("Tcp:"): each file holds pairs of lines, one of names and one of values,
 * both starting with the same "Section:" prefix. Counters and sysctls belong
 * to a network namespace: what a run reads is what happened in the namespace
 * of the thread that reads, so read before and after in the same one.
 *
 * Library code: nothing here prints; errors are returned as -errno.
 */
#ifndef SOCKBENCH_KSTAT_H
#define SOCKBENCH_KSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* The counters sockbench reads, NULL-terminated: TcpExt names first, then
 * Tcp names (kernel Documentation/networking/snmp_counter.rst). */
extern const char *const kstat_names[];

/* A connect() that took this long needed a SYN retry.  The first SYN (or
 * the SYN-ACK the client never saw answered: a full accept queue drops the
 * final ACK and the server resends its SYN-ACK) is retransmitted after
 * TCP_TIMEOUT_INIT, 1 s (include/net/tcp.h; RFC 6298 section 2.1).  No
 * handshake on loopback or a LAN takes 0.9 s without one, and a retried one
 * takes at least 1 s: 0.9 s sits between them, below the 1 s step even
 * after the histogram's 1% bucket error. */
#define TCP_SYN_RETRY_NS 900000000ull

/* When the next SYN of a connect() that has waited `waited_ns` since its
 * first SYN leaves, in ns since that first SYN.  The retransmission
 * timer starts at TCP_TIMEOUT_INIT (1 s) and doubles after each
 * retransmission (tcp_retransmit_timer, net/ipv4/tcp_timer.c), except
 * that with net.ipv4.tcp_syn_linear_timeouts = L (Linux >= 6.5; `linear`
 * L, 0 where absent) a SYN_SENT socket keeps 1 s while it has sent at
 * most L retransmissions: L = 4 gives 1, 2, 3, 4, 5, 7, 11, 19, 35 s
 * (measured: KERNEL-NOTES), L = 0 gives 1, 3, 7, 15, 31, 63 s.  Pure: the
 * count of tcp_syn_retries is not applied (the connect times out then). */
uint64_t kstat_syn_retry_next(int linear, uint64_t waited_ns);

#define KSTAT_MAX 40 /* room for kstat_names, which must stay shorter */

/* v[i] is the value of kstat_names[i]; have[i] is false when this kernel
 * does not print that counter. */
struct kstat {
	uint64_t v[KSTAT_MAX];
	bool have[KSTAT_MAX];
};

/* Read /proc/thread-self/net/{netstat,snmp}: the network namespace of the
 * calling thread. 0, or -errno (-EINVAL when the text is not as expected). */
int kstat_read(struct kstat *k);
/* The parser kstat_read uses, on the text of the two files (pure, for unit
 * tests). 0, or -EINVAL when a section is missing, a names line has no values
 * line, the two differ in length, or a value is not an integer. */
int kstat_parse(struct kstat *k, const char *netstat_text, const char *snmp_text);
/* {"ListenOverflows": after - before, ...} for every counter present in both.
 * CurrEstab is a gauge, not a counter: its value is after's. A counter that
 * went backwards (the two reads were in different namespaces) counts 0. */
json_t *kstat_delta_json(const struct kstat *before, const struct kstat *after);
/* One figure of kstat_delta_json; 0 for an unknown or absent name. */
uint64_t kstat_delta(const struct kstat *before, const struct kstat *after, const char *name);
/* Index of `name` in kstat_names, or -1. */
int kstat_index(const char *name);

/* {"kernel": "6.18.4", "cpus": 2, "netns": "private"|"host"|"unknown",
 *  "sysctl": {"net.core.somaxconn": 4096, "net.ipv4.ip_local_port_range":
 *  "32768 60999", ...}}: one integer becomes a number, anything else a string
 * with whitespace runs made single spaces; null when unreadable.
 * net.ipv4.tcp_syn_linear_timeouts appears only on kernels that have it. */
json_t *env_json(void);
/* "private" when the calling thread's network namespace is not the initial
 * one, "host" when it is, "unknown" when that cannot be told. */
const char *kstat_netns(void);

/* Sysctls by dotted name ("net.core.somaxconn" is /proc/sys/net/core/somaxconn),
 * per network namespace for net.*. All return 0 or -errno. */
int sysctl_read_int(const char *dotted, long *out); /* -EINVAL unless one integer */
/* The value with surrounding whitespace removed and inner runs of blanks and
 * tabs made one space ("32768\t60999" -> "32768 60999"); -ERANGE if it does
 * not fit in `len` bytes. */
int sysctl_read_str(const char *dotted, char *buf, size_t len);
/* Write `value` (for sweeps, inside a private network namespace). */
int sysctl_write(const char *dotted, const char *value);
/* net.ipv4.ip_local_port_range: the ephemeral ports connect() picks from. */
int kstat_port_range(int *lo, int *hi);

#endif
