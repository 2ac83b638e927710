"""A loopback HTTP receiver for the channel and webhook tests: it plays a WeCom robot, a
DingTalk robot (checking the signature as DingTalk does), an SMS gateway and a webhook
receiver (checking X-Medservice-Signature), and keeps what it received."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote_plus, urlsplit


class Receiver:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200  # what the SMS gateway / webhook answer
        self.dingtalk_secret = ""
        self.webhook_secret = ""
        self.port = 0
        self.lock = threading.Lock()
        # hold: answer nothing until ``release`` is set (a worker killed mid-delivery).
        self.hold = False
        self.held = threading.Event()
        self.release = threading.Event()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def of(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]

    def answer(self, path: str, query: dict, headers, body: bytes) -> tuple[int, dict]:
        if path == "/wecom":
            return 200, {"errcode": 0, "errmsg": "ok"}
        if path == "/wecom-down":
            return 500, {}
        if path == "/dingtalk":
            ts, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
            expected = base64.b64encode(
                hmac.new(
                    self.dingtalk_secret.encode(),
                    f"{ts}\n{self.dingtalk_secret}".encode(),
                    hashlib.sha256,
                ).digest()
            ).decode()
            if not ts or abs(int(ts) - time.time() * 1000) > 3_600_000 or sign != expected:
                return 200, {"errcode": 310000, "errmsg": "sign not match"}
            return 200, {"errcode": 0, "errmsg": "ok"}
        if path == "/hook":
            ts = headers.get("X-Medservice-Timestamp", "")
            mac = hmac.new(
                self.webhook_secret.encode(), f"{ts}.".encode() + body, hashlib.sha256
            ).hexdigest()
            if headers.get("X-Medservice-Signature") != f"sha256={mac}":
                return 401, {"error": "bad signature"}
            return self.status, {}
        return self.status, {}


@contextmanager
def loopback_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            parts = urlsplit(self.path)
            query = parse_qs(parts.query, keep_blank_values=True)
            with receiver.lock:
                status, answer = receiver.answer(parts.path, query, self.headers, body)
                receiver.requests.append(
                    {
                        "method": self.command,
                        "path": parts.path,
                        "query": {k: unquote_plus(v[0]) for k, v in query.items()},
                        "headers": dict(self.headers),
                        "body": body,
                        "status": status,
                    }
                )
            if receiver.hold:
                receiver.held.set()
                receiver.release.wait(60)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_GET = _handle

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
