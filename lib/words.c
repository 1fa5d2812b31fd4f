/* words.c - command lines split into words with shell-like quoting, and
 * quoted back, without a shell: sockbench execs argv, so no word is ever
 * read by /bin/sh (no globbing, no $(...), no ; ). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockbench/words.h"

int words_split(const char *s, char ***out, int *argc, char *err, size_t errlen)
{
	size_t cap = 8, n = 0, len = strlen(s);
	char **v = calloc(cap, sizeof *v);
	char *w = malloc(len + 1);
	if (!v || !w)
		goto oom;
	const char *p = s;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		size_t k = 0;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
			if (*p == '\'') { /* '...': everything literal */
				const char *e = strchr(p + 1, '\'');
				if (!e)
					goto unbalanced;
				memcpy(w + k, p + 1, (size_t)(e - p - 1));
				k += (size_t)(e - p - 1);
				p = e + 1;
			} else if (*p == '"') { /* "...": \" and \\ escaped */
				for (p++; *p && *p != '"'; p++) {
					if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
						p++;
					w[k++] = *p;
				}
				if (*p != '"')
					goto unbalanced;
				p++;
			} else if (*p == '\\' && p[1]) {
				w[k++] = p[1];
				p += 2;
			} else {
				w[k++] = *p++;
			}
		}
		w[k] = '\0';
		if (n + 2 > cap) {
			char **nv = realloc(v, (cap *= 2) * sizeof *v);
			if (!nv)
				goto oom;
			v = nv;
		}
		if (!(v[n++] = strdup(w)))
			goto oom;
		v[n] = NULL;
	}
	free(w);
	if (!n) {
		snprintf(err, errlen, "empty command");
		words_free(v);
		return -1;
	}
	*out = v;
	*argc = (int)n;
	return 0;
unbalanced:
	snprintf(err, errlen, "unbalanced quote in '%s'", s);
	free(w);
	words_free(v);
	return -1;
oom:
	snprintf(err, errlen, "out of memory");
	free(w);
	words_free(v);
	return -1;
}

int words_quote(char *out, size_t cap, size_t *k, const char *word)
{
	size_t n = *k;
	if (n + 1 >= cap)
		return -1;
	out[n++] = '\'';
	for (const char *p = word; *p; p++) {
		/* inside '...' nothing is special but ' itself: close the
		 * quote, write an escaped ', open it again */
		const char *piece = *p == '\'' ? "'\\''" : NULL;
		size_t len = piece ? 4 : 1;
		if (n + len + 2 >= cap)
			return -1;
		memcpy(out + n, piece ? piece : p, len);
		n += len;
	}
	out[n++] = '\'';
	out[n] = '\0';
	*k = n;
	return 0;
}

void words_free(char **argv)
{
	for (char **p = argv; p && *p; p++)
		free(*p);
	free(argv);
}

int words_fill(const char *word, char *out, size_t outlen, int port, int backlog,
	       unsigned recv_size, const char *addr)
{
	size_t k = 0;
	for (const char *p = word; *p;) {
		char val[160];
		const char *rep = NULL;
		size_t skip = 0;
		if (!strncmp(p, "{port}", 6) && port >= 0) /* < 0: left for later */
			snprintf(val, sizeof val, "%d", port), rep = val, skip = 6;
		else if (!strncmp(p, "{backlog}", 9))
			snprintf(val, sizeof val, "%d", backlog), rep = val, skip = 9;
		else if (!strncmp(p, "{recv_size}", 11))
			snprintf(val, sizeof val, "%u", recv_size), rep = val, skip = 11;
		else if (!strncmp(p, "{addr}", 6))
			rep = addr, skip = 6;
		size_t add = rep ? strlen(rep) : 1;
		if (k + add + 1 > outlen)
			return -1;
		memcpy(out + k, rep ? rep : p, add);
		k += add;
		p += rep ? skip : 1;
	}
	out[k] = '\0';
	return 0;
}
