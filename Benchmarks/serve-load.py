#!/usr/bin/env python3
"""Bounded load test of `stylegan serve` on loopback: N concurrent clients (default 4),
each with its own keep-alive connection, request /api/image with distinct seeds for a few
seconds. Prints throughput and p50/p90/p99 latency; fails (exit 1) on any answer other
than 200 or 503. A benchmark: it prints figures, nothing here is a timed test.

    python3 Benchmarks/serve-load.py .build/release/stylegan [--weights weights/faces64.safetensors]
        [--clients 4] [--seconds 5] [--threads N]

Targets on 2 cores with the bundled 64x64 model: p50 < 30 ms, p99 < 100 ms.
"""
import argparse
import http.client
import re
import signal
import subprocess
import sys
import threading
import time


def start(binary, weights, threads):
    command = [binary, "serve", "--port", "0"] + (["--weights", weights] if weights else [])
    command += ["--threads", str(threads)] if threads else []
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in server.stdout:
        match = re.search(r"serving (.*) at http://127\.0\.0\.1:(\d+)/", line)
        if match:
            threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
            return server, int(match.group(2)), match.group(1)
    raise SystemExit(f"serve-load: the server did not start (status {server.wait()})")


def client(port, index, clients, stop_at, results):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    seed = index
    while time.perf_counter() < stop_at:
        start = time.perf_counter()
        connection.request("GET", f"/api/image?seed={seed}&psi=0.7")
        response = connection.getresponse()
        body = response.read()
        results.append((time.perf_counter() - start, response.status, len(body)))
        seed += clients


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary")
    parser.add_argument("--weights")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--threads", type=int, help="--threads for the server (default: one per core)")
    args = parser.parse_args()

    server, port, model = start(args.binary, args.weights, args.threads)
    try:
        # Warm-up: the first renders allocate the buffer pool.
        warm = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for seed in range(5):
            warm.request("GET", f"/api/image?seed={1_000_000 + seed}")
            warm.getresponse().read()
        results = []
        stop_at = time.perf_counter() + args.seconds
        workers = [threading.Thread(target=client, args=(port, i, args.clients, stop_at, results)) for i in range(args.clients)]
        began = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        elapsed = time.perf_counter() - began
    finally:
        server.send_signal(signal.SIGINT)
        status = server.wait(timeout=30)

    ok = sorted(t for t, s, _ in results if s == 200)
    busy = sum(1 for _, s, _ in results if s == 503)
    other = [(s, n) for _, s, n in results if s not in (200, 503)]
    print(f"serve-load: {model}, {args.clients} clients x {args.seconds:g} s on loopback, GET /api/image (distinct seeds)")
    print(f"  requests {len(results)}: {len(ok)} ok, {busy} busy (503), {len(other)} other; {len(results) / elapsed:.1f} req/s")
    if ok:
        ms = [1000 * t for t in ok]
        print(f"  latency ms: p50 {percentile(ms, 50):.1f}  p90 {percentile(ms, 90):.1f}  p99 {percentile(ms, 99):.1f}  max {ms[-1]:.1f}"
              f"   (target p50 < 30, p99 < 100)")
    print(f"  server exit status after SIGINT: {status}")
    if other or not ok or status != 0:
        print(f"serve-load: FAILED: unexpected answers {other[:5]} or exit status {status}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
