#!/usr/bin/python3
"""Opens an upkeep HTML report in headless Chromium (Debian `chromium`), driven
over the DevTools protocol on a pipe (--remote-debugging-pipe: no port, no
network), and prints what a person would see, one `key=value` per line:
the summary counts, visible matrix rows and entries before and after a real
mouse click on the "failed" filter, after choosing a host, after typing into
the search box; requests for anything but the file itself; console errors
(a CSP violation is one). Saves a screenshot. Usage: browser_check.py REPORT SHOT.png"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

report, shot = os.path.abspath(sys.argv[1]), sys.argv[2]
profile = tempfile.mkdtemp(prefix="upkeep-chromium-")
to_chrome_r, to_chrome_w = os.pipe()
from_chrome_r, from_chrome_w = os.pipe()


def child_fds():
    # Via fds out of the way (a pipe end may already be 3 or 4), and inheritable
    # (Python's pipes are close-on-exec; dup2 onto itself would keep that flag).
    a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
    os.dup2(a, 3)
    os.dup2(b, 4)
    os.set_inheritable(3, True)
    os.set_inheritable(4, True)


browser = shutil.which("chromium") or "/usr/bin/chromium"
proc = subprocess.Popen(
    [browser, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--user-data-dir=" + profile,
     "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
     "--disable-default-apps", "--disable-extensions", "--window-size=1280,1000", "about:blank"],
    preexec_fn=child_fds, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.close(to_chrome_r)
os.close(from_chrome_w)
buf = b""
next_id = 0
events = []


def read_message():
    global buf
    while b"\0" not in buf:
        chunk = os.read(from_chrome_r, 65536)
        if not chunk:
            raise SystemExit("chromium closed the pipe")
        buf += chunk
    raw, buf = buf.split(b"\0", 1)
    return json.loads(raw)


def send(method, params=None, session=None):
    global next_id
    next_id += 1
    msg = {"id": next_id, "method": method, "params": params or {}}
    if session:
        msg["sessionId"] = session
    os.write(to_chrome_w, json.dumps(msg).encode() + b"\0")
    while True:
        m = read_message()
        if m.get("id") == next_id:
            if "error" in m:
                raise SystemExit(f"{method}: {m['error']}")
            return m.get("result", {})
        events.append(m)


def wait_event(name):
    for i, m in enumerate(events):
        if m.get("method") == name:
            return events.pop(i)
    while True:
        m = read_message()
        if m.get("method") == name:
            return m
        events.append(m)


try:
    target = send("Target.createTarget", {"url": "about:blank"})["targetId"]
    s = send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Network", "Log"):
        send(domain + ".enable", session=s)
    send("Page.navigate", {"url": "file://" + report}, session=s)
    wait_event("Page.loadEventFired")

    def js(expr):
        r = send("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=s)
        if "exceptionDetails" in r:
            raise SystemExit("script error: " + json.dumps(r["exceptionDetails"]))
        return r["result"].get("value")

    def state(tag):
        v = js("""JSON.stringify({
          hosts: document.querySelector('#count-hosts').textContent,
          ok: document.querySelector('#count-ok').textContent,
          changed: document.querySelector('#count-changed').textContent,
          failed: document.querySelector('#count-failed').textContent,
          unreachable: document.querySelector('#count-unreachable').textContent,
          rows: [...document.querySelectorAll('#matrix tbody tr')].filter(e => e.offsetParent !== null).length,
          entries: [...document.querySelectorAll('.entry')].filter(e => e.offsetParent !== null).length,
          shown: document.querySelector('#shown-hosts').textContent + '/' + document.querySelector('#shown-entries').textContent,
          first_entry: ([...document.querySelectorAll('.entry')].find(e => e.offsetParent !== null) || {innerText: ''})
                         .innerText.split('\\n')[0]})""")
        for k, val in json.loads(v).items():
            print(f"{tag}.{k}={val}")

    state("initial")
    # A real click: the mouse goes down and up over the button's centre.
    box = json.loads(js("""(() => { const b = document.querySelector('#filter-failed'); b.scrollIntoView();
        const r = b.getBoundingClientRect(); return JSON.stringify({x: r.x + r.width / 2, y: r.y + r.height / 2}); })()"""))
    for kind in ("mousePressed", "mouseReleased"):
        send("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"], "button": "left", "clickCount": 1},
             session=s)
    state("failed_click")
    js("document.querySelector('#filter-all').click()")
    host = os.environ.get("PICK_HOST", "")
    if host:
        js(f"""(() => {{ const s = document.querySelector('#filter-host'); s.value = {json.dumps(host)};
               s.dispatchEvent(new Event('change')); }})()""")
        state("host")
        js("""(() => { const s = document.querySelector('#filter-host'); s.value = '';
               s.dispatchEvent(new Event('change')); })()""")
    search = os.environ.get("SEARCH", "")
    if search:
        js("document.querySelector('#search').focus()")
        send("Input.insertText", {"text": search}, session=s)  # typed, as from a keyboard
        state("search")
    png = send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=s)["data"]
    with open(shot, "wb") as f:
        f.write(base64.b64decode(png))
    external = [m["params"]["request"]["url"] for m in events if m.get("method") == "Network.requestWillBeSent"
                and not m["params"]["request"]["url"].startswith(("file://", "data:", "about:"))]
    errors = [m["params"]["entry"]["text"] for m in events if m.get("method") == "Log.entryAdded"
              and m["params"]["entry"]["level"] == "error"]
    errors += [json.dumps(m["params"]) for m in events if m.get("method") == "Runtime.exceptionThrown"]
    print("external_requests=" + str(len(external)) + (" " + " ".join(external) if external else ""))
    print("console_errors=" + str(len(errors)) + (" " + " | ".join(errors) if errors else ""))
    send("Browser.close")
finally:
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(profile, ignore_errors=True)
