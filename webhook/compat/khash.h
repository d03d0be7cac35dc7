/*
 * khash.h: just enough of klib's khash for <h2o/http2_internal.h>.
 *
 * Why: h2guard.c reads two fields of h2o's HTTP/2 connection (the highest
 * stream id the client opened, and the frame reader), whose struct lives in
 * <h2o/http2_internal.h>. That header includes "khash.h" for the type of
 * the connection's stream table, but Debian's libh2o-evloop-dev does not
 * ship klib's header. The table is only ever a pointer in that struct, so
 * its layout never reaches admitd's code; this file names the type, and the
 * one inline lookup in the header, which admitd never calls, aborts.
 * Only h2guard.c is compiled with this directory on its include path.
 */
#ifndef ADMITD_COMPAT_KHASH_H
#define ADMITD_COMPAT_KHASH_H

#include <stdint.h>
#include <stdlib.h>

typedef uint32_t khint_t;
typedef khint_t khiter_t;

#define KHASH_MAP_INIT_INT64(name, khval_t)                                                        \
	typedef struct kh_##name##_s {                                                             \
		khint_t n_buckets, size, n_occupied, upper_bound;                                  \
		uint32_t *flags;                                                                   \
		uint64_t *keys;                                                                    \
		khval_t *vals;                                                                     \
	} kh_##name##_t;                                                                           \
	static inline khint_t kh_get_##name(const kh_##name##_t *h, uint64_t key)                  \
	{                                                                                          \
		(void)h;                                                                           \
		(void)key;                                                                         \
		abort(); /* admitd never looks streams up */                                       \
	}

#define khash_t(name)      kh_##name##_t
#define kh_get(name, h, k) kh_get_##name(h, k)
#define kh_end(h)          ((h)->n_buckets)
#define kh_val(h, x)       ((h)->vals[x])

#endif
