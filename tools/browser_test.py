#!/usr/bin/env python3
"""End-to-end test of `stylegan serve` in headless Chromium (Selenium).

Starts the server on a free loopback port, loads the page, moves the psi slider and the
walk slider with the keyboard, types a new seed, and checks each time that the displayed
image's pixels changed and that no picture ever had two requests in flight. Then stops
the server with SIGINT and checks that it exited cleanly (status 0).

    python3 tools/browser_test.py .build/release/stylegan [--weights FILE] [--screenshot docs/serve.png]

Needs chromium, chromium-driver and selenium (tools/install-deps.sh installs them; the
venv is .venv-browser). Exit status 0 on success, 1 on a failed check.
"""
import argparse
import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

TIMEOUT = 30  # seconds for any one wait

# Counts requests in flight per API path; the page must never have two for one picture.
COUNT_FETCHES = """
window.__inFlight = {}; window.__maxInFlight = {};
const original = window.fetch;
window.fetch = async (url, ...rest) => {
  const path = new URL(url, location).pathname;
  __inFlight[path] = (__inFlight[path] || 0) + 1;
  __maxInFlight[path] = Math.max(__maxInFlight[path] || 0, __inFlight[path]);
  try { return await original(url, ...rest); } finally { __inFlight[path]--; }
};
"""

# The displayed image's pixels (as a data URL) and the API URL it came from.
PIXELS = """
const img = document.getElementById(arguments[0]);
if (!img.complete || !img.naturalWidth || !img.dataset.src) return null;
const canvas = document.createElement("canvas");
canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
canvas.getContext("2d").drawImage(img, 0, 0);
return [img.dataset.src, canvas.toDataURL("image/png"), img.naturalWidth];
"""


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def start_server(binary, weights):
    command = [binary, "serve", "--host", "127.0.0.1", "--port", "0"]
    if weights:
        command += ["--weights", weights]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    found = {}

    def read():  # keeps draining the pipe so the server never blocks on a full one
        for line in server.stdout:
            lines.append(line.rstrip("\n"))
            match = re.search(r"serving .* at (http://127\.0\.0\.1:\d+/)", line)
            if match and "url" not in found:
                found["url"] = match.group(1)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.time() + 120
    while "url" not in found:
        if server.poll() is not None or time.time() > deadline:
            server.kill()
            raise Failure("server did not start:\n" + "\n".join(lines))
        time.sleep(0.05)
    return server, found["url"], lines, reader


def browser(chromium, chromedriver):
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1000,720", "--force-device-scale-factor=1", "--hide-scrollbars"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)


def wait_for(driver, what, condition):
    try:
        return WebDriverWait(driver, TIMEOUT, poll_frequency=0.05).until(lambda d: condition())
    except Exception as error:
        raise Failure(f"timed out waiting for {what}: {error}")


def shown(driver, picture):
    return driver.execute_script(PIXELS, picture + "-img")


def settled(driver, picture, previous_src=None, contains=None):
    """Waits until `picture` shows a loaded image from a URL other than `previous_src`
    (and containing `contains`) with its spinner hidden; returns (src, pixels, width)."""
    def ready():
        state = shown(driver, picture)
        if not state or state[0] == previous_src or (contains and contains not in state[0]):
            return None
        return state if driver.find_element(By.ID, picture + "-spinner").get_attribute("hidden") is not None else None
    return wait_for(driver, f"{picture} to show a new image", ready)


def save_screenshot(driver, path, scale=0.7):
    """The whole page, scaled down (a small PNG for the README)."""
    width, height = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": scale}})
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    print(f"browser test: wrote {path} ({round(width * scale)}x{round(height * scale)}, {os.path.getsize(path) // 1024} KB)")


