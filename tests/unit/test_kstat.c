/* test_kstat.c - kernel counters, sysctls and the environment.
 *
 * The parser is checked on a real /proc/net/netstat and /proc/net/snmp
 * (copied from a Linux 6.18 machine) and on broken ones; the counters are
 * checked against the kernel itself in a private network namespace, where
 * nothing but this test moves them: a listen(fd, 0) socket takes one
 * connection, and the SYNs of the next ones are dropped (ListenOverflows).
 *
 * Needs root (unshare(CLONE_NEWNET)); fails, does not skip, without it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sbunit.h"
#include "sockbench/diag.h"
#include "sockbench/kstat.h"

/* Verbatim from a Linux 6.18 machine (lines split only to fit the page). */
static const char netstat_sample[] =
    "TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled "
    "RcvPruned OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter TW TWRecycled "
    "TWKilled PAWSActive PAWSEstab BeyondWindow TSEcrRejected PAWSOldAck PAWSTimewait "
    "DelayedACKs DelayedACKLocked DelayedACKLost ListenOverflows ListenDrops TCPHPHits "
    "TCPPureAcks TCPHPAcks TCPRenoRecovery TCPSackRecovery TCPSACKReneging TCPSACKReorder "
    "TCPRenoReorder TCPTSReorder TCPFullUndo TCPPartialUndo TCPDSACKUndo TCPLossUndo "
    "TCPLostRetransmit TCPRenoFailures TCPSackFailures TCPLossFailures TCPFastRetrans "
    "TCPSlowStartRetrans TCPTimeouts TCPLossProbes TCPLossProbeRecovery "
    "TCPRenoRecoveryFail TCPSackRecoveryFail TCPRcvCollapsed TCPBacklogCoalesce "
    "TCPDSACKOldSent TCPDSACKOfoSent TCPDSACKRecv TCPDSACKOfoRecv TCPAbortOnData "
    "TCPAbortOnClose TCPAbortOnMemory TCPAbortOnTimeout TCPAbortOnLinger TCPAbortFailed "
    "TCPMemoryPressures TCPMemoryPressuresChrono TCPSACKDiscard TCPDSACKIgnoredOld "
    "TCPDSACKIgnoredNoUndo TCPSpuriousRTOs TCPMD5NotFound TCPMD5Unexpected TCPMD5Failure "
    "TCPSackShifted TCPSackMerged TCPSackShiftFallback TCPBacklogDrop PFMemallocDrop "
    "TCPMinTTLDrop TCPDeferAcceptDrop IPReversePathFilter TCPTimeWaitOverflow "
    "TCPReqQFullDoCookies TCPReqQFullDrop TCPRetransFail TCPRcvCoalesce TCPOFOQueue "
    "TCPOFODrop TCPOFOMerge TCPChallengeACK TCPSYNChallenge TCPFastOpenActive "
    "TCPFastOpenActiveFail TCPFastOpenPassive TCPFastOpenPassiveFail "
    "TCPFastOpenListenOverflow TCPFastOpenCookieReqd TCPFastOpenBlackhole "
    "TCPSpuriousRtxHostQueues BusyPollRxPackets TCPAutoCorking TCPFromZeroWindowAdv "
    "TCPToZeroWindowAdv TCPWantZeroWindowAdv TCPSynRetrans TCPOrigDataSent "
    "TCPHystartTrainDetect TCPHystartTrainCwnd TCPHystartDelayDetect TCPHystartDelayCwnd "
    "TCPACKSkippedSynRecv TCPACKSkippedPAWS TCPACKSkippedSeq TCPACKSkippedFinWait2 "
    "TCPACKSkippedTimeWait TCPACKSkippedChallenge TCPWinProbe TCPKeepAlive TCPMTUPFail "
    "TCPMTUPSuccess TCPDelivered TCPDeliveredCE TCPAckCompressed TCPZeroWindowDrop "
    "TCPRcvQDrop TCPWqueueTooBig TCPFastOpenPassiveAltKey TcpTimeoutRehash "
    "TcpDuplicateDataRehash TCPDSACKRecvSegs TCPDSACKIgnoredDubious TCPMigrateReqSuccess "
    "TCPMigrateReqFailure TCPPLBRehash TCPAORequired TCPAOBad TCPAOKeyNotFound TCPAOGood "
    "TCPAODroppedIcmps\n"
    "TcpExt: 0 0 0 0 4 4 0 0 0 0 54742 0 0 0 0 17 0 0 2 57135 3 3133 0 0 1113521 317946 "
    "977086 0 1 0 6 0 0 1 0 0 0 14 0 0 14 1 11 17 4776 2 0 0 0 16016 3133 0 3132 0 69 370 "
    "0 50 0 0 0 0 0 0 3110 0 0 0 0 0 0 8 0 0 0 0 0 0 0 0 0 228186 7 0 0 0 0 0 0 0 0 0 0 0 "
    "2 0 2 14482 14478 11643 0 2783954 0 0 0 0 0 0 100 0 0 0 904 0 0 0 2841946 0 0 0 4 0 "
    "0 17 0 3132 0 0 0 0 0 0 0 0 0\n"
    "IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts "
    "InOctets OutOctets InMcastOctets OutMcastOctets InBcastOctets OutBcastOctets "
    "InCsumErrors InNoECTPkts InECT1Pkts InECT0Pkts InCEPkts ReasmOverlaps\n"
    "IpExt: 0 0 0 0 0 0 12737762849 12689009382 0 0 0 0 0 3732674 0 0 0 0\n"
    "MPTcpExt: MPCapableSYNRX MPCapableSYNTX MPCapableSYNACKRX MPCapableACKRX "
    "MPCapableFallbackACK MPCapableFallbackSYNACK MPCapableSYNTXDrop "
    "MPCapableSYNTXDisabled MPCapableEndpAttempt MPFallbackTokenInit MPTCPRetrans "
    "MPJoinNoTokenFound MPJoinSynRx MPJoinSynBackupRx MPJoinSynAckRx MPJoinSynAckBackupRx "
    "MPJoinSynAckHMacFailure MPJoinAckRx MPJoinAckHMacFailure MPJoinRejected MPJoinSynTx "
    "MPJoinSynTxCreatSkErr MPJoinSynTxBindErr MPJoinSynTxConnectErr DSSNotMatching "
    "DSSCorruptionFallback DSSCorruptionReset InfiniteMapTx InfiniteMapRx DSSNoMatchTCP "
    "DataCsumErr OFOQueueTail OFOQueue OFOMerge NoDSSInWindow DuplicateData AddAddr "
    "AddAddrTx AddAddrTxDrop EchoAdd EchoAddTx EchoAddTxDrop PortAdd AddAddrDrop "
    "MPJoinPortSynRx MPJoinPortSynAckRx MPJoinPortAckRx MismatchPortSynRx "
    "MismatchPortAckRx RmAddr RmAddrDrop RmAddrTx RmAddrTxDrop RmSubflow MPPrioTx "
    "MPPrioRx MPFailTx MPFailRx MPFastcloseTx MPFastcloseRx MPRstTx MPRstRx SubflowStale "
    "SubflowRecover SndWndShared RcvWndShared RcvWndConflictUpdate RcvWndConflict "
    "MPCurrEstab Blackhole MPCapableDataFallback MD5SigFallback DssFallback "
    "SimultConnectFallback FallbackFailed WinProbe\n"
    "MPTcpExt: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 "
    "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

