#!/bin/sh
# bench/report.sh - run the benchmarks and regenerate docs/PERFORMANCE.md
# and docs/plots/*.svg from their JSON, in one command.
#
#   bench/report.sh [BUILD_DIR]          full run (under 10 minutes on the
#                                        2-core machine), then the report
#   bench/report.sh --json FILE          the report from an existing JSON
#   THPSIM_BENCH_FLAGS="--benchmark_min_time=0.01" bench/report.sh ...
#                                        extra flags for thpsim-bench
#
# Needs jq and gnuplot (Debian: jq, gnuplot-nox).  Output: docs/bench.json,
# docs/bench-cdf/*.csv, docs/plots/*.svg, docs/PERFORMANCE.md.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
docs="$src/docs"
json=""
build="$src/build/default"
if [ "${1:-}" = "--json" ]; then
	json=$2
else
	[ -n "${1:-}" ] && build=$1
fi

mkdir -p "$docs/plots" "$docs/bench-cdf"
if [ -z "$json" ]; then
	json="$docs/bench.json"
	bin="$build/bench/thpsim-bench"
	[ -x "$bin" ] || { echo "report.sh: no $bin (build first)" >&2; exit 2; }
	rm -f "$docs"/bench-cdf/*.csv
	# Three repetitions, randomly interleaved across benchmarks, so that
	# a strategy and the "none" it is subtracted from see the same load;
	# the report reads the medians.
	# shellcheck disable=SC2086
	THPSIM_BENCH_CDF_DIR="$docs/bench-cdf" "$bin" \
		--benchmark_out="$json" --benchmark_out_format=json \
		--benchmark_repetitions=3 \
		--benchmark_enable_random_interleaving=true \
		--benchmark_min_time=0.2 ${THPSIM_BENCH_FLAGS:-} ||
		echo "report.sh: some benchmarks reported errors (see the JSON);" \
			"reporting the rest" >&2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rq() {
	jq -r -f "$src/bench/report.jq" --arg what "$1" \
		--arg lscpu "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" \
		--arg cores "$(nproc)" --arg kernel "$(uname -r)" \
		--arg json "$(basename "$json")" "$json"
}

# ---- plot data -----------------------------------------------------------
rq ipi >"$tmp/ipi.dat"
rq disrupt >"$tmp/disrupt.dat"

gnuplot <<GP || echo "report.sh: a plot failed (missing data?)" >&2
set terminal svg size 800,500 dynamic background rgb 'white'
set datafile separator whitespace
set grid

set output '$docs/plots/ipi-roundtrip.svg'
set title 'B2: IPI round trip vs target CPUs (2-core machine; >1 target is oversubscribed)'
set xlabel 'target CPUs'
set ylabel 'round trip (us), log'
set logscale y
set xtics 1
set key outside right
plot for [i=0:*] '$tmp/ipi.dat' index i using 1:2 with linespoints title columnheader(1) noenhanced, \
     for [i=0:*] '$tmp/ipi.dat' index i using 1:3 with points pt 6 title 'p99' noenhanced
unset logscale y

set output '$docs/plots/walker-vs-collapse-rate.svg'
set title 'B4: GUP-fast throughput vs collapse rate (4x16)'
set xlabel 'collapses per second (0 = none)'
set ylabel 'million pages / s'
set xtics ('0' 0, '10' 1, '100' 2, '1000' 3)
plot for [i=0:*] '$tmp/disrupt.dat' index i using 1:2 with linespoints title columnheader(1) noenhanced
GP

# Collapse latency CDFs, one plot per profile (walkers: 1).
for p in arm64 ppc64-radix x86; do
	files=""
	for s in none ipi-sync fresh-table; do
		f="$docs/bench-cdf/collapse-$p-$s-w1.csv"
		[ -s "$f" ] && files="$files $f"
	done
	[ -n "$files" ] || continue
	plot=""
	for f in $files; do
		t=$(basename "$f" .csv | sed "s/^collapse-$p-//")
		plot="$plot${plot:+, }'$f' using (\$2/1000):4 with steps title '$t'"
	done
	gnuplot <<GP || echo "report.sh: the $p CDF plot failed" >&2
set terminal svg size 800,500 dynamic background rgb 'white'
set datafile separator ','
set grid
set output '$docs/plots/collapse-cdf-$p.svg'
set title 'B3: collapse latency CDF, $p, 1 concurrent walker (4x16)'
set xlabel 'collapse latency (us), log'
set ylabel 'fraction of collapses'
set logscale x
set key bottom right
plot $plot
GP
done

# ---- the report --------------------------------------------------------
{
	rq report
	cat "$src/bench/report-notes.md"
} >"$docs/PERFORMANCE.md"
echo "report.sh: wrote $docs/PERFORMANCE.md and $docs/plots/" >&2
