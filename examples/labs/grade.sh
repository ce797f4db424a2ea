#!/bin/sh
# grade.sh BUILD_DIR SET LAB_DIR [--expect full|partial]
#
# Runs every exercise's checker (built by examples/labs/CMakeLists.txt as
# BUILD_DIR/check_exN-SET) in a child process of its own, with a time
# limit, so a crash or a hang costs that one exercise.  Prints a score per
# exercise and the total.  Exit status: 0, or 1 when --expect is given
# and not met (full: every point; partial: not every point), 2 for bad
# usage.
set -u
usage() { echo "usage: grade.sh BUILD_DIR SET LAB_DIR [--expect full|partial]" >&2; exit 2; }
[ $# -eq 3 ] || [ $# -eq 5 ] || usage
build=$1 set=$2 dir=$3 expect=
if [ $# -eq 5 ]; then
	[ "$4" = --expect ] || usage
	case $5 in full|partial) expect=$5 ;; *) echo "grade.sh: --expect: '$5' (allowed: full, partial)" >&2; exit 2 ;; esac
fi
[ -d "$dir" ] || { echo "grade.sh: LAB_DIR '$dir' is not a folder" >&2; exit 2; }
limit=${LAB_TIME_LIMIT:-300}

# exercise, points, the checker's arguments
exercises="ex1:8:$dir/ex1-predict.txt ex2:35: ex3:6:$dir/ex3-break.txt ex4:11: ex5:10:"
got_all=0 max_all=0 table= unscored=0
for e in $exercises; do
	ex=${e%%:*} rest=${e#*:} max=${rest%%:*} arg=${rest#*:}
	bin=$build/check_$ex-$set
	echo "==== $ex ($set: $dir)"
	if [ ! -x "$bin" ]; then
		out="checker $bin not built"
		rc=127
	else
		out=$(timeout "$limit" "$bin" $arg 2>&1)
		rc=$?
	fi
	echo "$out"
	score=$(echo "$out" | sed -n "s/^score $ex \([0-9]*\)\/\([0-9]*\)$/\1 \2/p" | tail -n 1)
	got=0
	if [ -n "$score" ] && [ "$rc" -eq 0 ]; then
		got=${score% *}
		[ "${score#* }" = "$max" ] || echo "grade.sh: $ex reported a maximum of ${score#* }, expected $max" >&2
	else
		unscored=$((unscored + 1))
	fi
	if [ -n "$score" ] && [ "$rc" -eq 0 ]; then
		:
	elif [ "$rc" -eq 124 ]; then
		echo "$ex: no score: the checker ran past ${limit}s"
	elif [ "$rc" -gt 128 ]; then
		echo "$ex: no score: the checker died of signal $((rc - 128))"
	else
		echo "$ex: no score: the checker exited $rc"
	fi
	got_all=$((got_all + got)) max_all=$((max_all + max))
	table="$table$(printf '%-4s %3d/%d' "$ex" "$got" "$max")
"
done
echo "==== scores ($set)"
printf '%s' "$table"
echo "total $got_all/$max_all"
if [ -n "$expect" ] && [ "$unscored" -gt 0 ]; then
	echo "grade.sh: $unscored exercise(s) gave no score" >&2
	exit 1
fi
case $expect in
full) [ "$got_all" -eq "$max_all" ] || { echo "grade.sh: expected full marks" >&2; exit 1; } ;;
partial) [ "$got_all" -lt "$max_all" ] || { echo "grade.sh: expected less than full marks" >&2; exit 1; } ;;
esac
exit 0
