"""What the conformance runners share: tend's own HTTP server and JSON-RPC
dispatcher (the rpc-test-server build, with the specification's example
methods) on a real unix socket, and a POST to its /rpc. (A plain module,
not a conftest.py: tests/system has the conftest module name already.)"""
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVER = os.environ.get('RPC_TEST_SERVER', str(REPO / 'build' / 'tests' / 'rpc-test-server'))
sys.path.insert(0, str(REPO / 'tests' / 'system'))
from daemon import post_rpc  # noqa: E402


def serve(tmp_path_factory):
    """For a module-scoped fixture: yields the socket path."""
    sock = str(tmp_path_factory.mktemp('rpc') / 'rpc.sock')
    proc = subprocess.Popen([SERVER, sock], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == 'ready\n'
    yield sock
    proc.terminate()
    assert proc.wait(10) == 0


def post(sock, body):
    """POST /rpc: (HTTP status, body bytes)."""
    return post_rpc(sock, body, timeout=10)