static const char snmp_sample[] =
    "Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams "
    "InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes "
    "ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates "
    "OutTransmits\n"
    "Ip: 2 64 3726859 0 0 0 0 0 3726859 3709836 0 0 0 0 0 0 0 0 0 3709836\n"
    "Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs "
    "InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks "
    "InAddrMaskReps OutMsgs OutErrors OutRateLimitGlobal OutRateLimitHost OutDestUnreachs "
    "OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps "
    "OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps\n"
    "Icmp: 1 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    "IcmpMsg: InType3\n"
    "IcmpMsg: 1\n"
    "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails "
    "EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n"
    "Tcp: 1 200 120000 -1 55033 54983 39 622 3 3739179 3741176 3167 0 659 0\n"
    "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors "
    "InCsumErrors IgnoredMulti MemErrors\n"
    "Udp: 26 0 0 27 0 0 0 0 0\n"
    "UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors "
    "InCsumErrors IgnoredMulti MemErrors\n"
    "UdpLite: 0 0 0 0 0 0 0 0 0\n";

static uint64_t value(const struct kstat *k, const char *name)
{
	int i = kstat_index(name);
	assert_true(i >= 0);
	if (!k->have[i])
		fail_msg("%s: expected present, was absent", name);
	return k->v[i];
}

