/*
 * libcurl.c: dlopen()s libcurl once for the whole process. The table is
 * filled under pthread_once, so a worker thread and the audit can both
 * ask for it; the library stays loaded for the process's life (its
 * handles may be in use anywhere).
 */
#include "libcurl.h"

#include <pthread.h>
#include <stdio.h>

#include <dlfcn.h>

static struct libcurl_api libcurl_table;
static pthread_once_t libcurl_once = PTHREAD_ONCE_INIT;
static char libcurl_why[256]; /* why loading failed, "" when it did not */

static void libcurl_init(void)
{
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(libcurl_why, sizeof(libcurl_why), "%s", dlerror());
		return;
	}
	CURLcode (*global_init)(long) = NULL;
	const struct {
		const char *name;
		void **slot;
	} syms[] = {
		{"curl_global_init", (void **)&global_init},
		{"curl_easy_init", (void **)&libcurl_table.easy_init},
		{"curl_easy_setopt", (void **)&libcurl_table.easy_setopt},
		{"curl_easy_perform", (void **)&libcurl_table.easy_perform},
		{"curl_easy_getinfo", (void **)&libcurl_table.easy_getinfo},
		{"curl_easy_header", (void **)&libcurl_table.easy_header},
		{"curl_easy_cleanup", (void **)&libcurl_table.easy_cleanup},
		{"curl_easy_strerror", (void **)&libcurl_table.easy_strerror},
		{"curl_easy_escape", (void **)&libcurl_table.easy_escape},
		{"curl_free", (void **)&libcurl_table.free},
		{"curl_slist_append", (void **)&libcurl_table.slist_append},
		{"curl_slist_free_all", (void **)&libcurl_table.slist_free_all},
		{"curl_url", (void **)&libcurl_table.url},
		{"curl_url_set", (void **)&libcurl_table.url_set},
		{"curl_url_get", (void **)&libcurl_table.url_get},
		{"curl_url_cleanup", (void **)&libcurl_table.url_cleanup},
	};
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].slot = dlsym(h, syms[i].name);
		if (*syms[i].slot == NULL) {
			/* curl_easy_header is 7.83's: Debian 12 has 7.88 */
			snprintf(libcurl_why, sizeof(libcurl_why),
				 "libcurl.so.4 lacks %s (7.83 or later is needed)", syms[i].name);
			return;
		}
	}
	/* curl_global_init is not thread-safe before 7.84: pthread_once makes it so */
	if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		snprintf(libcurl_why, sizeof(libcurl_why), "curl_global_init failed");
}

const struct libcurl_api *libcurl_load(const char *user, char *why, size_t whylen)
{
	pthread_once(&libcurl_once, libcurl_init);
	if (libcurl_why[0] != '\0') {
		snprintf(why, whylen, "%s needs libcurl (Debian package libcurl4): %s", user,
			 libcurl_why);
		return NULL;
	}
	return &libcurl_table;
}
