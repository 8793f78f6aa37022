#!/usr/bin/env python3
"""Times list and count reads against a running `rally serve` (bench/scale_reads.sh).

Usage: scale_reads.py PORT TOKEN. One keep-alive connection, 3 warm-ups, then
50 samples per read (30 for the exact count); latency is the whole request as
the client sees it. The page reads sign in as admin@rally.example (the demo's
password), as a browser would, with the CSRF token from the sign-in page.
"""
import http.client
import re
import sys
import urllib.parse

from http_bench import signed_in, timed

PORT, TOKEN = int(sys.argv[1]), sys.argv[2]


def q(text):
    return urllib.parse.quote(text)


def main():
    conn = http.client.HTTPConnection("127.0.0.1", PORT)
    api = {"Authorization": f"Bearer {TOKEN}"}
    page = signed_in(conn, "admin@rally.example")
    region = q("华东")
    reads = [
        ("customer list API, 50 rows + total", "/api/v1/customers?limit=50", api, 50),
        ("customer list API by region", f"/api/v1/customers?limit=50&region={region}", api, 50),
        ("customer list page (HTML)", "/customers", page, 50),
        ("customer list page by region", f"/customers?region={region}", page, 50),
        ("exact total on demand (API, count=exact)", "/api/v1/customers?limit=50&count=exact", api, 30),
    ]
    for segment in ['region = "华东"', 'tier = "S"',
                    'region = "华东" and industry = "制造业" and annual_purchase > 500万',
                    'industry in ["制造业","零售"]', 'tier in ["S","B"] and last_inquiry within 90d']:
        reads.append((f"segment count `{segment}`", f"/api/v1/segments/count?segment={q(segment)}", api, 50))
    print("| read | p50 | p95 | answer |\n|---|---|---|---|")
    for label, path, headers, runs in reads:
        p50, p95, body = timed(conn, path, headers, runs)
        total = re.search(r'"total":(\d+),"total_exact":(\w+)', body) or re.search(r'"count":(\d+)', body)
        shown = re.search(r'data-total="\d+">([^<]*)', body)
        answer = shown.group(1).strip() if shown else (" ".join(total.groups()) if total else "")
        print(f"| {label} | {p50:.1f} ms | {p95:.1f} ms | {answer} |")


main()