static bool have(const struct kstat *k, const char *name)
{
	int i = kstat_index(name);
	assert_true(i >= 0);
	return k->have[i];
}

static void test_names(void **state)
{
	(void)state;
	int n = 0;
	while (kstat_names[n])
		n++;
	assert_int_equal(n, 24);
	assert_true(n < KSTAT_MAX);
	assert_int_equal(kstat_index("ListenOverflows"), 0);
	assert_int_equal(kstat_index("CurrEstab"), n - 1);
	assert_int_equal(kstat_index("NoSuchCounter"), -1);
}

/* Values read off the sample by eye. MPTcpExt's "MPCurrEstab" and IpExt's
 * sections must not be taken for Tcp's. */
static void test_parse_sample(void **state)
{
	(void)state;
	struct kstat k;
	assert_int_equal(kstat_parse(&k, netstat_sample, snmp_sample), 0);
	assert_int_equal(value(&k, "ListenOverflows"), 0);
	assert_int_equal(value(&k, "TCPTimeouts"), 17);
	assert_int_equal(value(&k, "TCPAbortOnClose"), 370);
	assert_int_equal(value(&k, "TCPAbortOnData"), 69);
	assert_int_equal(value(&k, "TCPAbortOnTimeout"), 50);
	assert_int_equal(value(&k, "ActiveOpens"), 55033);
	assert_int_equal(value(&k, "PassiveOpens"), 54983);
	assert_int_equal(value(&k, "EstabResets"), 622);
	assert_int_equal(value(&k, "CurrEstab"), 3);
	assert_int_equal(value(&k, "InSegs"), 3739179);
	assert_int_equal(value(&k, "OutRsts"), 659);
	/* every name is there (Linux prints no TCPAbortOnOverflow: not
	 * listed) */
	for (int i = 0; kstat_names[i]; i++)
		if (!k.have[i])
			fail_msg("%s: expected in the sample, missing", kstat_names[i]);
	for (int i = 0; kstat_names[i]; i++)
		assert_string_not_equal(kstat_names[i], "TCPAbortOnOverflow");
}

/* A kernel without a counter: have = false, the rest still read. */
static void test_parse_missing_counter(void **state)
{
	(void)state;
	struct kstat k;
	const char *netstat = "TcpExt: SyncookiesSent ListenOverflows ListenDrops\n"
			      "TcpExt: 1 2 3\n";
	const char *snmp = "Ip: Forwarding DefaultTTL\n"
			   "Ip: 2 64\n"
			   "Tcp: RtoAlgorithm MaxConn ActiveOpens CurrEstab\n"
			   "Tcp: 1 -1 10 4\n"
			   "Udp: InDatagrams\n"
			   "Udp: 7\n";
	assert_int_equal(kstat_parse(&k, netstat, snmp), 0);
	assert_int_equal(value(&k, "SyncookiesSent"), 1);
	assert_int_equal(value(&k, "ListenOverflows"), 2);
	assert_int_equal(value(&k, "ListenDrops"), 3);
	assert_int_equal(value(&k, "ActiveOpens"), 10);
	assert_int_equal(value(&k, "CurrEstab"), 4);
	assert_false(have(&k, "TCPSynRetrans"));
	assert_false(have(&k, "PassiveOpens"));
	/* tabs, CRLF and no final newline are all still one table */
	assert_int_equal(kstat_parse(&k, "TcpExt:\tListenDrops  TCPTimeouts\r\nTcpExt: 5\t6",
				     "Tcp: InSegs\nTcp: 9\n"),
			 0);
	assert_int_equal(value(&k, "ListenDrops"), 5);
	assert_int_equal(value(&k, "TCPTimeouts"), 6);
	assert_int_equal(value(&k, "InSegs"), 9);
}

static void expect_malformed(const char *what, const char *netstat, const char *snmp)
{
	struct kstat k;
	int rc = kstat_parse(&k, netstat, snmp);
	if (rc != -EINVAL)
		fail_msg("%s: expected -EINVAL, got %d", what, rc);
	for (int i = 0; kstat_names[i]; i++)
		if (k.have[i])
			fail_msg("%s: %s left marked present after an error", what, kstat_names[i]);
}

