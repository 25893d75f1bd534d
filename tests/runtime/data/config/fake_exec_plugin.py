#!/usr/bin/env python3
"""A fake client-go exec credential plugin for tests/runtime/test_config.py.

Behaviour comes from environment variables (set through the kubeconfig's exec.env):

FAKE_PLUGIN_LOG     file to append one JSON line per run to: what the plugin saw
                    (KUBERNETES_EXEC_INFO, argv, selected env vars). The number of
                    lines is the run number N.
FAKE_PLUGIN_MODE    token (default): print token "plugin-token-N"
                    same-token: always print "plugin-token-constant"
                    cert: print the PEM files FAKE_PLUGIN_CERT / FAKE_PLUGIN_KEY
                    cert-only: a certificate without a key
                    warn: like token, plus a warning on stderr
                    fail: exit 3 with a message on stderr
                    fail-after-first: token on run 1, then fail echoing run 1's token
                    line-break: a token with a line break in it
                    hang: never finish (sleep for two minutes)
                    hang-with-child: start a child that holds stdout open (its pid
                    in FAKE_PLUGIN_LOG + ".child"), then hang
                    wrong-version, garbage, no-status, no-kind: malformed output
FAKE_PLUGIN_EXPIRY  printed verbatim as status.expirationTimestamp when set
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def record_run() -> int:
    info = json.loads(os.environ["KUBERNETES_EXEC_INFO"])
    log = os.environ.get("FAKE_PLUGIN_LOG")
    if not log:
        return 1
    seen = {
        "info": info,
        "argv": sys.argv[1:],
        "env": {k: os.environ.get(k) for k in ("FAKE_PLUGIN_EXTRA", "INHERITED_VAR")},
    }
    with open(log, "a", encoding="utf-8") as file:
        file.write(json.dumps(seen) + "\n")
    with open(log, encoding="utf-8") as file:
        return sum(1 for _ in file)


def read(path_variable: str) -> str:
    with open(os.environ[path_variable], encoding="utf-8") as file:
        return file.read()


def main() -> int:
    run = record_run()
    api_version = json.loads(os.environ["KUBERNETES_EXEC_INFO"])["apiVersion"]
    mode = os.environ.get("FAKE_PLUGIN_MODE", "token")
    status: dict[str, str] = {"token": f"plugin-token-{run}"}
    if mode == "fail" or (mode == "fail-after-first" and run > 1):
        echoed = " (previous token plugin-token-1)" if run > 1 else ""
        print(f"error: could not log in to the fake cloud{echoed}", file=sys.stderr)
        return 3
    if mode in ("hang", "hang-with-child"):
        if mode == "hang-with-child":
            # A grandchild in our session inherits stdout: reading it to the end
            # waits for this one too, unless the whole session is killed.
            sleeper = "import time; time.sleep(120)"
            child = subprocess.Popen([sys.executable, "-c", sleeper])
            with open(os.environ["FAKE_PLUGIN_LOG"] + ".child", "w") as file:
                file.write(str(child.pid))
        print("hanging", file=sys.stderr, flush=True)
        time.sleep(120)
        return 0
    if mode == "line-break":
        status = {"token": f"plugin-token-{run}\r\nX-Injected: yes"}
    if mode == "same-token":
        status = {"token": "plugin-token-constant"}
    elif mode == "cert":
        status = {
            "clientCertificateData": read("FAKE_PLUGIN_CERT"),
            "clientKeyData": read("FAKE_PLUGIN_KEY"),
        }
    elif mode == "cert-only":
        status = {"clientCertificateData": read("FAKE_PLUGIN_CERT")}
    elif mode == "warn":
        print("warning: fake plugin token expires soon", file=sys.stderr)
    elif mode == "wrong-version":
        api_version = "client.authentication.k8s.io/v1alpha1"
    elif mode == "garbage":
        print(f"this is not JSON, but it holds {status['token']}")
        return 0
    if "FAKE_PLUGIN_EXPIRY" in os.environ:
        status["expirationTimestamp"] = os.environ["FAKE_PLUGIN_EXPIRY"]
    output: dict[str, object] = {"apiVersion": api_version, "kind": "ExecCredential"}
    if mode == "no-kind":
        del output["kind"]
    if mode != "no-status":
        output["status"] = status
    print(json.dumps(output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
