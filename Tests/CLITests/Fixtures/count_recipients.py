#!/usr/bin/env python3
"""Parses each .eml file in a folder with Python's email package (RFC 5322) and prints, as JSON,
who it is addressed to: the mailboxes of To, Cc and Bcc as the modern parser reads them, and as
`sendmail -t` would (every address in those headers, by the compat32 parser's getaddresses)."""
import email, email.policy, email.utils, json, pathlib, sys

result = []
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.eml")):
    raw = path.read_bytes()
    modern = email.message_from_bytes(raw, policy=email.policy.default)
    legacy = email.message_from_bytes(raw, policy=email.policy.compat32)
    fields = ["to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc"]
    mailboxes = [{"name": a.display_name, "address": a.addr_spec}
                 for f in fields for h in modern.get_all(f, []) for a in h.addresses]
    sendmail = [addr for _, addr in email.utils.getaddresses([v for f in fields for v in legacy.get_all(f, [])]) if addr]
    result.append({
        "file": path.name, "headers": [k.lower() for k in modern.keys()], "mailboxes": mailboxes, "sendmail": sendmail,
        "subject": str(modern["Subject"]),
        "defects": [str(d) for d in modern.defects] + [str(d) for h in modern.values() for d in getattr(h, "defects", [])],
    })
print(json.dumps(result))
