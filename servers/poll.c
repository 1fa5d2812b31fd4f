#include "sockbench/server.h"
static int run(struct srv *s) { (void)s; return -38; }
const struct server_model model_poll = { .name = "poll", .help = "stub", .event_loop = true, .run = run };
