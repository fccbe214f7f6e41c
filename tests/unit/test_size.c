/* Sizes as sporectl's options take them and print them (controller/units/). */
#include "size.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "tap.h"

static int size_of(const char *s, uint64_t *out)
{
	*out = 0;
	return spore_size_parse(s, 0, out);
}

static void sizes(void)
{
	uint64_t v;

	is_int(size_of("1048576", &v), 0, "plain bytes parse");
	is_int(v, 1048576, "plain bytes are bytes");
	ok(size_of("512m", &v) == 0 && v == 512ull << 20, "512m is 512 MiB");
	ok(size_of("1g", &v) == 0 && v == 1ull << 30, "1g is 1 GiB");
	ok(size_of("10G", &v) == 0 && v == 10ull << 30, "10G is 10 GiB (any case)");
	ok(size_of("64k", &v) == 0 && v == 64ull << 10, "k");
	ok(size_of("2t", &v) == 0 && v == 2ull << 40, "t");
	ok(size_of("1p", &v) == 0 && v == 1ull << 50, "p");
	ok(size_of("100b", &v) == 0 && v == 100, "b is bytes");
	ok(size_of("1GB", &v) == 0 && v == 1ull << 30 && size_of("1GiB", &v) == 0 && v == 1ull << 30 &&
		   size_of("3mib", &v) == 0 && v == 3ull << 20,
	   "GB, GiB and mib: powers of 1024 all, as docker's units");
	ok(size_of("1.5g", &v) == 0 && v == 3ull << 29, "a fraction: 1.5g");
	ok(size_of("0.1k", &v) == 0 && v == 103, "fractions of a byte round up (102.4 -> 103)");
	ok(size_of("1.0000000000000000000001", &v) == 0 && v == 2,
	   "digits past what is kept still round up");
	ok(size_of("18446744073709551615", &v) == 0 && v == UINT64_MAX, "UINT64_MAX bytes");
	is_int(size_of("18446744073709551616", &v), -ERANGE, "one more is out of range");
	is_int(size_of("16384p", &v), -ERANGE, "so is 2^64 with a unit");
	is_int(size_of("99999999999999999999999g", &v), -ERANGE, "and many digits");
	static const char *const bad[] = {"",     "g",    "-1g", "+1g",  " 1g", "1g ", "1 g",
					  "1.g",  ".5g",  "1x",  "1gg",  "1bb", "1ib", "1kibb",
					  "0x10", "1e3",  "inf", "1,5g", "1..5g"};
	int nbad = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = size_of(bad[i], &v);
		if (r != -EINVAL) {
			printf("#   '%s' gave %d\n", bad[i], r);
			nbad++;
		}
	}
	is_int(nbad, 0, "malformed sizes are -EINVAL (signs, spaces, junk, hex, exponents)");
	is_int(spore_size_parse(NULL, 0, &v), -EINVAL, "NULL is -EINVAL");
}

static void formats(void)
{
	char b[32];

	spore_size_format(1ull << 30, b, sizeof(b));
	is_str(b, "1 GiB", "1 GiB");
	spore_size_format(3ull << 29, b, sizeof(b));
	is_str(b, "1.5 GiB", "1.5 GiB");
	spore_size_format(512ull << 20, b, sizeof(b));
	is_str(b, "512 MiB", "512 MiB");
	spore_size_format(4096, b, sizeof(b));
	is_str(b, "4 KiB", "4 KiB");
	spore_size_format(1000, b, sizeof(b));
	is_str(b, "1000 B", "bytes below 1 KiB");
	spore_size_format(0, b, sizeof(b));
	is_str(b, "0 B", "zero");
	spore_size_format(UINT64_MAX, b, sizeof(b));
	is_str(b, "16.0 EiB", "the largest");
}

static void bare_units(void)
{
	uint64_t v = 0;

	ok(spore_size_parse("512", 20, &v) == 0 && v == 512ull << 20,
	   "a bare number takes the caller's unit (MiB for -m)");
	ok(spore_size_parse("1.5", 20, &v) == 0 && v == 3ull << 19, "a bare fraction too");
	ok(spore_size_parse("512m", 20, &v) == 0 && v == 512ull << 20 &&
		   spore_size_parse("1g", 20, &v) == 0 && v == 1ull << 30 &&
		   spore_size_parse("4096b", 20, &v) == 0 && v == 4096,
	   "a unit overrides it (b is bytes even where bare means MiB)");
	is_int(spore_size_parse("1", 51, &v), -EINVAL, "a bare unit above 2^50 is refused");
}


int main(void)
{
	sizes();
	bare_units();
	formats();
	return tap_done();
}
