/* opts.c - table-driven option parsing (see opts.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

/* Escape one byte that must not reach a terminal raw into out (5 bytes). */
static size_t escape_byte(unsigned char c, char *out)
{
	static const char hex[] = "0123456789abcdef";

	if (c == '\n' || c == '\t' || c == '\r') {
		out[0] = '\\';
		out[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
		return 2;
	}
	if (c < 0x20 || c == 0x7f) {
		out[0] = '\\';
		out[1] = 'x';
		out[2] = hex[c >> 4];
		out[3] = hex[c & 15];
		return 4;
	}
	out[0] = (char)c;
	return 1;
}

const char *opts_show(const char *s)
{
	static char ring[OPTS_SHOW_SLOTS][OPTS_SHOW_MAX * 4 + 48];
	static unsigned next;
	char *buf = ring[next++ % OPTS_SHOW_SLOTS];
	size_t n = 0, len;

	if (!s)
		return "(null)";
	len = strlen(s);
	for (size_t i = 0; i < len && i < OPTS_SHOW_MAX; i++)
		n += escape_byte((unsigned char)s[i], buf + n);
	if (len > OPTS_SHOW_MAX)
		n += (size_t)sprintf(buf + n, "...(%zu characters)", len);
	buf[n] = 0;
	return buf;
}

int opts_error(const char *fmt, ...)
{
	char msg[2048], esc[5];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Values reach here from the command line and from library messages
	 * that echo them: no control character reaches the terminal. */
	fputs("thpsim: error: ", stderr);
	for (const char *p = msg; *p; p++)
		fwrite(esc, 1, escape_byte((unsigned char)*p, esc), stderr);
	fputc('\n', stderr);
	return OPTS_USAGE;
}

unsigned opts_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0], tmp;

		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned best = diag + (a[i - 1] != b[j - 1]);

			tmp = row[j];
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = tmp;
		}
	}
	return row[lb];
}

bool opts_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	const char *p = s;

	if (!*p)
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		return false;
	if (*p == 'K' || *p == 'k')
		mult = 1000;
	else if (*p == 'M')
		mult = 1000000;
	else if (*p == 'G')
		mult = 1000000000;
	if (mult != 1)
		p++;
	if (*p)
		return false;
	if (v > UINT64_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}

static void list_choices(const char *const *c, FILE *out, const char *sep)
{
	for (int i = 0; c[i]; i++)
		fprintf(out, "%s%s", i ? sep : "", c[i]);
}

