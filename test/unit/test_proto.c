/* Unit tests for proto.c: the table of protocols, by name. */
#include "unit.h"

#include "echo.h"
#include "proto.h"
#include "talk.h"

static void
find_by_exact_name(void **state)
{
	(void)state;
	assert_ptr_equal(proto_find("echo")->session, echo_session);
	assert_ptr_equal(proto_find("talk")->session, talk_session);
	assert_string_equal(proto_find("talk")->name, "talk");
	assert_null(proto_find("chat"));
	assert_null(proto_find(""));
	assert_null(proto_find("ECHO"));
	assert_null(proto_find("echo "));
}

static void
default_is_echo(void **state)
{
	(void)state;
	assert_ptr_equal(proto_default(), proto_find("echo"));
}

/*
 * Every name listed is a protocol, once, with sep between two and last
 * only before the last: whatever the table holds.
 */
static void
names_list_each_once(void **state)
{
	(void)state;
	char buf[256], *p, *end, sep = '\0';
	const struct proto *seen[16];
	size_t n = 0, i;

	proto_names(buf, sizeof(buf), "|", "/");
	assert_non_null(strstr(buf, "echo"));
	assert_non_null(strstr(buf, "talk"));
	for (p = buf; p != NULL; p = end) {
		if ((end = strpbrk(p, "|/")) != NULL) {
			/* "/" comes before the last name only. */
			assert_true(*end == '|' || strpbrk(end + 1, "|/") ==
			    NULL);
			sep = *end;
			*end++ = '\0';
		}
		assert_true(n < sizeof(seen) / sizeof(seen[0]));
		assert_non_null(seen[n] = proto_find(p));
		assert_non_null(seen[n]->session);
		for (i = 0; i < n; i++)
			assert_ptr_not_equal(seen[i], seen[n]);
		n++;
	}
	assert_true(n >= 2);
	assert_int_equal(sep, '/');
}

static void
names_cut_to_the_buffer(void **state)
{
	(void)state;
	char buf[6] = "xxxxx";

	proto_names(buf, sizeof(buf), ", ", ", ");
	assert_string_equal(buf, "echo,");
	proto_names(buf, 1, ", ", ", ");
	assert_string_equal(buf, "");
}

int
run_proto_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(find_by_exact_name),
		cmocka_unit_test(default_is_echo),
		cmocka_unit_test(names_list_each_once),
		cmocka_unit_test(names_cut_to_the_buffer),
	};

	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
