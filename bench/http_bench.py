"""What the HTTP benchmark scripts share: timed reads over one keep-alive
connection, and a signed-in session for the pages."""
import re
import sys
import time
import urllib.parse

# The demo's password (`rally demo`).
DEMO_PASSWORD = "rally-demo-2026"


def timed(conn, path, headers, runs):
    """3 warm-ups, then `runs` samples of GET `path`: p50 and p95 in ms, and the last body."""
    samples = []
    for i in range(runs + 3):
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status != 200:
            sys.exit(f"{path}: HTTP {response.status}: {body[:300]!r}")
        if i >= 3:
            samples.append(elapsed)
    samples.sort()
    pick = lambda p: samples[min(len(samples) - 1, int(len(samples) * p))]
    return pick(0.5), pick(0.95), body.decode()


def signed_in(conn, email):
    """A session cookie for the pages, signed in as the demo's `email`, as a
    browser would, with the CSRF token from the sign-in page."""
    cookies = {}

    def keep(response):
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                k, v = value.split(";")[0].split("=", 1)
                cookies[k] = v

    conn.request("GET", "/login")
    response = conn.getresponse()
    html = response.read().decode()
    keep(response)
    csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    cookie = lambda: "; ".join(f"{k}={v}" for k, v in cookies.items())
    form = urllib.parse.urlencode({"email": email, "password": DEMO_PASSWORD, "csrf": csrf})
    conn.request("POST", "/login", body=form,
                 headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie()})
    response = conn.getresponse()
    response.read()
    keep(response)
    if response.status != 303:
        sys.exit(f"sign-in: HTTP {response.status}")
    return {"Cookie": cookie()}
