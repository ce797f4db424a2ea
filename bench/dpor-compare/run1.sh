#!/bin/bash
# run1.sh BIN TAG CAP SCEN PROF FIX  -> /tmp/cmp/TAG/SCEN.PROF.FIX.{json,set,time}
BIN=$1 TAG=$2 CAP=$3 S=$4 P=$5 F=$6
d=/tmp/cmp/$TAG; mkdir -p $d; b=$d/$S.$P.$F
s=$(date +%s.%N)
THPSIM_XLOG=$b.log $BIN explore $S --profile $P --fix $F --policy dpor --geometry 2x4 --iterations $CAP --format json --stats-interval 0 > $b.json 2>$b.err
e=$(date +%s.%N)
echo "$e - $s" | bc > $b.time
sort -u $b.log > $b.set; rm -f $b.log