static void test_parse_malformed(void **state)
{
	(void)state;
	const char *snmp = "Tcp: ActiveOpens\nTcp: 1\n";
	const char *netstat = "TcpExt: ListenOverflows\nTcpExt: 1\n";
	expect_malformed("one value short", "TcpExt: ListenOverflows ListenDrops\nTcpExt: 1\n",
			 snmp);
	expect_malformed("one value too many", "TcpExt: ListenOverflows\nTcpExt: 1 2\n", snmp);
	expect_malformed("not a number", "TcpExt: ListenOverflows\nTcpExt: 12x\n", snmp);
	expect_malformed("a bare minus", "TcpExt: ListenOverflows\nTcpExt: -\n", snmp);
	expect_malformed("negative counter", netstat, "Tcp: ActiveOpens\nTcp: -3\n");
	expect_malformed("past 2^64", "TcpExt: ListenOverflows\nTcpExt: 18446744073709551616\n",
			 snmp);
	expect_malformed("names without values", "TcpExt: ListenOverflows\n", snmp);
	expect_malformed("values of another section",
			 "TcpExt: ListenOverflows\nIpExt: 1\nTcpExt: 1\n", snmp);
	expect_malformed("no TcpExt section", "IpExt: InNoRoutes\nIpExt: 0\n", snmp);
	expect_malformed("no Tcp section (TcpExt is not Tcp)", netstat, netstat);
	expect_malformed("empty", "", snmp);
	expect_malformed("no netstat text", NULL, snmp);
	expect_malformed("no snmp text", netstat, NULL);
	/* the real files, cut in the middle of the values line */
	char cut[sizeof netstat_sample];
	const char *second = strchr(netstat_sample, '\n') + 1;
	size_t keep = (size_t)(second - netstat_sample) + 40;
	memcpy(cut, netstat_sample, keep);
	cut[keep] = '\0';
	expect_malformed("netstat cut short", cut, snmp_sample);
}

static void test_delta(void **state)
{
	(void)state;
	struct kstat b = {0}, a = {0};
	int lo = kstat_index("ListenOverflows"), ld = kstat_index("ListenDrops"),
	    ce = kstat_index("CurrEstab"), ao = kstat_index("ActiveOpens"),
	    sr = kstat_index("TCPSynRetrans"), to = kstat_index("TCPTimeouts");
	b.v[lo] = 100, a.v[lo] = 183, b.have[lo] = a.have[lo] = true;
	b.v[ld] = 7, a.v[ld] = 7, b.have[ld] = a.have[ld] = true;
	b.v[ce] = 50, a.v[ce] = 12, b.have[ce] = a.have[ce] = true; /* a gauge */
	b.v[ao] = 10, a.v[ao] = 4, b.have[ao] = a.have[ao] = true;  /* went backwards */
	a.v[sr] = 9, a.have[sr] = true;				    /* absent before */
	b.v[to] = 1, b.have[to] = true;				    /* absent after */

	assert_int_equal(kstat_delta(&b, &a, "ListenOverflows"), 83);
	assert_int_equal(kstat_delta(&b, &a, "ListenDrops"), 0);
	assert_int_equal(kstat_delta(&b, &a, "CurrEstab"), 12);
	assert_int_equal(kstat_delta(&b, &a, "ActiveOpens"), 0);
	assert_int_equal(kstat_delta(&b, &a, "TCPSynRetrans"), 0);
	assert_int_equal(kstat_delta(&b, &a, "TCPTimeouts"), 0);
	assert_int_equal(kstat_delta(&b, &a, "NoSuchCounter"), 0);

	json_t *j = kstat_delta_json(&b, &a);
	assert_non_null(j);
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	const char *want = "{\"ActiveOpens\":0,\"CurrEstab\":12,\"ListenDrops\":0,"
			   "\"ListenOverflows\":83}";
	if (strcmp(s, want))
		fail_msg("delta json: expected %s, got %s", want, s);
	free(s);
	json_decref(j);
}

