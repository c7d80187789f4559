"""Schemathesis hooks for Foodtruck's OpenAPI run (test/openapi-schemathesis.test.ts).

One rule of POST /admin/jobs spans fields and time, so no JSON Schema can state it: the window
must end in the future and not before it starts (the document says so in a description). A
generated body whose two window times are both valid RFC 3339 gets a window around now instead,
so that a schema-valid job is one the server can accept. A body whose times are malformed (what a
negative case may be about) is left as it was.
"""

import re
from datetime import datetime, timedelta, timezone

import schemathesis


def _is_rfc3339(value):
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return "T" in value.upper()


@schemathesis.hook
def map_case(context, case):
    if case.method.upper() != "POST" or case.operation.path != "/admin/jobs":
        return case
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("task"), dict):
        return case
    task = body["task"]
    if _is_rfc3339(task.get("window_start")) and _is_rfc3339(task.get("window_end")):
        now = datetime.now(timezone.utc)
        task = dict(task)
        task["window_start"] = (now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        task["window_end"] = (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        case.body = {**body, "task": task}
    return case


@schemathesis.hook("map_case")
def heartbeat_within_an_hour(context, case):
    """A status report's heartbeat_interval must also be at most 1h, which its pattern cannot say."""
    if case.method.upper() != "POST" or not case.operation.path.endswith("/tasks/status"):
        return case
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("heartbeat_interval"), str):
        if re.fullmatch(r"\+?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+", body["heartbeat_interval"]) and re.search(
            r"[1-9]", body["heartbeat_interval"]
        ):
            case.body = {**body, "heartbeat_interval": "30s"}
    return case


# A real RSA public key (its private half was thrown away): the key routes accept only a valid
# one, which no pattern can describe.
PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAjpQfUobNQOkYr0QSKs8t
bzDJdPios9Emzjlcq8KM80tFYA1pQS0wA6s0fWzxH7rjeDiPNwon4+geaWSLe7yv
mPuCIlsrUyNnko91VQvZyT7FxOOIQcH7sVmF7/OhjMVCmXufFhhDSf12CiQuA47T
tfswW/aOsGBuCUNhGd/EI2NWY3lLg7WLT++okKVWhH0NWUWxzzRbbybcmpZwt5Cp
tXcXiATF/HXuUkJmAYDNHt3z9Myf1xJgxcxjjm63jnbURNGM2/akKeFe0RmTLZq4
4f4DMJ+LkWHOjZBuEq73LuvD23QtvRPW93J1hVpbJPrXUTqqjuGtI+FwNNXL7Yvz
PwIDAQAB
-----END PUBLIC KEY-----
"""


@schemathesis.hook("map_case")
def a_real_public_key(context, case):
    """A schema-valid public_key is any string; the server takes only a real RSA key in PEM."""
    if case.method.upper() not in ("POST", "PUT") or not case.operation.path.endswith("/key"):
        return case
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("public_key"), str):
        case.body = {**body, "public_key": PUBLIC_KEY}
    return case
