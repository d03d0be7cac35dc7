/*
 * config: the admitd configuration, read from YAML with libcyaml.
 *
 * A loaded configuration is immutable and reference counted: the server
 * swaps a new one in on reload while requests in flight keep the old one.
 */
#ifndef ADMITD_CONFIG_H
#define ADMITD_CONFIG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "../policies/policy.h"
#include "cfgtypes.h"
#include "settings.h"
#include "yamlconf.h"

/* The built-in default: Pod Security restricted at deny, kube-system exempt. */
extern const char config_default_yaml[];

/*
 * Loads and validates. Returns a configuration with one reference, or
 * NULL with every error found in *errs (caller frees with
 * yamlconf_errors_free). `name` is used in error messages.
 */
struct admitd_config *config_load_file(const char *path, struct yamlconf_errors *errs);
/* config_load_file, or the built-in default when path is NULL. */
struct admitd_config *config_load_or_default(const char *path, struct yamlconf_errors *errs);

/* A configuration file larger than this is refused. */
#define CONFIG_MAX_FILE (16u << 20)
struct admitd_config *config_load_buffer(const char *name, const char *buf, size_t len,
					 struct yamlconf_errors *errs);

struct admitd_config *config_ref(struct admitd_config *cfg);
void config_unref(struct admitd_config *cfg);

/*
 * Things a valid configuration does that are probably not what was meant
 * (a policy turned on that only `admitd audit` can run), one line each,
 * for check-config and the server's log. Returns how many were written
 * into lines (up to max); each is malloc'd, the caller frees them.
 */
size_t config_notes(const struct admitd_config *cfg, char **lines, size_t max);

#endif