static void test_read_here(void **state)
{
	(void)state;
	struct kstat k;
	int rc = kstat_read(&k);
	if (rc)
		fail_msg("kstat_read: %s", strerror(-rc));
	/* SPEC section 5's list, less TCPAbortOnOverflow (not a Linux counter) */
	static const char *const need[] = {
	    "ListenOverflows", "ListenDrops",  "TCPReqQFullDrop", "TCPReqQFullDoCookies",
	    "SyncookiesSent",  "TCPTimeouts",  "TCPSynRetrans",	  "RetransSegs",
	    "ActiveOpens",     "PassiveOpens", "AttemptFails",	  "EstabResets",
	};
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
		if (!have(&k, need[i]))
			fail_msg("%s: expected in /proc/net, missing", need[i]);
	for (int i = 0; kstat_names[i]; i++)
		if (!k.have[i])
			print_message("  (this kernel has no %s)\n", kstat_names[i]);
}

static void test_sysctl(void **state)
{
	(void)state;
	long v = -1;
	char buf[64];
	assert_int_equal(sysctl_read_int("net.core.somaxconn", &v), 0);
	assert_true(v > 0);
	assert_int_equal(sysctl_read_str("net.ipv4.ip_local_port_range", buf, sizeof buf), 0);
	if (!strchr(buf, ' ') || strchr(buf, '\t') || strchr(buf, '\n'))
		fail_msg("ip_local_port_range: expected \"LO HI\", got \"%s\"", buf);
	int lo, hi;
	assert_int_equal(kstat_port_range(&lo, &hi), 0);
	assert_true(lo >= 1 && lo <= hi && hi <= 65535);
	char want[32];
	snprintf(want, sizeof want, "%d %d", lo, hi);
	assert_string_equal(buf, want);

	assert_int_equal(sysctl_read_int("net.ipv4.tcp_rmem", &v), -EINVAL); /* three numbers */
	assert_int_equal(sysctl_read_str("net.ipv4.tcp_rmem", buf, 4), -ERANGE);
	assert_int_equal(sysctl_read_int("net.core.no_such_sysctl", &v), -ENOENT);
	assert_int_equal(sysctl_read_int("net..core", &v), -EINVAL);
	assert_int_equal(sysctl_read_int(".net.core.somaxconn", &v), -EINVAL);
	assert_int_equal(sysctl_read_int("net.core/../../../etc/passwd", &v), -EINVAL);
	assert_int_equal(sysctl_read_int("", &v), -EINVAL);
	assert_int_equal(sysctl_write("net.core.no_such_sysctl", "1"), -ENOENT);
}

static const char *const env_keys[] = {
    "net.core.somaxconn",	"net.ipv4.tcp_max_syn_backlog",
    "net.ipv4.tcp_syncookies",	"net.ipv4.tcp_abort_on_overflow",
    "net.ipv4.tcp_syn_retries", "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_tw_reuse",	"net.core.rmem_max",
    "net.core.wmem_max",	"net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_rmem",	"net.ipv4.tcp_wmem",
};

/* Every key, of the right type; returns the object for more checks. */
static json_t *check_env(void)
{
	json_t *e = env_json();
	assert_non_null(e);
	char *s = json_dumps(e, JSON_SORT_KEYS);
	print_message("  env_json: %s\n", s);
	free(s);
	assert_true(json_is_string(json_object_get(e, "kernel")));
	assert_true(json_integer_value(json_object_get(e, "cpus")) >= 1);
	const char *ns = json_string_value(json_object_get(e, "netns"));
	assert_non_null(ns);
	assert_true(!strcmp(ns, "private") || !strcmp(ns, "host") || !strcmp(ns, "unknown"));
	json_t *sys = json_object_get(e, "sysctl");
	assert_true(json_is_object(sys));
	for (size_t i = 0; i < sizeof env_keys / sizeof env_keys[0]; i++) {
		json_t *v = json_object_get(sys, env_keys[i]);
		if (!json_is_integer(v) && !json_is_string(v))
			fail_msg("env sysctl %s: expected a number or string", env_keys[i]);
	}
	bool linear = access("/proc/sys/net/ipv4/tcp_syn_linear_timeouts", F_OK) == 0;
	assert_int_equal(json_object_get(sys, "net.ipv4.tcp_syn_linear_timeouts") != NULL, linear);
	assert_true(json_is_integer(json_object_get(sys, "net.core.somaxconn")));
	assert_true(json_is_integer(json_object_get(sys, "net.ipv4.tcp_syncookies")));
	assert_true(json_is_string(json_object_get(sys, "net.ipv4.ip_local_port_range")));
	const char *rmem = json_string_value(json_object_get(sys, "net.ipv4.tcp_rmem"));
	assert_non_null(rmem);
	assert_null(strchr(rmem, '\t'));
	return e;
}

