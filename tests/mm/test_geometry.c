/*
 * test_geometry.c - parsing and validating page-table geometries, and the
 * shifts derived from them.
 */
#include "thpsim/mm.h"
#include "../machine/machine_test.h"

Test(geometry, parse_accepts, .timeout = 60)
{
	static const struct {
		const char *s;
		unsigned levels, entries;
	} ok[] = {
		{ "2x4", 2, 4 },     { "2x8", 2, 8 },     { "3x16", 3, 16 },
		{ "3x64", 3, 64 },   { "4x512", 4, 512 }, { "5x512", 5, 512 },
		{ "5x4", 5, 4 },     { "4x256", 4, 256 }, { "2x512", 2, 512 },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		thpsim_geometry_t g = { 0, 0, 0 };

		cr_assert(thpsim_geometry_parse(ok[i].s, &g) == 0,
			  "'%s' rejected: %s", ok[i].s, thpsim_errmsg());
		check_eq(g.levels, ok[i].levels);
		check_eq(g.entries, ok[i].entries);
		check_eq(g.page_shift, 12);
		check_ok(thpsim_geometry_validate(&g));
	}
}

Test(geometry, parse_rejects, .timeout = 60)
{
	static const char *const bad[] = {
		"4x", "x4", "4x513", "6x512", "4x512junk", "", "x", "4",
		"1x4", "4x2", "4x3", "4x1024", "4x0", "0x4", " 4x512",
		"4x512 ", "4 x512", "+4x512", "4x-512", "04x512", "4x0512",
		"4X512", "4x5x12", "99999999999999999999x4",
		"4x99999999999999999999", "4294967298x4", "4x4294967300",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		thpsim_geometry_t g = { 7, 7, 7 };
		int err = thpsim_geometry_parse(bad[i], &g);

		cr_assert(err == -THPSIM_EINVAL, "'%s' gave %d (%s), expected EINVAL",
			  bad[i], err, thpsim_err_name(err));
		cr_assert(thpsim_errmsg()[0], "'%s': no message", bad[i]);
		/* A rejected string leaves the output alone. */
		check_eq(g.levels, 7);
		check_eq(g.entries, 7);
	}
	check_err(thpsim_geometry_parse(NULL, NULL), -THPSIM_EINVAL);
}

Test(geometry, messages_name_the_value, .timeout = 60)
{
	thpsim_geometry_t g;

	check_err(thpsim_geometry_parse("4x513", &g), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "513");
	check_contains(thpsim_errmsg(), "4..512");
	check_err(thpsim_geometry_parse("6x512", &g), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "levels 6");
	check_contains(thpsim_errmsg(), "2..5");
	check_err(thpsim_geometry_parse("4x512junk", &g), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "junk");
	check_err(thpsim_geometry_parse("4x", &g), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "'4x'");

	g = (thpsim_geometry_t){ 4, 512, 6 };
	check_err(thpsim_geometry_validate(&g), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "512 entries");
	g = (thpsim_geometry_t){ 4, 512, 17 };
	check_err(thpsim_geometry_validate(&g), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "page_shift 17");
	g = (thpsim_geometry_t){ 1, 512, 12 };
	check_err(thpsim_geometry_validate(&g), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "levels 1");
	g = (thpsim_geometry_t){ 3, 48, 12 };
	check_err(thpsim_geometry_validate(&g), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "entries 48");
	/* 8 entries of 8 bytes fill a 64-byte page exactly; 16 do not fit. */
	g = (thpsim_geometry_t){ 2, 8, 6 };
	check_ok(thpsim_geometry_validate(&g));
	g = (thpsim_geometry_t){ 2, 16, 6 };
	check_err(thpsim_geometry_validate(&g), -THPSIM_EINVAL);
	check_err(thpsim_geometry_validate(NULL), -THPSIM_EINVAL);
}

Test(geometry, derived_shifts, .timeout = 60)
{
	thpsim_geometry_t g;

	thpsim_geometry_default(&g);
	check_eq(g.levels, 4);
	check_eq(g.entries, 512);
	check_eq(g.page_shift, 12);
	check_eq(thpsim_geometry_level_shift(&g, 1), 12);
	check_eq(thpsim_geometry_level_shift(&g, 2), 21);
	check_eq(thpsim_geometry_level_shift(&g, 3), 30);
	check_eq(thpsim_geometry_level_shift(&g, 4), 39);
	check_eq(thpsim_geometry_level_shift(&g, 5), 48);
	check_eq(thpsim_geometry_level_shift(&g, 6), 0);
	check_eq(thpsim_geometry_level_shift(&g, 0), 0);
	check_eq(thpsim_geometry_hpage_size(&g), 2u << 20);
	check_eq(thpsim_geometry_va_size(&g), UINT64_C(1) << 48);

	check_ok(thpsim_geometry_parse("2x4", &g));
	check_eq(thpsim_geometry_level_shift(&g, 1), 12);
	check_eq(thpsim_geometry_level_shift(&g, 2), 14);
	check_eq(thpsim_geometry_level_shift(&g, 3), 16);
	check_eq(thpsim_geometry_hpage_size(&g), 16384);
	check_eq(thpsim_geometry_va_size(&g), 65536);

	check_ok(thpsim_geometry_parse("5x512", &g));
	check_eq(thpsim_geometry_va_size(&g), UINT64_C(1) << 57);
	g.page_shift = 16;
	g.entries = 64;
	check_eq(thpsim_geometry_level_shift(&g, 2), 22);
	check_eq(thpsim_geometry_va_size(&g), UINT64_C(1) << 46);

	g.levels = 9;
	check_eq(thpsim_geometry_hpage_size(&g), 0);
	check_eq(thpsim_geometry_va_size(&g), 0);
}
