/* registry.c - the one list of server models: adding a model is adding a
 * file in servers/ and a line here. */
#include <string.h>

#include "sockbench/server.h"

extern const struct server_model model_blocking, model_fork, model_thread, model_prefork,
    model_poll, model_select, model_epoll, model_libevent, model_uring, model_py_blocking,
    model_py_threading, model_py_selectors, model_py_asyncio, model_none;

const struct server_model *const server_models[] = {
    &model_blocking,	 &model_fork,	      &model_thread,	 &model_prefork, &model_poll,
    &model_select,	 &model_epoll,	      &model_libevent,	 &model_uring,	 &model_py_blocking,
    &model_py_threading, &model_py_selectors, &model_py_asyncio, &model_none,	 NULL,
};

const struct server_model *server_find(const char *name)
{
	for (int i = 0; server_models[i]; i++)
		if (!strcmp(server_models[i]->name, name))
			return server_models[i];
	return NULL;
}
