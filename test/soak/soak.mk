# make soak: 100,000 connections and 1 GiB through one echod process; see
# test/soak/soak.sh.  Not part of make test (it takes a minute or so).

.PHONY: soak

build/soak/churn: test/soak/churn.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARNINGS) $(WERROR) -O2 -pthread $(CFLAGS) \
	    -o $@ $< $(LDFLAGS)

soak: deps
	@$(MAKE) --no-print-directory echod build/soak/churn
	@bash test/soak/soak.sh
