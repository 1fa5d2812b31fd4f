/* python.c - the Python models (servers/python/, one script each): the
 * standard library's servers, measured by the same harness as the C ones.
 *
 * `serve` parses the options in C as for any model (serve_opts.c refuses
 * what a model's table below lacks), then exec()s python3 with the script
 * and the effective options as argv.  The script listens, prints the same
 * READY line and, on SIGTERM/SIGINT, writes the same stats keys (null where
 * one does not apply) to --stats FILE or the inherited --stats-fd.
 *
 * Where the scripts are: sb_pydir() (lib/datadir.c): $SOCKBENCH_PYDIR if
 * set; else python/ of the data directory (an install's share/sockbench);
 * else servers/python of the source tree it was built from.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockbench/datadir.h"
#include "sockbench/server.h"

#define COMMON                                                                                     \
	"bind", "port", "backlog", "proto", "pause-accept", "max-msg", "on-accept", "no-reuseaddr"

static const char *const opts_reads[] = {COMMON, "recv-size", NULL};
static const char *const opts_selectors[] = {COMMON, "recv-size", "send", NULL};
static const char *const opts_asyncio[] = {COMMON, NULL};

/* dir/name readable: 0, else -1. */
static int script_in(const char *dir, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s.py", dir, name);
	return access(out, R_OK);
}

static int py_exec(const struct serve_config *c)
{
	/* "py-selectors" -> py_selectors.py: a script named selectors.py would
	 * shadow the module it imports (its folder comes first on sys.path) */
	char name[32];
	snprintf(name, sizeof name, "%s", c->model->name);
	name[2] = '_';
	char script[PATH_MAX + 64], port[16], backlog[16], rsize[16], maxmsg[16], sfd[16];
	if (script_in(sb_pydir(), name, script, sizeof script) < 0) {
		fprintf(stderr, "sockbench serve: model %s: cannot read %s (set SOCKBENCH_PYDIR)\n",
			c->model->name, script);
		return 1;
	}
	snprintf(port, sizeof port, "%d", c->port);
	snprintf(backlog, sizeof backlog, "%d", c->backlog);
	snprintf(rsize, sizeof rsize, "%u", c->recv_size);
	snprintf(maxmsg, sizeof maxmsg, "%u", c->max_msg);
	snprintf(sfd, sizeof sfd, "%d", c->stats_fd);
	/* the stats descriptor load gave us is the one we hand on */
	if (c->stats_fd >= 0 && fcntl(c->stats_fd, F_SETFD, 0) < 0) {
		fprintf(stderr, "sockbench serve: --stats-fd %d: %s\n", c->stats_fd,
			strerror(errno));
		return 1;
	}
	char *argv[] = {"python3",     script,
			"--model",     (char *)c->model->name,
			"--bind",      (char *)c->bind,
			"--port",      port,
			"--backlog",   backlog,
			"--proto",     (char *)proto_names[c->proto],
			"--recv-size", rsize,
			"--send",      (char *)send_names[c->send],
			"--max-msg",   maxmsg,
			"--stats-fd",  sfd,
			"--stats",     (char *)c->stats_path,
			"--on-accept", (char *)on_accept_names[c->on_accept],
			NULL, /* the flags given, below */
			NULL,	       NULL, NULL};
	size_t k = sizeof argv / sizeof argv[0] - 4;
	if (c->pause_accept)
		argv[k++] = "--pause-accept";
	if (c->no_reuseaddr)
		argv[k++] = "--no-reuseaddr";
	if (c->stop_on_eof) /* load --server-host stops it by closing the channel */
		argv[k++] = "--stop-on-eof";
	/* no __pycache__ beside the scripts (python3 -B): an install's
	 * share/sockbench belongs to its package, not to whoever ran first */
	setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
	fflush(NULL);
	execvp("python3", argv);
	fprintf(stderr, "sockbench serve: model %s: cannot run python3: %s\n", c->model->name,
		strerror(errno));
	return 1;
}

static int no_run(struct srv *s)
{
	(void)s;
	return -ENOSYS; /* never reached: exec() replaced the process */
}

#define PY_MODEL(var, nm, text, table, buffered)                                                   \
	const struct server_model var = {.name = nm,                                               \
					 .help = text,                                             \
					 .run = no_run,                                            \
					 .opts = table,                                            \
					 .send_buffered = buffered,                                \
					 .exec = py_exec}

PY_MODEL(model_py_blocking, "py-blocking",
	 "Python: the tutorial's listen/accept/serve-to-the-end loop", opts_reads, false);
PY_MODEL(model_py_threading, "py-threading", "Python: socketserver.ThreadingTCPServer", opts_reads,
	 false);
PY_MODEL(model_py_selectors, "py-selectors",
	 "Python: the tutorial's multi-connection selectors server", opts_selectors, true);
PY_MODEL(model_py_asyncio, "py-asyncio",
	 "Python: asyncio.start_server streams (reads its own chunks: no --recv-size)",
	 opts_asyncio, false);
