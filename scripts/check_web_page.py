#!/usr/bin/env python3
"""Checks the `ledge serve` web page in real headless Chromium.

Starts `ledge serve` on a free loopback port over a temporary model repository,
starts chromedriver on a free port, and drives Chromium through the W3C
WebDriver HTTP API (Python standard library only): load `/`, wait for the model
list, send a photo to `#file`, wait until `#results` shows the expected label,
save a screenshot, quit. Every wait has a deadline; on failure it prints
`check_web_page: error: ...` and exits 1.

Usage: check_web_page.py --ledge PATH --model FILE [--model FILE ...]
                         --image PHOTO --expect LABEL --screenshot OUT.png
"""

import argparse
import base64
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C web element identifier key


class CheckError(Exception):
    pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(method, url, body=None, timeout=60):
    """An HTTP request with a JSON body; returns (status, decoded JSON or text)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def wait_for(what, deadline_s, probe, interval=0.2):
    """Polls `probe` until it returns a truthy value or `deadline_s` passes."""
    deadline = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < deadline:
        try:
            result = probe()
            if result:
                return result
        except (OSError, urllib.error.URLError) as error:
            last = error
        time.sleep(interval)
    raise CheckError(f"timed out after {deadline_s} s waiting for {what}" + (f" (last error: {last})" if last else ""))


class WebDriver:
    def __init__(self, base):
        self.base = base
        self.session = None

    def call(self, method, path, body=None, timeout=60):
        status, value = request(method, f"{self.base}/session/{self.session}{path}", body, timeout)
        if status != 200:
            raise CheckError(f"WebDriver {method} {path} answered {status}: {value}")
        return value["value"]

    def start(self, args):
        capabilities = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args}}}}
        status, value = request("POST", f"{self.base}/session", capabilities, timeout=90)
        if status != 200:
            raise CheckError(f"WebDriver could not start Chromium ({status}): {value}")
        self.session = value["value"]["sessionId"]

    def script(self, source, *args):
        return self.call("POST", "/execute/sync", {"script": source, "args": list(args)})

    def element(self, css):
        found = self.call("POST", "/element", {"using": "css selector", "value": css})
        if not isinstance(found, dict) or ELEMENT not in found:
            raise CheckError(f"WebDriver found no element {css}: {found}")
        return found[ELEMENT]

    def quit(self):
        if self.session:
            try:
                request("DELETE", f"{self.base}/session/{self.session}", timeout=30)
            except OSError:
                pass
            self.session = None


def read_url(server, deadline_s=60):
    """The URL `ledge serve` prints once it listens (`... on http://HOST:PORT/v2 ...`)."""
    deadline = time.monotonic() + deadline_s
    line = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([server.stdout], [], [], 0.2)
        if ready:
            chunk = os.read(server.stdout.fileno(), 4096)
            if not chunk:
                break
            line += chunk
            for word in line.decode(errors="replace").split():
                if word.startswith("http://") and word.endswith("/v2") and b"\n" in line:
                    return word[: -len("/v2")]
        if server.poll() is not None:
            break
    raise CheckError(f"ledge serve printed no URL within {deadline_s} s (exit {server.poll()}); stdout: {line!r}")


def stop(process):
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def check(options, folder):
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            raise CheckError(f"{path} is not installed: run 'make setup' (scripts/setup.sh installs chromium and chromium-driver)")
    for model in options.model:
        name = os.path.splitext(os.path.basename(model))[0]
        os.makedirs(os.path.join(folder, "models", name))
        os.symlink(os.path.abspath(model), os.path.join(folder, "models", name, os.path.basename(model)))
    server = driver_process = None
    driver = None
    try:
        server = subprocess.Popen([options.ledge, "serve", "--model-repository", os.path.join(folder, "models"),
                                   "--port", "0", "--log-level", "warning"],
                                  stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        base = read_url(server)
        port = free_port()
        log = open(os.path.join(folder, "chromedriver.log"), "wb")
        driver_process = subprocess.Popen([CHROMEDRIVER, f"--port={port}"], stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL)
        driver = WebDriver(f"http://127.0.0.1:{port}")
        wait_for("chromedriver to be ready", 30,
                 lambda: request("GET", f"{driver.base}/status", timeout=5)[1].get("value", {}).get("ready"))
        driver.start(["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                      "--window-size=1100,900", f"--user-data-dir={os.path.join(folder, 'profile')}"])
        driver.call("POST", "/url", {"url": base + "/"})
        models = wait_for("the model list (#model options)", 30,
                          lambda: driver.script("return Array.from(document.querySelectorAll('#model option'), o => o.value)"))
        driver.call("POST", f"/element/{driver.element('#file')}/value", {"text": os.path.abspath(options.image)})

        def shown():  # (results, error) once either has the answer
            results, error = driver.script(
                "return [document.getElementById('results').innerText, document.getElementById('error').innerText]")
            return (results, error) if options.expect in results or error.strip() else None

        results, error = wait_for(f"#results to show '{options.expect}'", 30, shown)
        if options.expect not in results:
            raise CheckError(f"the page shows an error instead of '{options.expect}': {error.strip()}")
        timing = driver.script("return document.getElementById('timing').innerText")
        os.makedirs(os.path.dirname(os.path.abspath(options.screenshot)), exist_ok=True)
        with open(options.screenshot, "wb") as out:
            out.write(base64.b64decode(driver.call("GET", "/screenshot")))
        rows = driver.script("return Array.from(document.querySelectorAll('#results tbody tr'), "
                             "(row) => Array.from(row.cells, (c) => c.textContent.trim()).filter((t) => t).join(' '))")
        first = rows[0] if rows else "(no rows)"
        print(f"models: {', '.join(models)}")
        print(f"#results first row: {first}")
        print(f"#timing: {timing.strip()}")
        print(f"screenshot: {options.screenshot}")
    finally:
        if driver:
            driver.quit()
        stop(driver_process)
        stop(server)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ledge", required=True, help="the ledge executable")
    parser.add_argument("--model", required=True, action="append", help="a model file to serve (repeatable)")
    parser.add_argument("--image", required=True, help="the photo to upload")
    parser.add_argument("--expect", required=True, help="the label #results must show")
    parser.add_argument("--screenshot", required=True, help="where to save the PNG screenshot")
    options = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="ledge-web-")
    try:
        check(options, folder)
    except CheckError as error:
        print(f"check_web_page: error: {error}", file=sys.stderr)
        sys.exit(1)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
