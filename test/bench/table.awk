# table.awk - bench.sh's tables: medians of each scenario's runs per
# server, and echod's ratios to the yardsticks (naive, epoll) and of
# echod-b to echod.  Input: build/bench/results.txt, lines of key=value
# pairs ("server=echod name=pingpong-500 rep=1 scenario=pingpong ...").
# Variables: servers, scens (space-separated, in column and row order).

function median(n, s, k,    i, j, c, a, t) {
	c = 0
	for (i = 1; i <= runs[n, s]; i++)
		if ((n, s, k, i) in v)
			a[++c] = v[n, s, k, i] + 0
	if (c == 0)
		return ""
	for (i = 2; i <= c; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
}

function fmt(x) {
	if (x == "")
		return "-"
	x += 0
	if (x == int(x) || x >= 100 || x <= -100)
		return sprintf("%.0f", x)
	if (x >= 10 || x <= -10)
		return sprintf("%.1f", x)
	return sprintf("%.2f", x)
}

# a / b; nothing where it means little (a value at or below zero, as
# memory deltas near zero are), and ">100x" for one near zero.
function ratio(a, b) {
	if (a == "" || b == "" || a + 0 <= 0 || b + 0 <= 0)
		return ""
	if ((a + 0) / (b + 0) >= 100)
		return ">100x"
	return sprintf("%.2fx", (a + 0) / (b + 0))
}

# One row: LABEL, KEY (its median), DIV (a divisor), how: "ratio",
# "plain" (no ratios) or "sum" (errors: the total of every run).
function row(n, label, key, div, how,    i, s, m, line, e, r, y, cell) {
	line = "| " n " | " label " |"
	e = ""
	for (i = 1; i <= nsv; i++) {
		s = sv[i]
		if (!((n, s) in runs)) {
			cell = "-"
		} else if (how == "sum") {
			cell = sprintf("%d", errs[n, s] + 0)
			if (failed[n, s])
				cell = cell " (" failed[n, s] " runs failed)"
		} else if (s == "socat" && key ~ /^srv_/) {
			cell = "n/a"
			m = ""
		} else {
			m = median(n, s, key)
			if (m != "")
				m = m / div
			cell = fmt(m)
		}
		if (how != "sum")
			med[s] = (cell == "n/a") ? "" : m
		line = line " " cell " |"
	}
	if (how != "ratio") {
		line = line " |"
		if (has_b)
			line = line " |"
		print line
		return
	}
	r = ""
	split("naive epoll", ys, " ")
	for (i = 1; i <= 2; i++) {
		y = ratio(med["echod"], med[ys[i]])
		if (y != "")
			r = r (r == "" ? "" : ", ") y " " ys[i]
	}
	line = line " " r " |"
	if (has_b)
		line = line " " ratio(med["echod-b"], med["echod"]) " |"
	print line
	delete med
}

function header(what,    i, line, sep) {
	line = "| scenario | " what " |"
	sep = "| --- | --- |"
	for (i = 1; i <= nsv; i++) {
		line = line " " sv[i] " |"
		sep = sep " ---: |"
	}
	line = line " echod vs yardsticks |"
	sep = sep " --- |"
	if (has_b) {
		line = line " echod-b / echod |"
		sep = sep " --- |"
	}
	print line
	print sep
}

{
	delete kv
	for (i = 1; i <= NF; i++) {
		p = index($i, "=")
		if (p > 1)
			kv[substr($i, 1, p - 1)] = substr($i, p + 1)
	}
	n = kv["name"]
	s = kv["server"]
	r = ++runs[n, s]
	if ("failed" in kv) {
		failed[n, s]++
		next
	}
	for (k in kv)
		v[n, s, k, r] = kv[k]
	errs[n, s] += kv["errors"]
}

END {
	LAT = "p50 us=p50_us=ratio;p99 us=p99_us=ratio"
	nsv = split(servers, sv, " ")
	nsc = split(scens, sc, " ")
	for (i = 1; i <= nsv; i++)
		if (sv[i] == "echod-b")
			has_b = 1
		else if (sv[i] == "socat")
			has_socat = 1

	# Each family's rows: "label=key=how" separated by ";".
	rows["stream"] = "MB/s=mb_per_s=ratio"
	rows["pingpong"] = "msgs/s=msgs_per_s=ratio;" LAT \
	    ";p99.9 us=p999_us=ratio;max us=max_us=ratio" \
	    ";first message max us=first_max_us=ratio"
	rows["churn"] = "connections/s=conns_per_s=ratio;" LAT
	rows["hold"] = "served=served=plain;ramp s=ramp_s=ratio;" LAT ";max us=max_us=ratio"
	header("metric (higher is better: /s; lower: us)")
	for (j = 1; j <= nsc; j++) {
		n = sc[j]
		f = n
		sub(/-.*/, "", f)
		nr = split(rows[f], rs, ";")
		for (i = 1; i <= nr; i++) {
			split(rs[i], part, "=")
			row(n, part[1], part[2], 1, part[3])
		}
		row(n, "errors (all runs)", "errors", 1, "sum")
	}

	holds = 0
	for (j = 1; j <= nsc; j++)
		if (sc[j] ~ /^hold/)
			holds++
	if (!holds)
		exit
	print ""
	print "Memory while every connection is held (per connection: the" \
	    " change from before the first connect to all connected, divided" \
	    " by the connections; system figures count both ends' kernel" \
	    " state and all of the machine, so other load shows in them):"
	print ""
	header("memory (lower is better)")
	for (j = 1; j <= nsc; j++) {
		n = sc[j]
		if (n !~ /^hold/)
			continue
		row(n, "server RSS KiB/conn", "srv_rss_per_conn_b", 1024, "ratio")
		row(n, "MemAvailable drop KiB/conn", "sys_avail_per_conn_b", \
		    1024, "ratio")
		row(n, "KernelStack KiB/conn", "sys_kstack_per_conn_b", 1024, \
		    "ratio")
		row(n, "Slab KiB/conn", "sys_slab_per_conn_b", 1024, "ratio")
		row(n, "PageTables KiB/conn", "sys_pt_per_conn_b", 1024, "ratio")
		row(n, "server peak RSS MiB", "srv_rss_kb_peak", 1024, "ratio")
		row(n, "server peak threads", "srv_threads_peak", 1, "ratio")
	}
	if (!has_socat)
		exit
	print ""
	print "socat forks a process per connection: its RSS and threads (one" \
	    " process's) are n/a; its system figures count them all."
}
