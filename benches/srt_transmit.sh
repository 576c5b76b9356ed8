#!/usr/bin/env bash
# Relays the same UDP load through srt-transmit (ours, release build) and
# through libsrt's srt-live-transmit on loopback:
#
#   udp-load send -> transmit (udp in, SRT caller) -> transmit (SRT listener, udp out) -> udp-load recv
#
# at 100, 500 and 1000 Mbit/s, and prints side by side: the delivered rate,
# CPU seconds per GB delivered (on-CPU time of both transmit processes, all
# threads, from /proc/PID/task/*/schedstat) and the peak RSS (VmHWM) of each
# transmit process. Ours runs twice per point: with batched datagram I/O
# (recvmmsg, GRO, GSO: the default) and with SRT_UDP_BATCH=0 (one datagram
# per system call), so the difference is measured in the same run.
#
# usage: benches/srt_transmit.sh [SECONDS] [RATES...]
#   SECONDS  length of each run (default 10)
#   RATES    Mbit/s (default: 100 500 1000 1000+buf). A rate with "+buf"
#            gives both tools' SRT URIs rcvbuf=40000000&fc=32000: the
#            default receiver buffer (8192 packets) holds less than the
#            120 ms latency window above ~700 Mbit/s (delivery then
#            degrades to what the buffer allows; it once stopped).
# At 1000 Mbit/s offered, the default maxbw (libsrt's BW_INFINITE, 1 Gbit/s
# counting 44 header bytes a packet) gives a period of 10.88 us that both
# tools cut to 10 us (libsrt keeps its send interval in whole microseconds):
# up to 1052.8 Mbit/s of 1316-byte payload. The caller's memory is its send
# buffer: packets in flight until acknowledged (tens of ms when the four
# processes share 2 cores).
# Both tools' UDP input gets the same SO_RCVBUF (rcvbuf=12288000, the
# default srt-transmit asks for; srt-live-transmit otherwise keeps the
# kernel's ~208 KiB and drops input bursts before SRT sees them).
# The sink (udp-load recv) asks for a 32 MiB SO_RCVBUF (capped at
# net.core.rmem_max) so its own queue does not drop what was delivered.
# Environment: CARGO_TARGET_DIR (default target), SRT_LIVE_TRANSMIT
# (default srt-live-transmit), SKIP_BUILD=1 to use existing binaries,
# REPEAT=N to run every point N times (default 1; each run is one row).
set -euo pipefail

cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
shift || true
RATES=("${@:-}")
[[ -z "${RATES[0]}" ]] && RATES=(100 500 1000 1000+buf)
REPEAT=${REPEAT:-1}
TARGET=${CARGO_TARGET_DIR:-target}
LIBSRT=${SRT_LIVE_TRANSMIT:-srt-live-transmit}
OURS="$TARGET/release/examples/srt-transmit"
LOAD="$TARGET/release/examples/udp-load"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release -p srt-tokio --example srt-transmit --example udp-load >&2
fi
command -v "$LIBSRT" >/dev/null || { echo "$LIBSRT not found" >&2; exit 1; }
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [[ -n "$p" ]] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# On-CPU time of all threads of a process, nanoseconds.
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'; }
# Peak RSS, kB.
peak_rss() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }

