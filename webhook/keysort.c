/*
 * keysort: an external merge sort of (key, index) pairs (keysort.h).
 *
 * Pairs are packed in one buffer (index, length, key, NUL); when it is
 * full, their offsets are sorted and the pairs written to a temporary file
 * in that order, as one run. At the end, each run is read back through a
 * small buffer of its own and a heap of the runs' heads gives the pairs in
 * order. What is held is the buffer while adding, and while merging a read
 * buffer per run (4 KiB; 100,000 inventory keys make about a dozen runs).
 * When everything fits in the buffer, nothing is written.
 */
#include "keysort.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEYSORT_RUN_BYTES (256u * 1024u)
#define KEYSORT_READ      4096u
#define KEYSORT_HEAD      8u /* uint32 index, uint32 length */

struct keysort_run {
	off_t start, end;
};

/* One run being merged: where it is in the file, and its current pair. */
struct keysort_cursor {
	off_t pos, end;
	char *buf;
	size_t blen, bpos;
	char *key;
	size_t klen, kcap;
	uint32_t idx;
};

struct keysort {
	size_t run_bytes;
	/* adding, and the in-memory sort */
	char *buf;
	size_t used, cap;
	uint32_t *offs;
	size_t n, offs_cap, next;
	/* the runs */
	FILE *file;
	off_t file_end;
	struct keysort_run *runs;
	size_t nruns, runs_cap;
	/* merging */
	struct keysort_cursor *cur;
	size_t *heap, nheap;
	bool sorted, taken, failed;
	char err[160];
};

static int keysort_fail(struct keysort *ks, const char *what, int e)
{
	if (!ks->failed)
		snprintf(ks->err, sizeof(ks->err), "%s%s%s", what, e ? ": " : "",
			 e ? strerror(e) : "");
	ks->failed = true;
	return -1;
}

struct keysort *keysort_new(size_t run_bytes)
{
	struct keysort *ks = calloc(1, sizeof(*ks));
	if (ks != NULL)
		ks->run_bytes = run_bytes ? run_bytes : KEYSORT_RUN_BYTES;
	return ks;
}

static int keysort_cmp(const char *a, size_t alen, uint32_t aidx, const char *b, size_t blen,
		       uint32_t bidx)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	if (c != 0)
		return c < 0 ? -1 : 1;
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return (aidx > bidx) - (aidx < bidx);
}

/* A packed pair's index, length and key. */
static void keysort_at(const char *buf, uint32_t off, uint32_t *idx, uint32_t *len,
		       const char **key)
{
	memcpy(idx, buf + off, 4);
	memcpy(len, buf + off + 4, 4);
	*key = buf + off + KEYSORT_HEAD;
}

static int keysort_cmp_packed(const void *a, const void *b, void *arg)
{
	const char *buf = arg, *ka, *kb;
	uint32_t ia, la, ib, lb;
	keysort_at(buf, *(const uint32_t *)a, &ia, &la, &ka);
	keysort_at(buf, *(const uint32_t *)b, &ib, &lb, &kb);
	return keysort_cmp(ka, la, ia, kb, lb, ib);
}

/* Orders the buffer's pairs (offs). Nothing added: offs is NULL, which qsort_r may not be given. */
static void keysort_order(struct keysort *ks)
{
	if (ks->n > 1)
		qsort_r(ks->offs, ks->n, sizeof(*ks->offs), keysort_cmp_packed, ks->buf);
}

/* Sorts what the buffer holds and writes it to the file as one run. */
static int keysort_spill(struct keysort *ks)
{
	if (ks->file == NULL && (ks->file = tmpfile()) == NULL)
		return keysort_fail(ks, "cannot create a temporary file", errno);
	if (ks->nruns == ks->runs_cap) {
		size_t cap = ks->runs_cap ? ks->runs_cap * 2 : 16;
		struct keysort_run *r = realloc(ks->runs, cap * sizeof(*r));
		if (r == NULL)
			return keysort_fail(ks, "out of memory", 0);
		ks->runs = r;
		ks->runs_cap = cap;
	}
	keysort_order(ks);
	off_t start = ks->file_end;
	for (size_t i = 0; i < ks->n; i++) {
		uint32_t idx, len;
		const char *key;
		keysort_at(ks->buf, ks->offs[i], &idx, &len, &key);
		if (fwrite(ks->buf + ks->offs[i], 1, KEYSORT_HEAD + len, ks->file) !=
		    KEYSORT_HEAD + len)
			return keysort_fail(ks, "cannot write the temporary file", errno);
		ks->file_end += KEYSORT_HEAD + len;
	}
	ks->runs[ks->nruns++] = (struct keysort_run){start, ks->file_end};
	ks->used = ks->n = 0;
	return 0;
}

