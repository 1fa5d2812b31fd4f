/* test_engine_idle.c - the open loop's idle list (bench/load/engine_conn.c):
 * each connection in it once and C_IDLE, whatever order connections go
 * idle, are taken for a request or are closed in.  The regression: a
 * connection closed while idle (the server's FIN) stayed linked, was
 * linked again when its slot reconnected and went idle, and the list
 * became a cycle that the load's thread walked for ever. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bench/load/engine_int.h"
#include "sbunit.h"

#define N 8

struct bench {
	struct lthread t;
	struct lconn c[N];
};

static void bench_init(struct bench *b)
{
	memset(b, 0, sizeof *b);
	b->t.c = b->c;
	b->t.n = N;
	b->t.idle_top = b->t.ready_top = -1;
	for (int i = 0; i < N; i++)
		b->c[i].fd = -1; /* engine_conn_close closes no real fd */
}

/* The list from the top, as indices, into out (at most N + 1 of them: one
 * more than the connections means a cycle); returns how many. */
static int walk(const struct bench *b, int *out)
{
	int n = 0;
	for (int i = b->t.idle_top; i >= 0 && n <= N; i = b->c[i].next_idle)
		out[n++] = i;
	return n;
}

/* The list is exactly want[0..nwant) from the top, each one C_IDLE and
 * marked linked, the links back the mirror of the links forward, and no
 * other connection marked linked. */
static void expect_list(const struct bench *b, const int *want, int nwant, const char *when)
{
	int got[N + 1], n = walk(b, got);
	char gs[128] = "", ws[128] = "";
	for (int i = 0; i < n; i++)
		snprintf(gs + strlen(gs), sizeof gs - strlen(gs), " %d", got[i]);
	for (int i = 0; i < nwant; i++)
		snprintf(ws + strlen(ws), sizeof ws - strlen(ws), " %d", want[i]);
	bool same = n == nwant;
	for (int i = 0; same && i < n; i++)
		same = got[i] == want[i];
	if (!same)
		fail_msg("%s: idle list expected [%s ], got [%s ]%s", when, ws, gs,
			 n > N ? " (a cycle)" : "");
	bool in[N] = {false};
	for (int k = 0; k < n; k++) {
		const struct lconn *c = &b->c[got[k]];
		in[got[k]] = true;
		if (c->st != C_IDLE || !c->idle)
			fail_msg("%s: connection %d in the idle list: expected C_IDLE and "
				 "linked, got state %d, linked %d",
				 when, got[k], (int)c->st, (int)c->idle);
		int prev = k ? got[k - 1] : -1;
		if (c->prev_idle != prev)
			fail_msg("%s: connection %d: prev_idle expected %d, got %d", when, got[k],
				 prev, c->prev_idle);
	}
	for (int i = 0; i < N; i++)
		if (!in[i] && b->c[i].idle)
			fail_msg("%s: connection %d marked linked but not in the list", when, i);
}

/* What schedule_due does with the top one: a request begins on it. */
static void take_top(struct bench *b)
{
	struct lconn *c = &b->c[b->t.idle_top];
	engine_idle_unlink(&b->t, c);
	c->st = C_SENDING;
}

static void test_push_take(void **state)
{
	(void)state;
	struct bench b;
	bench_init(&b);
	expect_list(&b, (int[]){-1}, 0, "new");
	for (int i = 0; i < 3; i++)
		engine_idle_push(&b.t, &b.c[i]);
	expect_list(&b, (int[]){2, 1, 0}, 3, "pushed 0, 1, 2");
	take_top(&b);
	expect_list(&b, (int[]){1, 0}, 2, "took the top");
	assert_int_equal(b.c[2].st, C_SENDING);
	engine_idle_push(&b.t, &b.c[2]);
	expect_list(&b, (int[]){2, 1, 0}, 3, "2 idle again");
}

/* The bug's own sequence, one connection: idle, closed by the server,
 * reconnected, idle again. */
static void test_closed_while_idle_one(void **state)
{
	(void)state;
	struct bench b;
	bench_init(&b);
	engine_idle_push(&b.t, &b.c[0]);
	engine_conn_close(&b.t, &b.c[0]); /* recv() == 0 on the idle connection */
	assert_int_equal(b.c[0].st, C_NONE);
	expect_list(&b, (int[]){-1}, 0, "0 closed while idle");
	b.c[0].st = C_CONNECTING; /* open_due reopens the slot */
	engine_idle_push(&b.t, &b.c[0]);
	expect_list(&b, (int[]){0}, 1, "0 reconnected and idle again");
}

/* Closed from the top, the middle and the bottom of the list, and a close
 * of a connection that is not in it. */
static void test_close_anywhere(void **state)
{
	(void)state;
	struct bench b;
	bench_init(&b);
	for (int i = 0; i < 5; i++)
		engine_idle_push(&b.t, &b.c[i]);
	engine_conn_close(&b.t, &b.c[2]);
	expect_list(&b, (int[]){4, 3, 1, 0}, 4, "closed 2 (middle)");
	engine_conn_close(&b.t, &b.c[4]);
	expect_list(&b, (int[]){3, 1, 0}, 3, "closed 4 (top)");
	engine_conn_close(&b.t, &b.c[0]);
	expect_list(&b, (int[]){3, 1}, 2, "closed 0 (bottom)");
	engine_conn_close(&b.t, &b.c[6]);
	expect_list(&b, (int[]){3, 1}, 2, "closed 6 (never idle)");
	for (int i = 0; i < 5; i += 2)
		engine_idle_push(&b.t, &b.c[i]);
	expect_list(&b, (int[]){4, 2, 0, 3, 1}, 5, "0, 2, 4 idle again");
}

/* Random sequences of what the engine does to a connection (go idle after
 * a reply or a handshake, get taken for a request, be closed by the
 * server, reconnect) against a model of the list, checked after each. */
static void test_random(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 200; seed++) {
		struct bench b;
		int model[N], nm = 0;
		uint64_t rng = seed;
		char when[64];
		bench_init(&b);
		for (int op = 0; op < 200; op++) {
			int i = (int)sbunit_rng_below(&rng, N);
			struct lconn *c = &b.c[i];
			switch (sbunit_rng_below(&rng, 3)) {
			case 0: /* a busy or new connection goes idle */
				if (c->st == C_IDLE)
					continue;
				engine_idle_push(&b.t, c);
				memmove(model + 1, model, (size_t)nm * sizeof *model);
				model[0] = i;
				nm++;
				break;
			case 1: /* schedule_due takes the top one */
				if (!nm)
					continue;
				take_top(&b);
				memmove(model, model + 1, (size_t)--nm * sizeof *model);
				break;
			default: /* the server closes it, whatever it was doing */
				engine_conn_close(&b.t, c);
				for (int k = 0; k < nm; k++)
					if (model[k] == i) {
						memmove(model + k, model + k + 1,
							(size_t)(nm - k - 1) * sizeof *model);
						nm--;
						break;
					}
				c->st = C_CONNECTING; /* and the slot reconnects */
			}
			snprintf(when, sizeof when, "seed %llu, step %d", (unsigned long long)seed,
				 op);
			expect_list(&b, model, nm, when);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_push_take),
	    cmocka_unit_test(test_closed_while_idle_one),
	    cmocka_unit_test(test_close_anywhere),
	    cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
