/*
 * main.c: the admitd command line. One table of commands, each a name,
 * a one-line summary and a function, like redis' command table.
 *
 * Exit status: 0 success, 1 a verdict or check failed, 2 usage or
 * configuration error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../policies/registry.h"
#include "audit.h"
#include "inventory.h"
#include "cfgkeys.h"
#include "config.h"
#include "decision.h"
#include "log.h"
#include "server.h"
#include "suite.h"
#include "version.h"

struct command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

static int cmd_help(int argc, char **argv);

/* Whether a command was asked for its usage (main passes -h on as --help). */
static bool main_help_asked(int argc, char **argv)
{
	return argc >= 2 && strcmp(argv[1], "--help") == 0;
}

/* A command's usage: asked for, on stdout with exit 0; after a misuse, on stderr with exit 2. */
static int main_usage(const char *usage, bool asked)
{
	fputs(usage, asked ? stdout : stderr);
	return asked ? 0 : 2;
}

/* Loads --config FILE, or the built-in default; prints every error. */
static struct admitd_config *main_load_config(const char *path)
{
	struct yamlconf_errors errs = {0};
	struct admitd_config *cfg = config_load_or_default(path, &errs);
	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.lines[i]);
	yamlconf_errors_free(&errs);
	return cfg;
}

/* The configuration's notes (config_notes) on stderr, `file: warning: ...`. */
static void main_print_notes(const struct admitd_config *cfg)
{
	char *notes[16];
	size_t n = config_notes(cfg, notes, 16);
	for (size_t i = 0; i < n; i++) {
		fprintf(stderr, "%s: warning: %s\n", cfg->source, notes[i]);
		free(notes[i]);
	}
}

static int main_check_registry(void)
{
	char why[256];
	if (registry_validate(why, sizeof(why)) < 0) {
		fprintf(stderr, "admitd: policy registry is broken: %s\n", why);
		return -1;
	}
	return 0;
}

/* The flags of `admitd serve` that override the configuration file. */
struct main_serve_flags {
	const char *listen, *cert, *key, *threads, *decisions;
	bool http2, dry_run;
};

