#!/usr/bin/env python3
"""A real SMTP server on 127.0.0.1 for the notify test: saves every message it accepts.

    smtp_sink.py OUTDIR PORTFILE     (prints the port it listens on into PORTFILE; stops after 120 s)
"""
import pathlib, socket, sys, time
from aiosmtpd.controller import Controller

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)


class Save:
    count = 0

    async def handle_DATA(self, server, session, envelope):
        Save.count += 1
        name = out / f"{Save.count:03d}.eml"
        name.write_bytes(envelope.original_content or envelope.content)
        (out / f"{Save.count:03d}.rcpt").write_text("\n".join(envelope.rcpt_tos))
        return "250 Message accepted"


with socket.socket() as s:      # a free port on the loopback address
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
controller = Controller(Save(), hostname="127.0.0.1", port=port)
controller.start()
pathlib.Path(sys.argv[2]).write_text(str(port))
try:
    time.sleep(120)
finally:
    controller.stop()
