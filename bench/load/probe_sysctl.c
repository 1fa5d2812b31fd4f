/* probe_sysctl.c - `sockbench probe --sysctl NAME=VALUE`: the remote half
 * of load --remote-sysctl.  On the server's host, before its server
 * listens, it writes each sysctl and keeps the old value; it puts them
 * back when its stdin closes (the run ended, or its ssh channel dropped:
 * sshd closes the command's pipes when the connection goes, so a killed
 * or unplugged local side ends here too), on SIGINT, SIGTERM or SIGHUP,
 * and at --duration.  Only SIGKILL of this process itself can leave a
 * value set, and the local side then says so (no "restored" line).
 *
 * A value someone else changed while we held it is left as they set it:
 * restoring ours would undo their change.  Lines on stdout:
 *
 *   {"kind":"sysctl","old":{"net.core.somaxconn":"4096"},
 *                    "set":{"net.core.somaxconn":"64"}}
 *   {"kind":"sysctl","error":"net.core.somaxconn: Permission denied",
 *                    "old":{..},"restored":{..},"left":{..},"failed":{..}}
 *                    (those set before it, put back at once)
 *   {"kind":"restored","restored":{..},"left":{..},"failed":{..}}
 *
 * Only net.* names: this is a tool of the network stack, run on another
 * person's machine.  Values are digits and single spaces ("32768 60999"). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sockbench/kstat.h"
#include "sockbench/load.h"
#include "probe_int.h"

static bool good_name(const char *n)
{
	if (strncmp(n, "net.", 4) || strstr(n, ".."))
		return false;
	for (; *n; n++)
		if (!islower((unsigned char)*n) && !isdigit((unsigned char)*n) && *n != '_' &&
		    *n != '.' && *n != '-')
			return false;
	return true;
}

static bool good_value(const char *v)
{
	if (!isdigit((unsigned char)*v))
		return false;
	for (; *v; v++)
		if (!isdigit((unsigned char)*v) && !(*v == ' ' && isdigit((unsigned char)v[1])))
			return false;
	return true;
}

int psys_add(struct psys *s, const char *arg, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	if (s->n == PSYS_MAX)
		return snprintf(err, errlen, "--sysctl: at most %d", PSYS_MAX), -1;
	if (!eq || (size_t)(eq - arg) >= sizeof s->name[0] || strlen(eq + 1) >= sizeof s->set[0])
		return snprintf(err, errlen, "--sysctl: expected NAME=VALUE, got '%s'", arg), -1;
	snprintf(s->name[s->n], sizeof s->name[0], "%.*s", (int)(eq - arg), arg);
	snprintf(s->set[s->n], sizeof s->set[0], "%s", eq + 1);
	if (!good_name(s->name[s->n]))
		return snprintf(err, errlen, "--sysctl %s: only net.* names", s->name[s->n]), -1;
	/* twice would keep the first new value as the "old" one */
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], s->name[s->n]))
			return snprintf(err, errlen, "--sysctl %s: given twice", s->name[i]), -1;
	if (!good_value(s->set[s->n]))
		return snprintf(err, errlen,
				"--sysctl %s: '%s': expected integers separated by one space",
				s->name[s->n], s->set[s->n]),
		       -1;
	s->n++;
	return 0;
}

/* Put back the first n values, last set first (ours only: see the top of
 * the file). */
static json_t *restore(struct psys *s, int n, const char *why)
{
	json_t *done = json_object(), *left = json_object(), *failed = json_object();
	for (int i = n - 1; i >= 0; i--) {
		char now[128];
		int r = sysctl_read_str(s->name[i], now, sizeof now);
		if (r == 0 && strcmp(now, s->set[i])) {
			json_object_set_new(left, s->name[i], json_string(now));
			continue;
		}
		r = r ? r : sysctl_write(s->name[i], s->old[i]);
		json_object_set_new(r ? failed : done, s->name[i],
				    json_string(r ? strerror(-r) : s->old[i]));
	}
	return json_pack("{s:s, s:o, s:o, s:o, s:s}", "kind", "restored", "restored", done, "left",
			 left, "failed", failed, "why", why);
}

json_t *psys_set(struct psys *s)
{
	json_t *old = json_object(), *set = json_object();
	for (int i = 0; i < s->n; i++) {
		char now[128];
		int r = sysctl_read_str(s->name[i], s->old[i], sizeof s->old[0]);
		int written = r == 0 && (r = sysctl_write(s->name[i], s->set[i])) == 0;
		/* the kernel may clamp or refuse quietly: what it holds now */
		if (r == 0)
			r = sysctl_read_str(s->name[i], now, sizeof now);
		if (r < 0) {
			/* those already written go back, this one too if it was */
			json_t *back = restore(s, i + written, "error");
			json_t *l = json_pack("{s:s, s:s++, s:O, s:O, s:O, s:O}", "kind", "sysctl",
					      "error", s->name[i], ": ", strerror(-r), "old", old,
					      "restored", json_object_get(back, "restored"), "left",
					      json_object_get(back, "left"), "failed",
					      json_object_get(back, "failed"));
			json_decref(back);
			json_decref(old);
			json_decref(set);
			return l;
		}
		snprintf(s->set[i], sizeof s->set[0], "%s", now);
		json_object_set_new(old, s->name[i], json_string(s->old[i]));
		json_object_set_new(set, s->name[i], json_string(now));
	}
	return json_pack("{s:s, s:o, s:o}", "kind", "sysctl", "old", old, "set", set);
}

json_t *psys_restore(struct psys *s, const char *why)
{
	return restore(s, s->n, why);
}