# run IMPL RATE -> "delivered_mbit cpu_s_per_gb caller_rss_kb listener_rss_kb loss_percent"
# IMPL: ours (batched), plain (ours, SRT_UDP_BATCH=0) or libsrt.
run() {
    local impl=$1 rate=${2%+buf} bin batch=1 srt_opts=""
    [[ $2 == *+buf ]] && srt_opts="&rcvbuf=40000000&fc=32000"
    local in_port srt_port out_port
    in_port=$(free_port); srt_port=$(free_port); out_port=$(free_port)
    local sink_log; sink_log=$(mktemp)
    local send_log; send_log=$(mktemp)
    local extra=()
    case $impl in
        ours) bin=$OURS ;;
        plain) bin=$OURS; batch=0 ;;
        libsrt) bin=$LIBSRT; extra=(-a:no) ;;
    esac

    "$LOAD" recv "127.0.0.1:$out_port" "$((SECONDS_PER_RUN + 5))" >"$sink_log" &
    local sink=$!
    SRT_UDP_BATCH=$batch "$bin" "${extra[@]}" "srt://:$srt_port?mode=listener$srt_opts" "udp://127.0.0.1:$out_port" >/dev/null 2>&1 &
    local listener=$!
    sleep 0.3
    SRT_UDP_BATCH=$batch "$bin" "${extra[@]}" "udp://127.0.0.1:$in_port?rcvbuf=12288000" "srt://127.0.0.1:$srt_port?mode=caller$srt_opts" >/dev/null 2>&1 &
    local caller=$!
    PIDS=("$sink" "$listener" "$caller")
    sleep 1
    "$LOAD" send "127.0.0.1:$in_port" "$rate" "$SECONDS_PER_RUN" >"$send_log"
    # Let the latency window (120 ms) and retransmissions drain.
    sleep 1
    local ns rss_c rss_l
    ns=$(( $(cpu_ns "$caller") + $(cpu_ns "$listener") ))
    rss_c=$(peak_rss "$caller"); rss_l=$(peak_rss "$listener")
    kill "$caller" "$listener" 2>/dev/null || true
    wait "$sink" 2>/dev/null || true
    wait "$caller" "$listener" 2>/dev/null || true
    PIDS=()
    local sent_bytes recv_bytes
    sent_bytes=$(awk '{ print $3 }' "$send_log")
    recv_bytes=$(awk '{ print $3 }' "$sink_log")
    rm -f "$sink_log" "$send_log"
    awk -v rb="$recv_bytes" -v sb="$sent_bytes" -v t="$SECONDS_PER_RUN" -v ns="$ns" \
        -v rc="$rss_c" -v rl="$rss_l" 'BEGIN {
        cpu = ns / 1e9
        gb = rb / 1e9
        printf "%.1f %s %d %d %.2f\n", rb * 8 / t / 1e6, (gb > 0 ? sprintf("%.2f", cpu / gb) : "inf"),
            rc / 1024, rl / 1024, (sb > 0 ? 100 * (sb - rb) / sb : 0)
    }'
}

cell() { printf "%7s %6s %6s %7s" "$1" "$2" "$3" "$4/$5"; }

echo "# $SECONDS_PER_RUN s per run, 1316-byte datagrams, loopback; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-8s | %-29s | %-29s | %-29s\n" "" "srt-transmit, batched I/O" "srt-transmit, SRT_UDP_BATCH=0" \
    "srt-live-transmit $("$LIBSRT" -version 2>&1 | grep -o '[0-9]\+\.[0-9]\+\.[0-9]\+' | head -1)"
head="$(printf "%7s %6s %6s %7s" "Mbit/s" "loss%" "s/GB" "MiB c/l")"
printf "%-8s | %s | %s | %s\n" "offer" "$head" "$head" "$head"
for rate in "${RATES[@]}"; do
    for _ in $(seq "$REPEAT"); do
        read -r o_rate o_cpu o_rc o_rl o_loss <<<"$(run ours "$rate")"
        read -r p_rate p_cpu p_rc p_rl p_loss <<<"$(run plain "$rate")"
        read -r l_rate l_cpu l_rc l_rl l_loss <<<"$(run libsrt "$rate")"
        printf "%-8s | %s | %s | %s\n" "$rate" \
            "$(cell "$o_rate" "$o_loss" "$o_cpu" "$o_rc" "$o_rl")" \
            "$(cell "$p_rate" "$p_loss" "$p_cpu" "$p_rc" "$p_rl")" \
            "$(cell "$l_rate" "$l_loss" "$l_cpu" "$l_rc" "$l_rl")"
    done
done
echo "# Mbit/s: payload delivered at the sink over the run; loss%: datagrams sent but not delivered;"
echo "# s/GB: on-CPU seconds of both transmit processes (all threads) per GB delivered;"
echo "# MiB c/l: peak RSS (VmHWM) of the caller / listener process."
