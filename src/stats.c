/* The process-wide counters (see stats.h). */
#include "stats.h"

struct stats stats;