/* 0 to go on, 1 when --help was printed, -1 on a bad flag (said on stderr). */
static int main_serve_parse(int argc, char **argv, struct server_options *opt,
			    struct main_serve_flags *f)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"listen", required_argument, NULL, 'l'},
		{"cert", required_argument, NULL, 'C'},
		{"key", required_argument, NULL, 'K'},
		{"threads", required_argument, NULL, 't'},
		{"http2", no_argument, NULL, '2'},
		{"dry-run", no_argument, NULL, 'd'},
		{"shutdown-grace-ms", required_argument, NULL, 'g'},
		{"shutdown-delay-ms", required_argument, NULL, 'W'},
		{"decision-log", required_argument, NULL, 'D'},
		{"metrics-listen", required_argument, NULL, 'M'},
		{"client-ca", required_argument, NULL, 'A'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			opt->config_path = optarg;
			break;
		case 'l':
			f->listen = optarg;
			break;
		case 'C':
			f->cert = optarg;
			break;
		case 'K':
			f->key = optarg;
			break;
		case 't':
			f->threads = optarg;
			break;
		case '2':
			f->http2 = true;
			break;
		case 'd':
			f->dry_run = true;
			break;
		case 'D':
			f->decisions = optarg;
			break;
		case 'M':
			opt->metrics_listen = optarg;
			break;
		case 'A':
			opt->client_ca = optarg;
			break;
		case 'g':
		case 'W': {
			char why[128];
			unsigned *ms =
				ch == 'g' ? &opt->shutdown_grace_ms : &opt->shutdown_delay_ms;
			/* an hour: longer than any terminationGracePeriodSeconds worth having */
			if (cfgkeys_parse_uint(optarg, 0, 3600000, ms, why, sizeof(why)) < 0) {
				fprintf(stderr, "admitd serve: --%s: %s\n",
					ch == 'g' ? "shutdown-grace-ms" : "shutdown-delay-ms", why);
				return -1;
			}
			break;
		}
		case 'h':
			printf("usage: admitd serve [--config FILE] [--listen ADDR:PORT] --cert FILE "
			       "--key FILE [--threads N] [--http2] [--dry-run]\n"
			       "                    [--decision-log FILE|-|off] "
			       "[--shutdown-grace-ms MS] [--metrics-listen ADDR:PORT]\n"
			       "                    [--client-ca FILE] [--shutdown-delay-ms MS]\n");
			return 1;
		default:
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "admitd serve: unexpected argument \"%s\"\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* The flags over the file's server keys, checked; -1 on a bad value (said on stderr). */
static int main_serve_merge(struct server_options *opt, const struct main_serve_flags *f,
			    struct admitd_config *cfg)
{
	opt->listen_given = f->listen != NULL;
	opt->cert_given = f->cert != NULL;
	opt->key_given = f->key != NULL;
	opt->client_ca_given = opt->client_ca != NULL;
	opt->threads_given = f->threads != NULL;
	opt->http2_given = f->http2;
	opt->listen = f->listen ? f->listen : cfg->server.listen; /* ":8443" by default */
	opt->cert = f->cert ? f->cert : cfg->server.cert;
	opt->key = f->key ? f->key : cfg->server.key;
	if (opt->client_ca == NULL)
		opt->client_ca = cfg->server.client_ca;
	opt->http2 = f->http2 || cfg->server.http2;
	opt->threads = cfg->server.threads;
	char why[160];
	if (f->threads != NULL &&
	    cfgkeys_parse_uint(f->threads, 0, 256, &opt->threads, why, sizeof(why)) < 0) {
		fprintf(stderr, "admitd serve: --threads: %s\n", why);
		return -1;
	}
	const char *addrs[2][2] = {{"--listen", opt->listen},
				   {"--metrics-listen", opt->metrics_listen}};
	for (int i = 0; i < 2; i++) {
		if (addrs[i][1] != NULL &&
		    cfgkeys_check_listen(addrs[i][1], why, sizeof(why)) < 0) {
			fprintf(stderr, "admitd serve: %s: %s\n", addrs[i][0], why);
			return -1;
		}
	}
	if (f->dry_run) {
		cfg->mode = ADMITD_MODE_DRY_RUN;
		opt->force_dry_run = true;
	}
	if (opt->cert == NULL || opt->key == NULL) {
		fprintf(stderr, "admitd serve: --cert and --key are required (or server.cert / "
				"server.key in the configuration)\n");
		return -1;
	}
	return 0;
}

static int cmd_serve(int argc, char **argv)
{
	struct server_options opt = {.shutdown_grace_ms = 5000};
	struct main_serve_flags f = {0};
	int parsed = main_serve_parse(argc, argv, &opt, &f);
	if (parsed != 0)
		return parsed > 0 ? 0 : 2;
	if (main_check_registry() < 0)
		return 2;
	struct admitd_config *cfg = main_load_config(opt.config_path);
	if (cfg == NULL) {
		fprintf(stderr, "admitd serve: refusing to start with an invalid configuration\n");
		return 2;
	}
	main_print_notes(cfg);
	if (main_serve_merge(&opt, &f, cfg) < 0) {
		config_unref(cfg);
		return 2;
	}
	if (decision_log_open(f.decisions) < 0) {
		config_unref(cfg);
		return 2;
	}
	int rc = server_run(&opt, cfg);
	decision_log_close();
	config_unref(cfg);
	return rc;
}

static int cmd_check_config(int argc, char **argv)
{
	static const char usage[] =
		"usage: admitd check-config FILE\n\n"
		"Loads FILE as admitd serve would and prints every error as file:line:col.\n"
		"Exit status: 0 valid, 2 not.\n";
	bool help = main_help_asked(argc, argv);
	if (argc != 2 || help)
		return main_usage(usage, help);
	if (main_check_registry() < 0)
		return 2;
	struct admitd_config *cfg = main_load_config(argv[1]);
	if (cfg == NULL)
		return 2;
	main_print_notes(cfg);
	printf("%s: ok (checksum %s)\n", argv[1], cfg->checksum);
	config_unref(cfg);
	return 0;
}

/* The policy reference, docs/policies.md, generated from the descriptors. */
static int main_policies_markdown(void)
{
	printf("# Policy reference\n\n"
	       "Generated by `admitd policies --markdown` from the policy modules; a test fails\n"
	       "when this file and the modules disagree.\n\n"
	       "Every policy has an action: `deny`, `warn` (allowed, with a warning kubectl\n"
	       "shows), `audit` (allowed, recorded in the audit annotations) or `off`. Pod\n"
	       "Security checks take theirs from `podSecurity` unless a `policies:` entry sets\n"
	       "one; the other modules are off until listed. See\n"
	       "[configuration.md](configuration.md).\n\n"
	       "| id | level | default | what it checks |\n|---|---|---|---|\n");
	for (size_t i = 0; i < registry_npolicies; i++) {
		const struct policy_desc *p = registry_policies[i];
		printf("| [`%s`](#%s) | %s | %s | %s |\n", p->id, p->id,
		       policy_level_name(p->level),
		       p->level == POLICY_LEVEL_NONE ? policy_action_name(p->default_action)
						     : "podSecurity",
		       p->description);
	}
	for (size_t i = 0; i < registry_npolicies; i++) {
		const struct policy_desc *p = registry_policies[i];
		printf("\n## %s\n\n", p->id);
		if (p->level != POLICY_LEVEL_NONE)
			printf("Pod Security Standards, **%s**%s%s%s.\n\n",
			       policy_level_name(p->level), p->overrides ? "; replaces `" : "",
			       p->overrides ? p->overrides : "",
			       p->overrides ? "` at restricted" : "");
		else
			printf("admitd module, **%s** by default.\n\n",
			       policy_action_name(p->default_action));
		fputs(registry_docs[i], stdout); /* ends with its newline */
	}
	return 0;
}

static int cmd_policies(int argc, char **argv)
{
	static const char usage[] =
		"usage: admitd policies [--markdown]\n\n"
		"Lists the built-in policy modules.\n\n"
		"options:\n"
		"  --markdown  the policy reference instead (docs/policies.md)\n";
	if (argc == 2 && strcmp(argv[1], "--markdown") == 0)
		return main_policies_markdown();
	if (argc != 1)
		return main_usage(usage, main_help_asked(argc, argv));
	printf("%-28s %-11s %-12s %-6s %s\n", "ID", "LEVEL", "DEFAULT", "RUNS", "DESCRIPTION");
	for (size_t i = 0; i < registry_npolicies; i++) {
		const struct policy_desc *p = registry_policies[i];
		const char *def = p->level == POLICY_LEVEL_NONE
					  ? policy_action_name(p->default_action)
					  : "podSecurity";
		printf("%-28s %-11s %-12s %-6s %s\n", p->id, policy_level_name(p->level), def,
		       p->audit_only ? "audit" : "both", p->description);
	}
	return 0;
}

/* The configuration key reference, from webhook/cfgkeys.c's table. */
static int cmd_config(int argc, char **argv)
{
	static const char *const sections[][2] = {
		{"top", ""}, {"server", "server"}, {"limits", "limits"}};
	static const char usage[] =
		"usage: admitd config --markdown top|server|limits\n\n"
		"Prints the configuration key reference from the key table.\n\n"
		"options:\n"
		"  --markdown SECTION  the keys of SECTION (top-level, server or limits) as a\n"
		"                      Markdown table, as spliced into docs/\n";
	if (argc == 3 && strcmp(argv[1], "--markdown") == 0)
		for (size_t i = 0; i < 3; i++)
			if (strcmp(argv[2], sections[i][0]) == 0) {
				cfgkeys_markdown(stdout, sections[i][1]);
				return 0;
			}
	return main_usage(usage, main_help_asked(argc, argv));
}

static int cmd_version(int argc, char **argv)
{
	if (main_help_asked(argc, argv))
		return main_usage("usage: admitd version\n\nPrints the version.\n", true);
	printf("admitd %s\n", ADMITD_VERSION);
	return 0;
}

static const struct command commands[] = {
	{"serve", "run the admission webhook over HTTPS", cmd_serve},
	{"audit", "judge existing workloads (files or a cluster) and report what would be denied",
	 audit_main},
	{"inventory",
	 "list workloads, images, ports, privileges and exposure; drift from a baseline",
	 inventory_main},
	{"test", "run policy test suites (YAML cases with expected verdicts)", suite_main},
	{"check-config", "validate a configuration file without starting anything",
	 cmd_check_config},
	{"policies", "list the built-in policy modules", cmd_policies},
	{"config", "print the configuration key reference (--markdown top|server|limits)",
	 cmd_config},
	{"version", "print the version", cmd_version},
	{"help", "show this help", cmd_help},
};

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("usage: admitd COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-14s %s\n", commands[i].name, commands[i].summary);
	printf("\nadmitd COMMAND --help (or -h) prints a command's usage and options.\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		cmd_help(0, NULL);
		return 2;
	}
	/*
	 * -h is --help for every command: commands need only recognize
	 * --help, and audit_main's getopt string (audit.c) has no h.
	 */
	if (argc >= 3 && strcmp(argv[2], "-h") == 0)
		argv[2] = "--help";
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(0, NULL);
	fprintf(stderr, "admitd: unknown command \"%s\" (try `admitd help`)\n", argv[1]);
	return 2;
}
