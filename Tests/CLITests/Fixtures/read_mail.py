#!/usr/bin/env python3
"""Parses received messages with Python's email package and prints what the test checks, as JSON."""
import email, email.policy, json, pathlib, sys

result = []
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.eml")):
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    parts = {part.get_content_type(): part.get_content() for part in msg.walk() if not part.is_multipart()}
    result.append({
        "to": str(msg["To"]), "subject": str(msg["Subject"]), "date": str(msg["Date"]), "message_id": str(msg["Message-ID"]),
        "type": msg.get_content_type(), "envelope": path.with_suffix(".rcpt").read_text().split("\n"),
        "plain": parts.get("text/plain", ""), "html": parts.get("text/html", ""),
        "defects": [str(d) for d in msg.defects],
    })
print(json.dumps(result))
