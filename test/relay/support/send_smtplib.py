"""Sends one message with Python's smtplib (the interop tests' second real client).

Reads a JSON object on stdin: {"port", "from", "to": [...], "data_b64", "options": [...],
"starttls": bool} and prints {"ok": true, "tls": ...} or {"ok": false, "error": "..."} on stdout.
"""
import base64
import json
import smtplib
import ssl
import sys

req = json.load(sys.stdin)
try:
    with smtplib.SMTP("127.0.0.1", req["port"], local_hostname="python.client.test", timeout=60) as s:
        s.ehlo()
        tls = None
        if req.get("starttls"):
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE  # a self-signed test certificate
            s.starttls(context=ctx)
            s.ehlo()
            tls = s.sock.version()
        refused = s.sendmail(req["from"], req["to"], base64.b64decode(req["data_b64"]), mail_options=req.get("options", []))
        print(json.dumps({"ok": not refused, "tls": tls, "refused": {k: list(v) for k, v in refused.items()}}, default=str))
except Exception as e:  # noqa: BLE001 - report anything to the test
    print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}, default=str))
