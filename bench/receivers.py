"""The peers of the notification benchmark in a process of their own, as a mail server and
an integrator are: an SMTP server (aiosmtpd) and an HTTP receiver that checks each
webhook's signature. Prints "ready <smtp port> <http port>", then, once stdin closes,
"received <e-mails> <webhooks> <bad signatures>"."""

from __future__ import annotations

import hashlib
import hmac
import logging
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main(secret: str) -> None:
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    mails: list[int] = []
    seen: list[bool] = []

    class Mailbox:
        async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
            mails.append(len(envelope.content))
            return "250 OK"

    class Hooks(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            ts = self.headers["X-Medservice-Timestamp"]
            mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256)
            ok = self.headers["X-Medservice-Signature"] == f"sha256={mac.hexdigest()}"
            seen.append(ok)
            self.send_response(200 if ok else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        smtp_port = probe.getsockname()[1]
    controller = Controller(Mailbox(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    http = ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    print(f"ready {smtp_port} {http.server_address[1]}", flush=True)
    sys.stdin.read()
    http.shutdown()
    controller.stop()
    print(f"received {len(mails)} {len(seen)} {seen.count(False)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
