#!/usr/bin/env python3
"""Cold-start benchmark: each built `bootstrap` against a local Lambda Runtime API.

For every run the harness starts a fresh process of the function (a cold start), serves it
one invocation through a tiny Runtime API emulator and measures, from just before the spawn:

  ready    the function's first `GET /2018-06-01/runtime/invocation/next`: init is done
           (configuration read, secret fetched, clients built);
  answered the `POST .../invocation/<id>/response` of that first invocation: what Twitter
           waits for (its CRC allows 3 s, cold start included).

Secrets Manager and DynamoDB are moto (`moto_server`, started on a free port, reached through
AWS_ENDPOINT_URL). Two secret modes:

  env      the consumer secret in TWITTER_CONSUMER_SECRET: the function's own start-up cost,
           "not counting the secret fetch";
  moto     TWITTER_SECRET_ARN set: the secret is fetched from Secrets Manager (moto) at init.

Events are the fixtures in tests/fixtures/ (API Gateway v2 CRC GET and signed webhook POST,
consumer secret `fixture-consumer-secret`). The watchdog, which needs Twitter for its
invocation, is measured up to `ready` only.

Usage:
  python3 bench/coldstart.py --bin-dir target/bench/x86_64-o3/release [--runs 30] [--json out]

Times are wall-clock on this machine (shared, 2 cores): read the medians, not single runs.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
CONSUMER_SECRET = "fixture-consumer-secret"
SECRET_NAME = "dmbot-bench"
TABLE = "dmbot-bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Invocation:
    """One cold start: the event to hand out and the timestamps the function reaches."""

    def __init__(self, event: bytes):
        self.event = event
        self.request_id = str(uuid.uuid4())
        self.served = False
        self.t_ready = None
        self.t_answered = None
        self.response = None
        self.error = None
        self.done = threading.Event()
        self.release = threading.Event()


class RuntimeApi(BaseHTTPRequestHandler):
    """The subset of the Lambda Runtime API a Rust runtime uses for one invocation. Each run
    gets its own server (and port), so a killed process's late request never reaches the next
    run."""

    protocol_version = "HTTP/1.1"
    current: Invocation = None  # set per server (subclass)

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        inv = self.current
        if self.path.endswith("/runtime/invocation/next"):
            now = time.perf_counter_ns()
            if inv.t_ready is None:
                inv.t_ready = now
            if inv.served:
                # A second /next: the process is warm and waiting; hold it until the run ends.
                inv.release.wait(10)
                self._send(500, b"{}")
                return
            inv.served = True
            deadline = int(time.time() * 1000) + 30_000
            self._send(
                200,
                inv.event,
                {
                    "Content-Type": "application/json",
                    "Lambda-Runtime-Aws-Request-Id": inv.request_id,
                    "Lambda-Runtime-Deadline-Ms": str(deadline),
                    "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:bench",
                    "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000",
                },
            )
        else:
            self._send(404)

    def do_POST(self):
        inv = self.current
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        now = time.perf_counter_ns()
        if self.path.endswith("/response"):
            inv.t_answered = now
            inv.response = body
        else:  # /error or /init/error
            inv.error = body.decode(errors="replace")
        self._send(202, b"{}")
        inv.done.set()


def start_moto():
    port = free_port()
    log = open(ROOT / "target" / "bench-moto.log", "w") if (ROOT / "target").exists() else subprocess.DEVNULL
    proc = subprocess.Popen(["moto_server", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(endpoint + "/moto-api/", timeout=0.5)
            break
        except Exception:
            time.sleep(0.1)
    return proc, endpoint


def prepare_aws(endpoint):
    import boto3

    kw = dict(
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    sm = boto3.client("secretsmanager", **kw)
    doc = {
        "consumer_key": "fixture-consumer-key",
        "consumer_secret": CONSUMER_SECRET,
        "access_token": "1-fixture-token",
        "access_token_secret": "fixture-token-secret",
    }
    arn = sm.create_secret(Name=SECRET_NAME, SecretString=json.dumps(doc))["ARN"]
    ddb = boto3.client("dynamodb", **kw)
    ddb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
    )
    return arn


def one_run(binary: Path, event: bytes, env: dict, needs_answer: bool):
    inv = Invocation(event)
    api_port = free_port()
    handler = type("RunApi", (RuntimeApi,), {"current": inv})
    server = ThreadingHTTPServer(("127.0.0.1", api_port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    full_env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{api_port}",
        "AWS_LAMBDA_FUNCTION_NAME": binary.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "RUST_LOG": "warn",
        **env,
    }
    t0 = time.perf_counter_ns()
    proc = subprocess.Popen([str(binary)], env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if needs_answer:
        inv.done.wait(10)
    else:
        for _ in range(1000):
            if inv.t_ready is not None:
                break
            time.sleep(0.001)
    inv.release.set()
    proc.kill()
    _, stderr = proc.communicate()
    server.shutdown()
    server.server_close()
    ready = (inv.t_ready - t0) / 1e6 if inv.t_ready else None
    answered = (inv.t_answered - t0) / 1e6 if inv.t_answered else None
    problem = None
    if needs_answer and answered is None:
        problem = inv.error or stderr.decode(errors="replace")[-500:] or "no answer"
    elif needs_answer and inv.response is not None:
        status = json.loads(inv.response).get("statusCode")
        if status != 200:
            problem = f"status {status}: {inv.response[:300]!r}"
    elif not needs_answer and ready is None:
        problem = stderr.decode(errors="replace")[-500:] or "never ready"
    return ready, answered, problem


def summary(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    return {
        "median": round(statistics.median(values), 2),
        "p90": round(p90, 2),
        "min": round(values[0], 2),
        "n": len(values),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin-dir", required=True, help="directory with the built crc, webhook, watchdog binaries")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--json", help="write the results here as JSON")
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    bin_dir = Path(args.bin_dir)

    moto, endpoint = start_moto()
    try:
        arn = prepare_aws(endpoint)
        crc_event = (FIXTURES / "apigw_crc_get.json").read_bytes()
        post_event = (FIXTURES / "apigw_webhook_post.json").read_bytes()
        common = {"AWS_ENDPOINT_URL": endpoint, "TABLE_NAME": TABLE}
        secret_env = {"env": {"TWITTER_CONSUMER_SECRET": CONSUMER_SECRET}, "moto": {"TWITTER_SECRET_ARN": arn}}
        cases = [
            ("crc", crc_event, True),
            ("webhook", post_event, True),
            ("watchdog", b"{}", False),
        ]
        results = []
        for name, event, needs_answer in cases:
            binary = bin_dir / name
            if not binary.exists():
                print(f"skip {name}: {binary} not built", file=sys.stderr)
                continue
            for mode, extra in secret_env.items():
                if name == "watchdog" and mode == "env":
                    extra = {
                        "TWITTER_CONSUMER_KEY": "k",
                        "TWITTER_CONSUMER_SECRET": CONSUMER_SECRET,
                        "TWITTER_ACCESS_TOKEN": "1-t",
                        "TWITTER_ACCESS_TOKEN_SECRET": "s",
                    }
                env = {**common, **extra}
                if name == "watchdog":
                    env["TWITTER_ENV_NAME"] = "bench"
                one_run(binary, event, env, needs_answer)  # warm the page cache
                readies, answers, problems = [], [], []
                for _ in range(args.runs):
                    r, a, p = one_run(binary, event, env, needs_answer)
                    readies.append(r)
                    answers.append(a)
                    if p:
                        problems.append(p)
                row = {
                    "function": name,
                    "secret": mode,
                    "ready_ms": summary(readies),
                    "answered_ms": summary(answers) if needs_answer else None,
                    "failures": len(problems),
                    "size_bytes": binary.stat().st_size,
                }
                if problems:
                    row["first_problem"] = problems[0][:300]
                results.append(row)
                a = row["answered_ms"]
                print(
                    f"{args.label:8} {name:9} secret={mode:4}  ready median {row['ready_ms']['median'] if row['ready_ms'] else '-':>7} ms"
                    f"  answered median {a['median'] if a else '-':>7} ms (p90 {a['p90'] if a else '-'}, min {a['min'] if a else '-'})"
                    f"  failures {len(problems)}",
                    flush=True,
                )
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2))
    finally:
        moto.kill()
        moto.wait()


if __name__ == "__main__":
    main()
