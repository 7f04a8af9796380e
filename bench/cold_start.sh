#!/usr/bin/env bash
# Cold start: milliseconds from exec of `parley all` to its first 200 on GET /healthz, in the
# embedded default of `make run` (SQLite file under ./var of a fresh working folder, migrations
# applied at start by PARLEY_AUTO_MIGRATE's SQLite default, development settings, a JWT key
# generated at start). Two cases, each over several runs:
#   existing  a folder whose database `parley migrate` prepared once: start-up only checks it
#             (the usual restart; the figure issue 10 tracks);
#   fresh     an empty folder every run: the database is created and migrated during start-up.
# "Cold" is the process, not the page cache: the binary and its libraries are usually cached.
# Polls by connecting every 0.2 ms with a raw socket (a refused connect() costs microseconds);
# the clock starts just before the fork/exec. Prints min / median / max and every run, in ms.
#
#   bench/cold_start.sh <parley-binary> [runs]      (default 10 runs per case)
set -euo pipefail

parley=${1:?usage: bench/cold_start.sh <parley-binary> [runs]}
runs=${2:-10}
parley=$(realpath "$parley")
work=$(mktemp -d "${TMPDIR:-/tmp}/parley-cold.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Not exec: the EXIT trap must still remove the folder afterwards.
python3 - "$parley" "$runs" "$work" <<'PY'
import os, signal, socket, statistics, subprocess, sys, time

parley, runs, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if runs < 1:
    sys.exit("cold_start: runs must be at least 1")

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port

def environment(port):
    # Only the defaults: drop the caller's PARLEY_* settings, pin the port.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env["PARLEY_LISTEN"] = f"127.0.0.1:{port}"
    return env

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"

def healthz_ok(port):
    """True on a 200, False while nothing listens (or the answer is not a 200 yet)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(REQUEST)
            head = b""
            while b"\r\n" not in head:
                chunk = s.recv(256)
                if not chunk:
                    break
                head += chunk
            return head.startswith(b"HTTP/1.1 200")
    except OSError:
        return False

def one_run(folder):
    """ms from exec to the first 200; the server is stopped (SIGTERM) before returning."""
    os.makedirs(folder, exist_ok=True)
    port = free_port()
    with open(os.path.join(folder, "parley.log"), "ab") as log:
        start = time.monotonic_ns()
        proc = subprocess.Popen([parley, "all"], cwd=folder, env=environment(port), stdout=log, stderr=log)
        try:
            while True:
                if healthz_ok(port):
                    elapsed = (time.monotonic_ns() - start) / 1e6
                    break
                if proc.poll() is not None:
                    sys.exit(f"cold_start: parley exited with {proc.returncode}; see {folder}/parley.log")
                if time.monotonic_ns() - start > 30e9:
                    sys.exit("cold_start: no 200 on /healthz within 30 s")
                time.sleep(0.0002)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return elapsed

results = {}
# existing: one folder, migrated once by `parley migrate`, reused by every run.
existing = os.path.join(work, "existing")
os.makedirs(existing)
subprocess.run([parley, "migrate"], cwd=existing, env=environment(free_port()), check=True,
               stdout=subprocess.DEVNULL)
results["existing"] = [one_run(existing) for _ in range(runs)]
# fresh: a new, empty working folder each run.
results["fresh"] = [one_run(os.path.join(work, f"fresh-{i}")) for i in range(runs)]

print(f"parley all, exec to first 200 on /healthz ({runs} runs each, ms)")
for case, times in results.items():
    shown = " ".join(f"{t:.1f}" for t in times)
    print(f"  {case:<9} min {min(times):7.1f}   median {statistics.median(times):7.1f}   max {max(times):7.1f}   [{shown}]")
PY
