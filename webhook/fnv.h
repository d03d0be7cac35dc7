/*
 * fnv: 64-bit FNV-1a, the one non-cryptographic hash admitd uses (the
 * configuration checksum, audit's object identities, the signature
 * cache's buckets). Not for anything an attacker may aim collisions at.
 */
#ifndef ADMITD_FNV_H
#define ADMITD_FNV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/*
 * The same step over 8-byte words, for tables that never leave the process
 * (the per-thread memos, looked up several times per review): a quarter of
 * the byte loop's work. The final mix makes the low bits a table index
 * takes depend on every byte. Its values may differ between machines of
 * other byte orders: never store them.
 */
static inline uint64_t fnv_words(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = FNV_OFFSET ^ len, w;
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * FNV_PRIME;
	}
	w = 0;
	memcpy(&w, p, len);
	h = (h ^ w) * FNV_PRIME;
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	return h ^ (h >> 32);
}

#endif