def run(args):
    server, url, lines, reader = start_server(args.binary, args.weights)
    driver = None
    try:
        driver = browser(args.chromium, args.chromedriver)
        driver.get(url)
        wait_for(driver, "the model line", lambda: "×" in driver.find_element(By.ID, "model").text)
        face = settled(driver, "face")
        resolution = face[2]
        for picture in ["mix", "walk"]:
            settled(driver, picture)
        driver.execute_script(COUNT_FETCHES)
        print(f"browser test: page loaded from {url}, {resolution}x{resolution} images, {face[0]}")

        # psi slider, by keyboard: six steps of 0.05 down.
        psi = driver.find_element(By.ID, "psi")
        psi.send_keys(*([Keys.ARROW_LEFT] * 6))
        after_psi = settled(driver, "face", previous_src=face[0])
        check("psi=0.4" in after_psi[0], f"expected psi 0.4 in {after_psi[0]}")
        check(after_psi[1] != face[1], "the face did not change when psi moved")
        check(driver.find_element(By.ID, "psi-value").text == "0.40", "the psi label did not follow the slider")
        print(f"browser test: psi slider -> {after_psi[0]} (pixels changed)")

        # A new seed typed key by key: intermediate seeds may be skipped, the last one must show.
        seed = driver.find_element(By.ID, "seed")
        seed.send_keys(Keys.CONTROL, "a")
        seed.send_keys("1234")
        after_seed = settled(driver, "face", previous_src=after_psi[0], contains="seed=1234&")
        check(after_seed[1] != after_psi[1], "the face did not change with the seed")
        print(f"browser test: seed 1234 -> {after_seed[0]} (pixels changed)")

        # The walk slider, by keyboard.
        walk = shown(driver, "walk")
        driver.find_element(By.ID, "t").send_keys(*([Keys.ARROW_RIGHT] * 20))
        after_walk = settled(driver, "walk", previous_src=walk[0], contains="t=0.7")
        check(after_walk[1] != walk[1], "the walk did not change with t")
        print(f"browser test: walk slider -> {after_walk[0]} (pixels changed)")

        # Style mixing: the fine layers instead of the coarse ones.
        mix = shown(driver, "mix")
        styles = driver.find_element(By.ID, "styles")
        styles.send_keys(Keys.ARROW_DOWN)
        after_mix = settled(driver, "mix", previous_src=mix[0], contains="styles=middle")
        check(after_mix[1] != mix[1], "the mix did not change with the styles")
        print(f"browser test: styles -> {after_mix[0]} (pixels changed)")

        most = driver.execute_script("return window.__maxInFlight")
        check(all(n <= 1 for n in most.values()), f"more than one request in flight for one picture: {most}")
        errors = [driver.find_element(By.ID, p + "-error").text for p in ["face", "mix", "walk"]]
        check(not any(errors), f"the page shows errors: {errors}")
        print(f"browser test: most requests in flight per picture: {most}")

        if args.screenshot:
            driver.find_element(By.ID, "seed").send_keys(Keys.CONTROL, "a")
            driver.find_element(By.ID, "seed").send_keys("5")
            settled(driver, "face", previous_src=after_seed[0], contains="seed=5&")
            driver.execute_script("document.activeElement.blur()")
            save_screenshot(driver, args.screenshot)
    finally:
        if driver is not None:
            driver.quit()
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
        try:
            status = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            raise Failure("the server did not stop within 30 s of SIGINT")
        reader.join(timeout=5)
    check(status == 0, f"the server exited with status {status} after SIGINT:\n" + "\n".join(lines[-20:]))
    check(any("server stopped" in line for line in lines), "the server did not report stopping")
    print("browser test: server stopped cleanly on SIGINT (status 0)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", help="the built stylegan executable")
    parser.add_argument("--weights", help="weights file (default: the bundled model)")
    parser.add_argument("--screenshot", help="also save a screenshot of the page to this PNG")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    args = parser.parse_args()
    try:
        run(args)
    except Failure as failure:
        print(f"browser test: FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
    print("browser test: ok")


if __name__ == "__main__":
    main()
