"""JupyterLab, started by the test on 127.0.0.1 with the project's kernel,
and Debian's chromium driven headless by Playwright (which cannot download
its own browsers here, so `executable_path` points at Debian's)."""

import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

import pytest
from playwright.sync_api import sync_playwright

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHOTS = ROOT / "out" / "browser"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def lab():
    """A JupyterLab server over a copy of the tutorials (the browser saves
    what it runs; the repository's notebooks stay as they are)."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="ddpm-lab-"))
    for notebook in (ROOT / "notebooks").iterdir():
        if notebook.is_file():
            shutil.copy(notebook, folder / notebook.name)
    port, token = free_port(), uuid.uuid4().hex
    # A clean settings folder: no news pop-up over the page, no user workspace.
    settings = folder / ".settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}')
    # Every cell in the page, so that the test sees all outputs (no windowing).
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        '{"windowingMode": "none"}')
    log = open(SHOTS.parent / "browser-lab.log", "w") if SHOTS.parent.exists() else subprocess.DEVNULL
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}", "--allow-root",
         f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={folder / '.workspaces'}"],
        stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if time.time() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("JupyterLab did not start; see out/browser-lab.log")
            time.sleep(0.5)
    yield {"url": url, "token": token, "folder": folder}
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()
