/*
 * fnv: 64-bit FNV-1a, the one non-cryptographic hash admitd uses (the
 * configuration checksum, audit's object identities, the signature
 * cache's buckets). Not for anything an attacker may aim collisions at.
 */
#ifndef ADMITD_FNV_H
#define ADMITD_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

/* Continues hash h over len bytes; start with FNV_OFFSET. */
static inline uint64_t fnv_bytes(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * FNV_PRIME;
	return h;
}

/* Continues hash h over a NUL-terminated string. */
static inline uint64_t fnv_str(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * FNV_PRIME;
	return h;
}

#endif
