#!/usr/bin/env bash
# RTMP fan-out: one publisher at ~4 Mbit/s relayed to 100 and 500 players on
# loopback, through our `rtmp-server` and through nginx-rtmp, in the same run.
# For each server and player count it prints the server's CPU seconds
# (utime+stime from /proc/PID/stat, over the measured window) and peak RSS
# (VmHWM), in total and per player, and the bytes the players received.
#
#   bash benches/rtmp_fanout.sh                 # 100 and 500 players, 20 s each
#   PLAYERS="100" SECONDS_PER_RUN=10 bash benches/rtmp_fanout.sh
#
# Same publisher (ffmpeg -re, looping a 4 Mbit/s H.264+AAC FLV made here from
# testsrc2) and the same players (`rtmp-client play-many`: N connections in
# one process) for both servers. nginx runs one worker (master_process off);
# ours runs with OURS_THREADS runtime threads (default 1, like that worker).
set -euo pipefail
cd "$(dirname "$0")/.."

PLAYERS="${PLAYERS:-100 500}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-20}"
OURS_THREADS="${OURS_THREADS:-1}"
NGINX_MODULE=/usr/lib/nginx/modules/ngx_rtmp_module.so
for bin in ffmpeg nginx; do
  command -v "$bin" >/dev/null || { echo "needs $bin" >&2; exit 1; }
done
[ -f "$NGINX_MODULE" ] || { echo "needs libnginx-mod-rtmp" >&2; exit 1; }

TARGET="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p rtmp-tokio --example rtmp-server --example rtmp-client
SERVER_BIN="$TARGET/release/examples/rtmp-server"
CLIENT_BIN="$TARGET/release/examples/rtmp-client"

WORK="$(mktemp -d /tmp/rtmp-fanout.XXXXXX)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 0.3
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14 "," $15}' "/proc/$1/stat"; }
hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
TICKS=$(getconf CLK_TCK)

echo "making a 4 Mbit/s test stream (10 s, 1280x720 testsrc2 + AAC)..."
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 \
  -t 10 -c:v libx264 -preset ultrafast -tune zerolatency -g 60 \
  -b:v 3900k -minrate 3900k -maxrate 3900k -bufsize 3900k -x264-params nal-hrd=cbr \
  -c:a aac -b:a 96k -f flv "$WORK/stream.flv"
echo "stream: $(($(stat -c %s "$WORK/stream.flv") * 8 / 10 / 1000)) kbit/s"

start_ours() {
  "$SERVER_BIN" --listen "127.0.0.1:$1" --threads "$OURS_THREADS" >/dev/null 2>"$WORK/ours.log" &
  echo $!
}

start_nginx() {
  local dir="$WORK/nginx-$1"
  mkdir -p "$dir/logs"
  cat >"$dir/nginx.conf" <<CONF
load_module $NGINX_MODULE;
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 8192;
error_log $dir/error.log warn;
pid $dir/nginx.pid;
events { worker_connections 4096; }
rtmp { server { listen 127.0.0.1:$1; chunk_size 4096;
  application live { live on; record off; } } }
CONF
  nginx -c "$dir/nginx.conf" -p "$dir/" >/dev/null 2>"$dir/stderr.log" &
  echo $!
}

run() { # server-name start-fn players
  local name=$1 start=$2 n=$3 port pid pub
  port=$(free_port)
  pid=$($start "$port")
  PIDS+=("$pid")
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  local base_rss; base_rss=$(rss_kb "$pid")
  ffmpeg -hide_banner -loglevel error -re -stream_loop -1 -i "$WORK/stream.flv" -c copy \
    -f flv "rtmp://127.0.0.1:$port/live/bench" 2>"$WORK/pub-$name-$n.log" &
  pub=$!
  PIDS+=("$pub")
  sleep 2
  local t0; t0=$(cpu_ticks "$pid")
  local out
  out=$("$CLIENT_BIN" play-many "rtmp://127.0.0.1:$port/live/bench" "$n" --duration "$SECONDS_PER_RUN" 2>"$WORK/players-$name-$n.log")
  local t1; t1=$(cpu_ticks "$pid")
  local hwm; hwm=$(hwm_kb "$pid")
  kill "$pub" "$pid" 2>/dev/null || true
  wait "$pub" "$pid" 2>/dev/null || true
  local bytes failed
  bytes=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' <<<"$out")
  failed=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$out")
  python3 - "$name" "$n" "$t0" "$t1" "$TICKS" "$hwm" "$base_rss" "$bytes" "$failed" "$SECONDS_PER_RUN" <<'PY'
import sys
name, n, t0, t1, ticks, hwm, base, nbytes, failed, secs = sys.argv[1:]
(u0, s0), (u1, s1) = (map(int, t0.split(",")), map(int, t1.split(",")))
n = int(n); hwm = int(hwm); base = int(base)
user, system = (u1 - u0) / int(ticks), (s1 - s0) / int(ticks)
cpu = user + system
gb = int(nbytes) / 1e9
print(f"{name:6} players={n:4} failed={failed:>3} cpu={cpu:6.2f}s (user {user:.2f} sys {system:.2f}; {cpu / float(secs) * 100:4.1f}% of a core)"
      f" cpu/player={cpu / n * 1000:6.2f}ms cpu/GB={cpu / gb if gb else float('nan'):6.2f}s"
      f" peak_rss={hwm / 1024:7.1f}MiB rss/player={(hwm - base) / n:7.1f}KiB"
      f" delivered={gb:6.2f}GB ({int(nbytes) * 8 / n / float(secs) / 1e6:4.2f} Mbit/s per player)")
PY
}

echo "window: ${SECONDS_PER_RUN}s of playing per run; ours: --threads $OURS_THREADS; nginx: 1 worker"
for n in $PLAYERS; do
  run ours start_ours "$n"
  run nginx start_nginx "$n"
done
