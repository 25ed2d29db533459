/* Runs every unit test group; exits nonzero if any test failed. */
#include "unit.h"

int
main(void)
{
	int failed = 0;

	failed += run_units_tests();
	failed += run_config_tests();
	failed += run_addr_tests();
	failed += run_talk_tests();
	failed += run_log_tests();
	failed += run_acl_tests();
	failed += run_clock_tests();
	failed += run_budget_tests();
	failed += run_srctab_tests();
	failed += run_proto_tests();
	failed += run_proxy_tests();
	failed += run_relay_tests();
	failed += run_udp_tests();
	return failed != 0;
}