int keysort_add(struct keysort *ks, const char *key, size_t len, uint32_t idx)
{
	if (ks->failed)
		return -1;
	if (ks->sorted)
		return keysort_fail(ks, "keysort_add after keysort_sort", 0);
	if (len > UINT32_MAX - KEYSORT_HEAD - 1)
		return keysort_fail(ks, "a key too long", 0);
	size_t need = KEYSORT_HEAD + len + 1;
	if (ks->n > 0 && ks->used + need > ks->run_bytes && keysort_spill(ks) < 0)
		return -1;
	if (ks->used + need > ks->cap) {
		/* the whole buffer at once: it is reused for every run */
		size_t cap = ks->run_bytes > need ? ks->run_bytes : need;
		char *b = realloc(ks->buf, cap);
		if (b == NULL)
			return keysort_fail(ks, "out of memory", 0);
		ks->buf = b;
		ks->cap = cap;
	}
	if (ks->n == ks->offs_cap) {
		size_t cap = ks->offs_cap ? ks->offs_cap * 2 : 256;
		uint32_t *o = realloc(ks->offs, cap * sizeof(*o));
		if (o == NULL)
			return keysort_fail(ks, "out of memory", 0);
		ks->offs = o;
		ks->offs_cap = cap;
	}
	uint32_t l = (uint32_t)len;
	char *p = ks->buf + ks->used;
	memcpy(p, &idx, 4);
	memcpy(p + 4, &l, 4);
	memcpy(p + KEYSORT_HEAD, key, len);
	p[KEYSORT_HEAD + len] = '\0';
	ks->offs[ks->n++] = (uint32_t)ks->used;
	ks->used += need;
	return 0;
}

/* Copies n bytes of c's run to dst, reading the file as its buffer empties. */
static int keysort_read(struct keysort *ks, struct keysort_cursor *c, void *dst, size_t n)
{
	char *d = dst;
	while (n > 0) {
		if (c->bpos == c->blen) {
			size_t want = KEYSORT_READ;
			if ((off_t)want > c->end - c->pos)
				want = (size_t)(c->end - c->pos);
			if (want == 0)
				return keysort_fail(ks, "the temporary file ends early", 0);
			ssize_t got = pread(fileno(ks->file), c->buf, want, c->pos);
			if (got <= 0)
				return keysort_fail(ks, "cannot read the temporary file",
						    got < 0 ? errno : 0);
			c->pos += got;
			c->blen = (size_t)got;
			c->bpos = 0;
		}
		size_t k = c->blen - c->bpos < n ? c->blen - c->bpos : n;
		memcpy(d, c->buf + c->bpos, k);
		c->bpos += k;
		d += k;
		n -= k;
	}
	return 0;
}

/* Reads c's next pair: 1, or 0 at the end of its run, or -1. */
static int keysort_advance(struct keysort *ks, struct keysort_cursor *c)
{
	if (c->bpos == c->blen && c->pos == c->end)
		return 0;
	uint32_t len;
	if (keysort_read(ks, c, &c->idx, 4) < 0 || keysort_read(ks, c, &len, 4) < 0)
		return -1;
	if (len + 1u > c->kcap) {
		char *k = realloc(c->key, len + 1u);
		if (k == NULL)
			return keysort_fail(ks, "out of memory", 0);
		c->key = k;
		c->kcap = len + 1u;
	}
	if (keysort_read(ks, c, c->key, len) < 0)
		return -1;
	c->key[len] = '\0';
	c->klen = len;
	return 1;
}

