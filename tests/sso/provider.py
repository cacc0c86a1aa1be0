"""A real OpenID Provider for the SSO tests: panva/oidc-provider (OpenID Certified), run by node.

The package is pinned in tests/sso/provider/package.json + package-lock.json and installed with
``npm ci`` when missing (``make test`` does it too). :func:`running_provider` starts it on
127.0.0.1 and a free port with the given clients and accounts and yields its issuer URL.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

FOLDER = Path(__file__).parent / "provider"
#: The client the app is configured for, and a second client on the same provider.
CLIENT_ID, CLIENT_SECRET = "netral-learn", "netral-learn-test-secret-0123456789abcdef"
OTHER_CLIENT_ID, OTHER_CLIENT_SECRET = "aplikasi-lain", "aplikasi-lain-test-secret-0123456789abcdef"


def ensure_installed() -> None:
    """``npm ci`` the pinned provider when node_modules is missing; skip when node is absent."""
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("needs node and npm for the test OpenID Provider (apt-get install nodejs npm)")
    if not (FOLDER / "node_modules" / "oidc-provider" / "package.json").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=FOLDER,
                       check=True, timeout=600)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def client(client_id: str, secret: str, app_url: str) -> dict:
    """A confidential web client whose redirect and post-logout addresses are the app's."""
    return {
        "client_id": client_id,
        "client_secret": secret,
        "redirect_uris": [f"{app_url}/masuk/sso/kembali"],
        "post_logout_redirect_uris": [f"{app_url}/masuk"],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
    }


@contextmanager
def running_provider(*, clients: list[dict], accounts: dict[str, dict], id_token_ttl: int = 600):
    """Yield the issuer URL of a provider that knows ``clients`` and ``accounts`` (login → claims)."""
    ensure_installed()
    settings = {"clients": clients, "accounts": accounts, "idTokenTTL": id_token_ttl}
    process = subprocess.Popen(
        ["node", "provider.mjs"], cwd=FOLDER, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "OIDC_TEST_SETTINGS": json.dumps(settings)},
    )
    errors: list[str] = []
    drain = threading.Thread(target=lambda: errors.extend(process.stderr), daemon=True)
    drain.start()
    try:
        line = process.stdout.readline()
        if not line:
            process.wait(timeout=10)
            raise RuntimeError("the test OpenID Provider did not start:\n" + "".join(errors))
        yield json.loads(line)["issuer"]
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
