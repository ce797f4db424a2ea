#!/bin/bash
# fidelity-sweep.sh - the model never reports a violation the kernel cannot
# have, under any interleaving it explores, and finds every one it should.
#
# For every catalogue scenario x profile x fix (and S4/S5 again without the
# GUP-fast pmd recheck), at geometry 2x4:
#   - the scripted outcome (thpsim run);
#   - random exploration, SEEDS seeds x ITER schedules each;
#   - DFS with at most PREEMPT preemptions (every schedule within the bound).
# A cell fails when its scripted outcome is not a violation but exploration
# finds one that tests/lab/explore-expected.txt does not list for it (each
# line there is a real violation the script's single interleaving misses,
# argued from the kernel), when a listed one is not found (full mode only),
# or when the script finds a violation that no exploration reproduces
# (class for class).
#
# usage: tests/lab/fidelity-sweep.sh THPSIM [--quick] [--jobs N] [--csv FILE]
#   --quick    1 seed x 1000 schedules, DFS with 1 preemption (CI: seconds)
#   default    3 seeds x 10000 schedules, DFS with 2 preemptions
# Exit status: 0 every cell agrees, 1 some cell does not, 2 bad usage.
set -eu

usage() {
	echo "usage: $0 THPSIM [--quick] [--jobs N] [--csv FILE]" >&2
	exit 2
}

[ $# -ge 1 ] || usage
THPSIM=$1
shift
[ -x "$THPSIM" ] || { echo "$0: '$THPSIM' is not an executable" >&2; exit 2; }
SEEDS="1 2 3"
QUICK=""
EXPECTED=$(dirname "$0")/explore-expected.txt
ITER=10000
PREEMPT=2
JOBS=2
CSV=""
while [ $# -gt 0 ]; do
	case $1 in
	--quick) SEEDS="1"; ITER=1000; PREEMPT=1; QUICK=1 ;;
	--jobs) [ $# -ge 2 ] || usage; JOBS=$2; shift ;;
	--csv) [ $# -ge 2 ] || usage; CSV=$2; shift ;;
	*) echo "$0: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
case $JOBS in ''|*[!0-9]*) echo "$0: --jobs '$JOBS' is not a count" >&2; exit 2 ;; esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM HUP

scenarios=$("$THPSIM" list | sed -n 's/^  \(S[0-9][0-9]*\) .*/\1/p')
profiles=$("$THPSIM" list | sed -n '/^profiles/,/^knobs/s/^  \([a-z0-9-][a-z0-9-]*\)  .*/\1/p')
fixes=$("$THPSIM" list | sed -n '/^fixes/,/^profiles/s/^  \([a-z0-9-][a-z0-9-]*\)  .*/\1/p')

for s in $scenarios; do
	for p in $profiles; do
		for f in $fixes; do
			echo "$s $p $f -"
			case $s in S4|S5) echo "$s $p $f --no-pmd-recheck" ;; esac
		done
	done
done > "$tmp/cells"

# One cell: scenario profile fix knob -> a CSV line.
cell() {
	s=$1 p=$2 f=$3 k=$4
	[ "$k" = "-" ] && k=""
	common="$s --profile $p --fix $f --geometry 2x4 $k"
	# shellcheck disable=SC2086
	scripted=$("$THPSIM" run $common | sed -n 's/^outcome: \([A-Z-]*\).*/\1/p')
	found=""
	runs=0
	for seed in $SEEDS; do
		# shellcheck disable=SC2086
		out=$("$THPSIM" explore $common --policy random --iterations "$ITER" --seed "$seed" || true)
		found="$found $(echo "$out" | classes)"
		runs=$((runs + $(echo "$out" | sed -n 's/^schedules run: \([0-9]*\).*/\1/p')))
	done
	# shellcheck disable=SC2086
	out=$("$THPSIM" explore $common --policy dfs --preemptions "$PREEMPT" || true)
	dfs_found=$(echo "$out" | classes)
	dfs_runs=$(echo "$out" | sed -n 's/^schedules run: \([0-9]*\).*/\1/p')
	all=$(echo $found $dfs_found | tr ' ' '\n' | sort -u | tr '\n' ' ' | sed 's/ $//')
	verdict=ok
	allowed=$(expected "$s" "$p" "$f" "${k:-default}")
	if is_violation "$scripted"; then
		echo " $all " | grep -q " $scripted " || verdict=MISSED
	else
		for c in $all; do
			echo " $allowed " | grep -q " $c " || verdict=FALSE-VIOLATION
		done
		if [ "$verdict" = ok ] && [ -n "$allowed" ]; then
			verdict=ok-real
			[ "$QUICK" ] || for c in $allowed; do
				echo " $all " | grep -q " $c " || verdict=EXPECTED-NOT-FOUND
			done
		fi
	fi
	echo "$s,$p,$f,${k:-default},$scripted,$runs,$dfs_runs,${all:-none},$verdict"
}

# The violation classes explore-expected.txt lists for a cell ('*' matches
# any profile or fix).
expected() {
	awk -v s="$1" -v p="$2" -v f="$3" -v k="$4" '
		/^#/ || NF < 5 { next }
		$1 == s && ($2 == p || $2 == "*") && ($3 == f || $3 == "*") && $4 == k {
			n = split($5, c, ",")
			for (i = 1; i <= n; i++) printf "%s ", c[i]
		}' "$EXPECTED"
}

# The violation classes an explore output lists under "outcomes:".
classes() {
	sed -n '/^outcomes:/,/^[a-z]/s/^  \([A-Z-]*\) .*/\1/p' |
		while read -r c; do is_violation "$c" && echo "$c"; done | tr '\n' ' '
}

is_violation() {
	case $1 in DEADLOCK|UAF|GARBAGE|CORRUPTION|WRONG-ADDR|STALE-PIN) return 0 ;; esac
	return 1
}


i=0
while read -r s p f k; do
	i=$((i + 1))
	cell "$s" "$p" "$f" "$k" > "$tmp/out.$(printf %05d $i)" &
	# at most JOBS cells at a time
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
done < "$tmp/cells"
wait

{
	echo "scenario,profile,fix,knobs,scripted,random_schedules,dfs_schedules,violations_found,verdict"
	cat "$tmp"/out.*
} > "$tmp/all.csv"
[ -n "$CSV" ] && cp "$tmp/all.csv" "$CSV"
bad=$(grep -c -v -E ',ok(-real)?$' "$tmp/all.csv" || true)
bad=$((bad - 1))	# the header
cells=$(($(wc -l < "$tmp/all.csv") - 1))
grep -v -E ',ok(-real)?$' "$tmp/all.csv" | sed 1d | sed 's/^/  /'
real=$(grep -c ',ok-real$' "$tmp/all.csv" || true)
echo "  ($real cells: scripted safe, exploration finds a real violation listed in $EXPECTED)" 
echo "fidelity sweep: $cells cells (seeds: $SEEDS; $ITER schedules each; dfs --preemptions $PREEMPT): $bad disagree"
[ "$bad" -eq 0 ]