static bool keysort_less(const struct keysort *ks, size_t a, size_t b)
{
	const struct keysort_cursor *x = &ks->cur[a], *y = &ks->cur[b];
	return keysort_cmp(x->key, x->klen, x->idx, y->key, y->klen, y->idx) < 0;
}

static void keysort_sift_down(struct keysort *ks, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < ks->nheap && keysort_less(ks, ks->heap[l], ks->heap[m]))
			m = l;
		if (l + 1 < ks->nheap && keysort_less(ks, ks->heap[l + 1], ks->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		size_t t = ks->heap[i];
		ks->heap[i] = ks->heap[m];
		ks->heap[m] = t;
		i = m;
	}
}

int keysort_sort(struct keysort *ks)
{
	if (ks->failed)
		return -1;
	if (ks->sorted)
		return 0;
	ks->sorted = true;
	if (ks->nruns == 0) {
		keysort_order(ks);
		return 0;
	}
	if (ks->n > 0 && keysort_spill(ks) < 0)
		return -1;
	/* the buffer is not needed while merging */
	free(ks->buf);
	free(ks->offs);
	ks->buf = NULL;
	ks->offs = NULL;
	ks->cap = ks->offs_cap = 0;
	if (fflush(ks->file) != 0)
		return keysort_fail(ks, "cannot write the temporary file", errno);
	ks->cur = calloc(ks->nruns, sizeof(*ks->cur));
	ks->heap = calloc(ks->nruns, sizeof(*ks->heap));
	if (ks->cur == NULL || ks->heap == NULL)
		return keysort_fail(ks, "out of memory", 0);
	for (size_t r = 0; r < ks->nruns; r++) {
		struct keysort_cursor *c = &ks->cur[r];
		c->pos = ks->runs[r].start;
		c->end = ks->runs[r].end;
		if ((c->buf = malloc(KEYSORT_READ)) == NULL)
			return keysort_fail(ks, "out of memory", 0);
		int got = keysort_advance(ks, c);
		if (got < 0)
			return -1;
		if (got == 0)
			continue; /* never written: a run has a pair at least */
		ks->heap[ks->nheap++] = r;
	}
	for (size_t i = ks->nheap / 2; i-- > 0;)
		keysort_sift_down(ks, i);
	return 0;
}

int keysort_next(struct keysort *ks, const char **key, size_t *len, uint32_t *idx)
{
	if (ks->failed)
		return -1;
	if (!ks->sorted)
		return keysort_fail(ks, "keysort_next before keysort_sort", 0);
	if (ks->nruns == 0) {
		if (ks->next == ks->n)
			return 0;
		uint32_t l;
		keysort_at(ks->buf, ks->offs[ks->next++], idx, &l, key);
		*len = l;
		return 1;
	}
	if (ks->taken) {
		/* the head given last time: its run's next pair takes its place */
		ks->taken = false;
		int got = keysort_advance(ks, &ks->cur[ks->heap[0]]);
		if (got < 0)
			return -1;
		if (got == 0)
			ks->heap[0] = ks->heap[--ks->nheap];
		keysort_sift_down(ks, 0);
	}
	if (ks->nheap == 0)
		return 0;
	const struct keysort_cursor *c = &ks->cur[ks->heap[0]];
	*key = c->key;
	*len = c->klen;
	*idx = c->idx;
	ks->taken = true;
	return 1;
}

size_t keysort_runs(const struct keysort *ks)
{
	return ks->nruns;
}

const char *keysort_error(const struct keysort *ks)
{
	return ks->failed ? ks->err : "no error";
}

void keysort_free(struct keysort *ks)
{
	if (ks == NULL)
		return;
	if (ks->cur != NULL)
		for (size_t r = 0; r < ks->nruns; r++) {
			free(ks->cur[r].buf);
			free(ks->cur[r].key);
		}
	free(ks->cur);
	free(ks->heap);
	free(ks->runs);
	free(ks->buf);
	free(ks->offs);
	if (ks->file != NULL)
		fclose(ks->file);
	free(ks);
}
