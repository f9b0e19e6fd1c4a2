"""A headless Chromium with the network off, for the page's browser tests (tests/test_page*.py).

They need Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them); without them
the tests are skipped here and fail under CI (``CI`` set), so CI never skips them.
"""

import os
import shutil
import time
from pathlib import Path

import pytest

CHROMIUM, DRIVER = (
    shutil.which("chromium") or "/usr/bin/chromium",
    shutil.which("chromedriver") or "/usr/bin/chromedriver",
)


def start_browser():
    """The driver of a new headless Chromium, offline."""
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        message = "Chromium and its driver are missing: apt-get install chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1500,1250",
        "--proxy-server=127.0.0.1:9",
        "--disable-background-networking",
        "--enable-unsafe-swiftshader",
    ):  # WebGL2 on the CPU where there is no GPU
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
    )
    return driver


def wait_for(driver, script, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {script}")


def settled(driver):
    wait_for(driver, "const s = window.netscope.state; return s.t === s.target && !s.playing")
    time.sleep(0.1)


def open_page(driver, uri):
    driver.get("about:blank")  # so that a page with another fragment is opened anew, not scrolled to
    driver.get(uri)
    wait_for(driver, "return document.body.dataset.ready === 'true'")