static void test_env_here(void **state)
{
	(void)state;
	json_decref(check_env());
}

/* --- in a private network namespace --------------------------------- */

static int private_netns(void **state)
{
	(void)state;
	return sbunit_private_netns("a network namespace where only they move the counters");
}

static void test_env_private(void **state)
{
	(void)state;
	json_t *e = check_env();
	assert_string_equal(json_string_value(json_object_get(e, "netns")), "private");
	json_decref(e);
}

/* listen(fd, 0): the accept queue holds one (sk_acceptq_is_full uses '>'),
 * so of 5 handshakes from one thread the first completes and the SYNs of
 * the others meet a full queue and are dropped: ListenOverflows. */
static void test_overflow_counted(void **state)
{
	(void)state;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sin;
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(l, 0), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sin, &len), 0);

	struct kstat before, after;
	assert_int_equal(kstat_read(&before), 0);
	int c[5];
	for (int i = 0; i < 5; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		assert_true(c[i] >= 0);
		if (connect(c[i], (struct sockaddr *)&sin, sizeof sin) < 0 && errno != EINPROGRESS)
			fail_msg("connect %d: %s", i, strerror(errno));
	}
	sbunit_msleep(200);
	assert_int_equal(kstat_read(&after), 0);

	json_t *d = kstat_delta_json(&before, &after);
	char *s = json_dumps(d, JSON_SORT_KEYS | JSON_COMPACT);
	print_message("  delta: %s\n", s);
	free(s);
	json_decref(d);
	uint64_t overflows = kstat_delta(&before, &after, "ListenOverflows");
	if (overflows < 1)
		fail_msg("ListenOverflows: expected >= 1, got %llu", (unsigned long long)overflows);
	assert_true(kstat_delta(&before, &after, "ListenDrops") >= overflows);
	assert_int_equal(kstat_delta(&before, &after, "ActiveOpens"), 5);
	assert_int_equal(kstat_delta(&before, &after, "PassiveOpens"), 1);

	int nl = diag_open(), q = -1, lim = -1;
	assert_true(nl >= 0);
	int rc = diag_listen_queue(nl, AF_INET, ntohs(sin.sin_port), &q, &lim);
	if (rc)
		fail_msg("diag_listen_queue: %s", strerror(-rc));
	if (q != 1 || lim != 0)
		fail_msg("accept queue: expected 1 waiting, limit 0; got %d, %d", q, lim);
	close(nl);
	for (int i = 0; i < 5; i++)
		close(c[i]);
	close(l);
}

/* somaxconn is per namespace: safe to change here, gone with the process. */
static void test_sysctl_write(void **state)
{
	(void)state;
	long old, v;
	assert_int_equal(sysctl_read_int("net.core.somaxconn", &old), 0);
	assert_int_equal(sysctl_write("net.core.somaxconn", "4"), 0);
	assert_int_equal(sysctl_read_int("net.core.somaxconn", &v), 0);
	assert_int_equal(v, 4);
	assert_int_equal(sysctl_write("net.core.somaxconn", "four"), -EINVAL);
	char buf[32];
	snprintf(buf, sizeof buf, "%ld", old);
	assert_int_equal(sysctl_write("net.core.somaxconn", buf), 0);
	assert_int_equal(sysctl_read_int("net.core.somaxconn", &v), 0);
	assert_int_equal(v, old);
}

int main(void)
{
	const struct CMUnitTest here[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_parse_sample),
	    cmocka_unit_test(test_parse_missing_counter),
	    cmocka_unit_test(test_parse_malformed),
	    cmocka_unit_test(test_delta),
	    cmocka_unit_test(test_read_here),
	    cmocka_unit_test(test_sysctl),
	    cmocka_unit_test(test_env_here),
	};
	const struct CMUnitTest private[] = {
	    cmocka_unit_test(test_env_private),
	    cmocka_unit_test(test_overflow_counted),
	    cmocka_unit_test(test_sysctl_write),
	};
	int failed = cmocka_run_group_tests_name("kstat", here, NULL, NULL);
	failed +=
	    cmocka_run_group_tests_name("kstat in a private netns", private, private_netns, NULL);
	return failed ? 1 : 0;
}
