#!/usr/bin/env python3
"""Times planning against a running `rally serve` on the scale data set (bench/scale_planning.sh).

Usage: scale_planning.py PORT TOKEN [SEGMENT] [SERVER_PID]. As the demo's lead (a bearer
token): the segment count `tier in ["S","B"] and last_inquiry within 90d`
(3 warm-ups, 50 samples), then a new draft campaign starting today whose
segment is SEGMENT (default `annual_purchase >= 750万`, about a quarter of
the generated customers), its target list generated (one run), generated
again (one run, must add nothing), its breakdown proposal (3 warm-ups,
20 samples), and its target list through the API and the page (first page,
tier S, stage intent, the exact count; 3 warm-ups, 20 samples). Latency is the whole request as the client sees it, over one
keep-alive connection. With SERVER_PID, each generation also shows the CPU
time the server process spent on it (user + system; on SQLite that is the
database's work too, so it is what the run costs on a quiet core). Each run
leaves its campaign in the database.
"""
import datetime
import http.client
import json
import os
import re
import sys
import time
import urllib.parse

from http_bench import signed_in, timed

PORT, TOKEN = int(sys.argv[1]), sys.argv[2]
SEGMENT = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else "annual_purchase >= 750万"
SERVER_PID = sys.argv[4] if len(sys.argv) > 4 else None
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def request(conn, method, path, body=None):
    start = time.perf_counter()
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=HEADERS)
    response = conn.getresponse()
    data = response.read()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status not in (200, 201):
        sys.exit(f"{method} {path}: HTTP {response.status}: {data[:300]!r}")
    return elapsed, json.loads(data)


def sampled(conn, path, runs):
    samples = []
    for i in range(runs + 3):
        elapsed, body = request(conn, "GET", path)
        if i >= 3:
            samples.append(elapsed)
    samples.sort()
    pick = lambda p: samples[min(len(samples) - 1, int(len(samples) * p))]
    return pick(0.5), pick(0.95), body


def cpu_ms():
    """The server's CPU time so far (user + system), in ms; None without SERVER_PID."""
    if not SERVER_PID:
        return None
    with open(f"/proc/{SERVER_PID}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def timed_cpu(call):
    before = cpu_ms()
    took, body = call()
    after = cpu_ms()
    return took, body, "" if before is None else f", server CPU {after - before:.0f} ms"


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    conn = http.client.HTTPConnection("127.0.0.1", PORT)
    print(f"load {load()}")
    print("| measurement | p50 | p95 | answer |\n|---|---|---|---|")
    shape = 'tier in ["S","B"] and last_inquiry within 90d'
    p50, p95, body = sampled(conn, f"/api/v1/segments/count?segment={urllib.parse.quote(shape)}", 50)
    print(f"| segment count `{shape}` | {p50:.1f} ms | {p95:.1f} ms | {body.get('count')} |")

    # The server's today (Asia/Shanghai), so the campaign is anchored like a new one.
    today = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date()
    campaign = {
        "name": f"规模基准 {time.time():.0f}", "kind": "新品促销", "segment": SEGMENT,
        "announced_on": today.isoformat(), "starts_on": today.isoformat(),
        "ends_on": (today + datetime.timedelta(days=20)).isoformat(),
        "goals": {"reached": 12000, "intent_customers": 3000, "orders": 1500, "sales_amount": 4700000.0, "roi": 3.0},
    }
    _, created = request(conn, "POST", "/api/v1/campaigns", campaign)
    cid = created["id"]
    print(f"| (load before generating: {load()}) | | | |")
    generate = lambda: request(conn, "POST", f"/api/v1/campaigns/{cid}/members/generate", {})
    took, first, cpu = timed_cpu(generate)
    print(f"| generate target list `{SEGMENT}` | {took:.0f} ms | (one run) | added {first['added']}{cpu} |")
    took, second, cpu = timed_cpu(generate)
    print(f"| generate again | {took:.0f} ms | (one run) | added {second['added']}{cpu} |")
    if second["added"] != 0:
        sys.exit("the second run added members")
    p50, p95, body = sampled(conn, f"/api/v1/campaigns/{cid}/breakdown", 20)
    rows = len(body["rows"])
    print(f"| breakdown proposal ({first['total']} members) | {p50:.1f} ms | {p95:.1f} ms | {rows} rows |")
    # The target list as the lead reads it: the API's first page of 50 and
    # the page's first 100, plain and filtered (issue 13, item 2: ≤ 5 ms p50).
    for query in ["", "&tier=S", "&stage=intent", "&count=exact"]:
        p50, p95, body = sampled(conn, f"/api/v1/campaigns/{cid}/members?limit=50{query}", 20)
        exact = "" if body["total_exact"] else "+"
        print(f"| target list API `{query or 'first page'}` | {p50:.1f} ms | {p95:.1f} ms | total {body['total']}{exact} |")
    cookie = signed_in(conn, "lead@rally.example")
    for query in ["", "?stage=intent"]:
        p50, p95, html = timed(conn, f"/campaigns/{cid}/members{query}", cookie, 20)
        shown = re.search(r'id="member-count">([^<·]+)', html)
        print(f"| target list page `{query or 'first page'}` | {p50:.1f} ms | {p95:.1f} ms | {shown.group(1).strip() if shown else '?'} |")
    p50, p95, html = timed(conn, f"/campaigns/{cid}/members/counts", cookie, 20)
    print(f"| its counts by rep and tier (loaded after it) | {p50:.1f} ms | {p95:.1f} ms | {html.count('<tr>') - 1} rows |")
    print(f"load {load()}")


main()