static const struct opt *find_opt(const struct cmd *cmd, const char *name,
				  size_t len)
{
	for (const struct opt *o = cmd->opts; o && o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	return NULL;
}

static int unknown_opt(const struct cmd *cmd, const char *arg)
{
	const char *best = NULL;
	unsigned bestd = 3;

	for (const struct opt *o = cmd->opts; o && o->name; o++) {
		unsigned d = opts_distance(arg + 2, o->name);

		if (d < bestd) {
			bestd = d;
			best = o->name;
		}
	}
	if (best)
		return opts_error("%s: unknown option '%s' (did you mean --%s?); see 'thpsim %s --help'",
				  cmd->name, opts_show(arg), best, cmd->name);
	return opts_error("%s: unknown option '%s'; see 'thpsim %s --help'",
			  cmd->name, opts_show(arg), cmd->name);
}

/* "a, b, c" into buf. */
static const char *join_choices(const char *const *c, const char *sep,
				char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; c[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					i ? sep : "", c[i]);
	return buf;
}

static int set_choice(const struct opt *o, const char *val)
{
	const char *best = NULL;
	unsigned bestd = 3;
	char allowed[512];

	for (int i = 0; o->choices[i]; i++) {
		unsigned d = opts_distance(val, o->choices[i]);

		if (!strcmp(val, o->choices[i])) {
			*(int *)o->dest = i;
			return OPTS_OK;
		}
		if (d < bestd) {
			bestd = d;
			best = o->choices[i];
		}
	}
	join_choices(o->choices, ", ", allowed, sizeof(allowed));
	if (best)
		return opts_error("--%s: unknown value '%s' (allowed: %s); did you mean '%s'?",
				  o->name, opts_show(val), allowed, best);
	return opts_error("--%s: unknown value '%s' (allowed: %s)", o->name,
			  opts_show(val), allowed);
}

static int set_value(const struct opt *o, const char *val)
{
	uint64_t v;

	switch (o->type) {
	case OPT_UINT:
		if (!opts_parse_u64(val, &v))
			return opts_error("--%s: '%s' is not a whole number (digits with an optional K, M or G suffix, at most %llu)",
					  o->name, opts_show(val), (unsigned long long)o->max);
		if (v < o->min || v > o->max)
			return opts_error("--%s: %s is out of range (allowed: %llu..%llu)",
					  o->name, opts_show(val),
					  (unsigned long long)o->min,
					  (unsigned long long)o->max);
		*(uint64_t *)o->dest = v;
		return OPTS_OK;
	case OPT_STRING:
		if (!*val)
			return opts_error("--%s: empty value", o->name);
		*(const char **)o->dest = val;
		return OPTS_OK;
	case OPT_CHOICE:
		return set_choice(o, val);
	case OPT_FLAG:
		break;
	}
	return opts_error("--%s: takes no value", o->name);
}

static int parse_long(const struct cmd *cmd, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
	const struct opt *o = find_opt(cmd, arg + 2, len);

	if (!o)
		return unknown_opt(cmd, arg);
	if (o->type == OPT_FLAG) {
		if (eq)
			return opts_error("--%s: takes no value (got '%s')",
					  o->name, opts_show(eq + 1));
		*(bool *)o->dest = true;
		return OPTS_OK;
	}
	if (eq)
		return set_value(o, eq + 1);
	if (*i + 1 >= argc)
		return opts_error("--%s: requires a value (%s)", o->name,
				  o->metavar ? o->metavar : "VALUE");
	/* "--trace --timeline" is a forgotten value, not a file name. */
	if (!strncmp(argv[*i + 1], "--", 2))
		return opts_error("--%s: requires a value (%s), got the option '%s' (write --%s=%s if that is the value)",
				  o->name, o->metavar ? o->metavar : "VALUE",
				  opts_show(argv[*i + 1]), o->name,
				  opts_show(argv[*i + 1]));
	return set_value(o, argv[++*i]);
}

int opts_parse(const struct cmd *cmd, int argc, char **argv,
	       const char **pos, int *nr_pos)
{
	bool only_positional = false;
	int n = 0;

	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		int err;

		if (only_positional)
			goto positional;
		if (!strcmp(arg, "--")) {	/* end of options */
			only_positional = true;
			continue;
		}
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			opts_help(cmd, stdout);
			return OPTS_HELP;
		}
		if (!strncmp(arg, "--", 2) && arg[2]) {
			err = parse_long(cmd, argc, argv, &i);
			if (err)
				return err;
			continue;
		}
		if (arg[0] == '-' && arg[1])
			return unknown_opt(cmd, arg);
positional:
		if (n >= cmd->max_positional)
			return opts_error("%s: unexpected argument '%s'; see 'thpsim %s --help'",
					  cmd->name, opts_show(arg), cmd->name);
		pos[n++] = arg;
	}
	if (nr_pos)
		*nr_pos = n;
	return OPTS_OK;
}

void opts_help(const struct cmd *cmd, FILE *out)
{
	fprintf(out, "usage: %s\n\n%s\n\n", cmd->usage, cmd->summary);
	for (const struct opt *o = cmd->opts; o && o->name; o++) {
		char left[64];

		if (o->type == OPT_FLAG)
			snprintf(left, sizeof(left), "--%s", o->name);
		else
			snprintf(left, sizeof(left), "--%s %s", o->name,
				 o->metavar ? o->metavar : "VALUE");
		fprintf(out, "    %-24s  %s", left, o->help);
		if (o->type == OPT_CHOICE) {
			fputs(" {", out);
			list_choices(o->choices, out, "|");
			fputc('}', out);
		}
		if (o->type == OPT_UINT)
			fprintf(out, " (%llu..%llu)",
				(unsigned long long)o->min,
				(unsigned long long)o->max);
		if (o->def)
			fprintf(out, " [default: %s]", o->def);
		fputc('\n', out);
	}
	fprintf(out, "    %-24s  %s\n", "-h, --help", "show this help");
}
