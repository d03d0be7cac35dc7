/*
 * libcurl: the one place libcurl is loaded. admitd does not link it (its
 * two dozen dependencies doubled `admitd serve`'s start-up time and
 * memory); the commands that need the network (audit --cluster, image
 * signatures) dlopen() it when they first run and call it through this
 * table. The headers are needed at build time only.
 */
#ifndef ADMITD_LIBCURL_H
#define ADMITD_LIBCURL_H

#include <stddef.h>

#include <curl/curl.h>

/* The libcurl functions admitd uses, resolved at run time. */
struct libcurl_api {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	CURLHcode (*easy_header)(CURL *, const char *, size_t, unsigned int, int,
				 struct curl_header **);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	char *(*easy_escape)(CURL *, const char *, int);
	void (*free)(void *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLU *(*url)(void);
	CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
	CURLUcode (*url_get)(const CURLU *, CURLUPart, char **, unsigned int);
	void (*url_cleanup)(CURLU *);
};

/*
 * Loads libcurl.so.4 and initializes it, once per process (thread-safe);
 * later calls return the same table. NULL when it cannot be loaded, with
 * why naming `user` ("--cluster") and the Debian package to install.
 */
const struct libcurl_api *libcurl_load(const char *user, char *why, size_t whylen);

#endif
