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


def _around_now(window):
    """The same window fields, moved around now: a minute ago to an hour ahead."""
    now = datetime.now(timezone.utc)
    moved = dict(window)
    if "window_start" in moved:
        moved["window_start"] = (now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    if "window_end" in moved:
        moved["window_end"] = (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moved


@schemathesis.hook
def map_case(context, case):
    if case.method.upper() != "POST" or case.operation.path != "/admin/jobs":
        return case
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("task"), dict):
        return case
    task = body["task"]
    if _is_rfc3339(task.get("window_start")) and _is_rfc3339(task.get("window_end")):
        case.body = {**body, "task": _around_now(task)}
    return case


@schemathesis.hook("map_case")
def rerun_now_with_a_node(context, case):
    """A rerun's window obeys the same rule across fields and time as a new job's (when given, its
    times move around now, if they are valid RFC 3339). A rerun also needs a node whose task is in
    one of the chosen statuses, which depends on what happened to the job, not on the request's
    shape: a schema-valid body (with statuses or without, which means failed, timed_out and expired)
    asks for every status, so that any job has such a node."""
    if case.method.upper() != "POST" or case.operation.path != "/admin/jobs/{job_id}/rerun":
        return case
    body = case.body
    if not isinstance(body, dict):
        return case
    times = [body[field] for field in ("window_start", "window_end") if field in body]
    if not all(_is_rfc3339(value) for value in times):
        return case
    statuses = body.get("statuses", list(TASK_STATUSES))
    if not (isinstance(statuses, list) and statuses and all(s in TASK_STATUSES for s in statuses)):
        return case
    case.body = {**_around_now(body), "statuses": list(TASK_STATUSES)}
    return case


# src/wire/task-status.ts
TASK_STATUSES = ("queued", "pending", "running", "success", "failed", "cancelled", "expired", "timed_out")

# src/wire/go-duration.ts: Go's duration syntax, in milliseconds.
_UNIT_MS = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "μs": 1e-3, "ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}
_TERM = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)")


def _go_duration_ms(text):
    rest, sign = text, 1
    if rest[:1] in ("+", "-"):
        sign, rest = (-1 if rest[0] == "-" else 1), rest[1:]
    if rest == "0":
        return 0.0
    if rest == "":
        return None
    total, at = 0.0, 0
    while at < len(rest):
        match = _TERM.match(rest, at)
        if not match:
            return None
        total += float(match.group(1)) * _UNIT_MS[match.group(2)]
        at = match.end()
    return sign * total


@schemathesis.hook("map_case")
def a_short_wait(context, case):
    """A long poll's wait is a Go duration from 0s to 1m. The document's pattern states the syntax
    and that it is not negative; the upper bound, a bound on a sum of terms, is in its description.
    A valid wait also holds the answer that long when the node has nothing: one over 1 s (or over
    1m, which the server refuses) becomes 100ms so that the run stays short. A wait that is not a
    duration at all (what a negative case is about) is left as it was."""
    if case.method.upper() != "POST" or not case.operation.path.endswith("/tasks/next"):
        return case
    query = case.query
    if not isinstance(query, dict) or not isinstance(query.get("wait"), str):
        return case
    ms = _go_duration_ms(query["wait"])
    if ms is not None and ms >= 0 and ms > 1000:
        case.query = {**query, "wait": "100ms"}
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


# The node the test makes poll before the run (test/openapi-schemathesis.test.ts), so that a
# selector can pick it.
SEED_ORG = "schemathesis-seed"


def _request_schema(case):
    return case.operation.definition.raw["requestBody"]["content"]["application/json"]["schema"]


@schemathesis.hook("map_case")
def targets_that_pick_a_node(context, case):
    """A job's targets must pick at least one node, and which nodes exist is state, not shape: a
    schema-valid targets becomes one that picks the node the test made poll. An invalid one (what a
    negative case may be about) is left as it was."""
    if case.method.upper() != "POST" or case.operation.path != "/admin/jobs":
        return case
    body = case.body
    if not isinstance(body, dict) or "targets" not in body:
        return case
    import jsonschema_rs

    body_schema = _request_schema(case)
    schema = next(branch["properties"]["targets"] for branch in body_schema.get("anyOf", [body_schema]) if "targets" in branch.get("properties", {}))
    if jsonschema_rs.Draft202012Validator(schema).is_valid(body["targets"]):
        case.body = {**body, "targets": {"org": SEED_ORG}}
    return case


def _positive(case):
    return not case.meta.generation.mode.is_negative


@schemathesis.hook("map_case")
def each_attribute_once(context, case):
    """A selector's attr terms name each attribute once (a key given twice answers 400): a rule
    between the items of an array that no JSON Schema states. In a valid request, the first term of
    each key stays."""
    if case.method.upper() != "GET" or case.operation.path != "/admin/nodes" or not _positive(case):
        return case
    query = case.query
    if not isinstance(query, dict) or not isinstance(query.get("attr"), list):
        return case
    kept, keys = [], set()
    for term in query["attr"]:
        key = term.split("=", 1)[0] if isinstance(term, str) else term
        if key not in keys:
            keys.add(key)
            kept.append(term)
    case.query = {**query, "attr": kept}
    return case


SELECTOR_TERMS = ("org", "name", "tag", "any_tag", "attr", "os", "os_version", "arch", "seen_within")


@schemathesis.hook("map_case")
def never_seen_alone(context, case):
    """never_seen=true cannot go with selector terms (400): a rule between parameters. In a valid
    request that has both, never_seen becomes false."""
    if case.method.upper() != "GET" or case.operation.path != "/admin/nodes" or not _positive(case):
        return case
    query = case.query
    if isinstance(query, dict) and query.get("never_seen") == "true" and any(term in query for term in SELECTOR_TERMS):
        case.query = {**query, "never_seen": "false"}
    return case
