# bench/sipp/step.sh - sourced by the bench scripts: one sipp step against a SIP server on loopback and its numbers.
#
#   sipp_step DIR PORT SCENARIO USERS RATE CALLS LOCAL_PORT TIMEOUT
#
# Runs bench/sipp/SCENARIO from DIR (sipp writes its traces there) against 127.0.0.1:PORT for CALLS calls of the
# injection file USERS at RATE calls/s, from LOCAL_PORT (0: any free one; a fixed one keeps the Contact, which
# re-REGISTER needs), and gives up on it after TIMEOUT seconds. Prints "calls failed achieved/s p50 p99": failed is
# sipp's FailedCall count, or the calls that did not succeed when more ("?" when sipp wrote no statistics), achieved/s is calls divided by wall time, p50/p99 in ms
# from sipp's per-call response-time trace (1 ms resolution, "-" when there is none). What went wrong with a call is in
# DIR/errors.log.

sipp_step() {
  local dir=$1 port=$2 scenario="$bench_sipp_dir/$3" users=$4 rate=$5 calls=$6 local_port=$7 limit=$8
  mkdir -p "$dir"
  local start end failed p50 p99
  start=$(date +%s.%N)
  # timeout(1) on top of sipp's own -timeout: the step must end even if sipp hangs on a socket. sipp's socket buffers
  # are 64 KB unless told (-buff_size; the kernel caps it at net.core.rmem_max): at 4,000/s a stall of sipp's of 40 ms
  # overflowed that, the kernel dropped the answers, and sipp sent the requests again 0.5 and 1.5 s later, which set
  # the steps' p99s (bench/RESULTS.md, "4 M contacts again").
  (cd "$dir" && timeout -k 5 "$((limit + 5))" sipp "127.0.0.1:$port" -sf "$scenario" -inf "$users" -m "$calls" -r "$rate" \
      -i 127.0.0.1 -p "$local_port" -t u1 -nostdin -buff_size "$sipp_buffer" -timeout "${limit}s" -trace_rtt -rtt_freq 1 -trace_stat -fd 1 \
      -trace_err -error_file errors.log \
      >sipp.out 2>&1) || true
  end=$(date +%s.%N)
  # The last line of sipp's statistics, its cumulative columns found by name. A call neither successful nor failed
  # (sipp stopped by the timeout) counts as failed too.
  failed=$(awk -F';' -v n="$calls" 'NR==1 {for (i=1;i<=NF;i++) {if ($i=="FailedCall(C)") f=i; if ($i=="SuccessfulCall(C)") s=i}}
      END {if (!f || !s) {print "?"; exit} m=n-$s; print ($f > m ? $f : m)}' "$dir"/*_[0-9]*_.csv 2>/dev/null || echo "?")
  read -r p50 p99 < <(cat "$dir"/*_rtt.csv 2>/dev/null | awk -F';' '$2+0==$2 && NF>=2 {print $2}' | sort -n |
    awk '{v[NR]=$1} END {if (NR==0) {print "- -"; exit} a=int(NR*0.5)+1; b=int(NR*0.99)+1; if (a>NR) a=NR; if (b>NR) b=NR; printf "%.2f %.2f\n", v[a], v[b]}')
  awk -v n="$calls" -v f="$failed" -v s="$start" -v e="$end" -v p50="$p50" -v p99="$p99" 'BEGIN {printf "%d %s %.0f %s %s\n", n, f, n/(e-s), p50, p99}'
}

bench_sipp_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The socket buffers every sipp of the benches asks for (send and receive), in bytes.
sipp_buffer=4194304
