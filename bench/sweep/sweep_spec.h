/* sweep_spec.h - the settings of a sweep. */
#ifndef SOCKBENCH_SWEEP_SPEC_H
#define SOCKBENCH_SWEEP_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "axis.h"

enum knob_kind { K_SERVE, K_SERVE_FLAG, K_LOAD, K_LOAD_FIXED, K_SYSCTL };

/* An option a sweep can vary: a serve option, a load option, or a sysctl
 * of the run's own network namespace. */
struct knob {
	const char *name; /* as on the command line, without dashes */
	enum knob_kind kind;
	const char *alias; /* serve option it sets ("models" -> "model"), or the sysctl */
};
extern const struct knob sweep_knobs[];
const struct knob *knob_find(const char *name);

#define SWEEP_MAX_AXES 48

struct sweep_spec {
	int naxes;
	struct axis axes[SWEEP_MAX_AXES];
	const struct knob *knob[SWEEP_MAX_AXES];
	int repeat;
	bool pause_accept, resume, dry_run, host_netns, quiet, help;
	char out[512];
	char config[512];
	char server_cmd[2048];
};

/* Command line (argv[0] = "sweep") over an optional --config file. */
int spec_parse(struct sweep_spec *sp, int argc, char **argv, char *err, size_t errlen);
int spec_load_config(struct sweep_spec *sp, const char *path, char *err, size_t errlen);
void spec_free(struct sweep_spec *sp);

#endif
