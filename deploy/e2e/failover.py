"""The failover scenario of scripts/deploy-test: traffic through nginx to two `serve` replicas
while one is killed (SIGKILL) and restarted, then the other is rolled (SIGTERM, restarted).

  failover.py --url https://127.0.0.1:PORT --replicas A_PID_FILE,B_PID_FILE --restart CMD_FILE ...

It is driven by scripts/deploy-test, which starts the servers, replicas and nginx; this file is
the clients and the assertions (standard library only: a minimal RFC 6455 client over TLS).

Assertions (exit 1 when one fails):
  - every message whose POST was acknowledged (201/200) is stored (REST read back) and reached every
    real-time client of every member, exactly once, in order (event ids strictly increasing, no
    duplicate) across its reconnects with last_event_id;
  - nginx answered 5xx only for requests that were in flight on the killed replica (their upstream
    is the killed replica, within a second of the kill), none during the SIGTERM roll.
Figures are printed as one JSON object on the last line.
"""
import argparse
import base64
import http.client
import json
import os
import random
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


class Api:
    def __init__(self, host, port, token=None):
        self.host, self.port, self.token = host, port, token
        self.conn = None

    def request(self, method, path, body=None, timeout=10):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body) if body is not None else None
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(self.host, self.port, context=CTX, timeout=timeout)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                payload = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                try:
                    return r.status, json.loads(payload) if payload else None
                except ValueError:
                    return r.status, payload.decode(errors="replace")
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise RuntimeError("unreachable")


class WsClient(threading.Thread):
    """One real-time client: connects, records every event, reconnects with last_event_id."""

    def __init__(self, name, host, port, token, stop):
        super().__init__(daemon=True)
        self.name, self.host, self.port, self.token, self.stop = name, host, port, token, stop
        self.last_id = None
        self.event_ids = []          # every stored event id received, in arrival order
        self.messages = []           # message ids of message.created, in arrival order
        self.connects = 0
        self.disconnects = []        # (time, reason)
        self.resume_gaps = []        # seconds from a drop to the next "ready"
        self.errors = []
        self.ready_at = None

    def _connect(self):
        raw = socket.create_connection((self.host, self.port), timeout=5)
        sock = CTX.wrap_socket(raw, server_hostname="localhost")
        key = base64.b64encode(os.urandom(16)).decode()
        path = "/api/v1/realtime" + (f"?last_event_id={self.last_id}" if self.last_id is not None else "")
        sock.sendall((f"GET {path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                      f"Authorization: Bearer {self.token}\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during handshake")
            head += chunk
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise ConnectionError(f"handshake: {status.decode(errors='replace')}")
        self.buf = head.split(b"\r\n\r\n", 1)[1]
        self.sock = sock
        sock.settimeout(1.0)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _frame(self):
        b0, b1 = self._read(2)
        op, ln = b0 & 0x0F, b1 & 0x7F
        if ln == 126:
            ln = struct.unpack("!H", self._read(2))[0]
        elif ln == 127:
            ln = struct.unpack("!Q", self._read(8))[0]
        return op, self._read(ln)

    def _send(self, op, payload):
        mask = os.urandom(4)
        head = bytes([0x80 | op])
        n = len(payload)
        head += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def run(self):
        dropped_at = None
        while not self.stop.is_set():
            try:
                self._connect()
                self.connects += 1
                last_ping = time.time()
                while not self.stop.is_set():
                    if time.time() - last_ping > 10:
                        self._send(1, b'{"type":"ping"}')
                        last_ping = time.time()
                    try:
                        op, payload = self._frame()
                    except socket.timeout:
                        continue
                    if op == 8:
                        code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 0
                        raise ConnectionError(f"close {code}")
                    if op == 9:
                        self._send(10, payload)
                        continue
                    if op != 1:
                        continue
                    frame = json.loads(payload)
                    if frame.get("type") == "ready":
                        if self.ready_at is None:
                            self.ready_at = time.time()
                        if dropped_at is not None:
                            self.resume_gaps.append(time.time() - dropped_at)
                            dropped_at = None
                        continue
                    if "id" in frame:
                        self.event_ids.append(frame["id"])
                        self.last_id = frame["id"]
                        if frame["type"] == "message.created":
                            self.messages.append(frame["data"]["id"])
                        elif frame["type"] == "resync_required":
                            self.errors.append("resync_required")
            except Exception as e:  # noqa: BLE001 - any drop: reconnect and resume
                if dropped_at is None:
                    dropped_at = time.time()
                self.disconnects.append((time.time(), str(e)[:80]))
                try:
                    self.sock.close()
                except Exception:  # noqa: BLE001
                    pass
                time.sleep(0.1 + random.random() * 0.2)


class LongPoller(threading.Thread):
    """The long-poll fallback (GET /api/v1/events): always one request waiting on a replica, so one
    is in flight when a replica is killed or drained; resumes from the last id it got."""

    def __init__(self, name, host, port, token, stop, timeout):
        super().__init__(daemon=True)
        self.api = Api(host, port, token)
        self.name, self.stop, self.timeout = name, stop, timeout
        self.last_id = None
        self.event_ids, self.messages, self.failures, self.polls = [], [], [], 0
        self.errors = []

    def run(self):
        while not self.stop.is_set():
            path = "/api/v1/events" + (f"?last_event_id={self.last_id}&timeout={self.timeout}" if self.last_id is not None else "")
            try:
                status, body = self.api.request("GET", path, timeout=self.timeout + 15)
            except Exception as e:  # noqa: BLE001
                status, body = None, str(e)
            self.polls += 1
            if status != 200:
                self.failures.append((time.time(), status if status else str(body)[:60]))
                time.sleep(0.1)
                continue
            for frame in body["events"]:
                if frame.get("type") == "resync_required":
                    self.errors.append("resync_required")
                if "id" in frame:
                    self.event_ids.append(frame["id"])
                    if frame["type"] == "message.created":
                        self.messages.append(frame["data"]["id"])
            self.last_id = body["last_event_id"]


class Sender(threading.Thread):
    def __init__(self, name, host, port, token, conversation, stop, rate):
        super().__init__(daemon=True)
        self.api = Api(host, port, token)
        self.name, self.conversation, self.stop, self.rate = name, conversation, stop, rate
        self.acked = {}              # message id -> client_msg_id
        self.failures = []           # (time, status or error)
        self.attempts = 0
        self.retried_acked = 0

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            cmid = f"{self.name}-{n}"
            # A failed send is retried with the same client_msg_id (Parley returns the original).
            for attempt in range(20):
                self.attempts += 1
                try:
                    status, body = self.api.request("POST", f"/api/v1/conversations/{self.conversation}/messages",
                                                    {"body": f"{cmid}", "client_msg_id": cmid})
                except Exception as e:  # noqa: BLE001
                    status, body = None, str(e)
                if status in (200, 201):
                    self.acked[body["id"]] = cmid
                    if attempt:
                        self.retried_acked += 1
                    break
                self.failures.append((time.time(), status if status else str(body)[:60]))
                time.sleep(0.05)
            time.sleep(1.0 / self.rate)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--control", required=True, help="folder: replica pids and restart commands")
    ap.add_argument("--access-log", required=True)
    ap.add_argument("--users", type=int, default=3)
    ap.add_argument("--sockets-per-user", type=int, default=2)
    ap.add_argument("--rate", type=float, default=10.0, help="messages per second per sender")
    ap.add_argument("--long-polls", type=int, default=2, help="long-poll clients (one per user, from the second)")
    ap.add_argument("--poll-timeout", type=int, default=5, help="seconds each long poll waits")
    args = ap.parse_args()
    host, port = args.url.split("://")[1].split(":")
    port = int(port)
    anon = Api(host, port)
    tokens, ids = [], []
    tag = os.urandom(3).hex()
    for i in range(args.users):
        user = {"username": f"e2e{tag}u{i}", "email": f"e2e{tag}u{i}@example.com", "password": "correct horse battery staple"}
        status, body = anon.request("POST", "/api/v1/auth/register", user)
        assert status == 201, (status, body)
        ids.append(body["id"])
        status, body = anon.request("POST", "/api/v1/auth/token", {"login": user["username"], "password": user["password"]})
        assert status == 200, (status, body)
        tokens.append(body["access"])
    owner = Api(host, port, tokens[0])
    status, conv = owner.request("POST", "/api/v1/conversations", {"kind": "group", "name": "failover", "member_ids": ids[1:]})
    assert status == 201, (status, conv)

    stop = threading.Event()
    clients = [WsClient(f"u{u}s{s}", host, port, tokens[u], stop)
               for u in range(args.users) for s in range(args.sockets_per_user)]
    for c in clients:
        c.start()
    deadline = time.time() + 15
    while any(c.ready_at is None for c in clients) and time.time() < deadline:
        time.sleep(0.05)
    assert all(c.ready_at for c in clients), "real-time clients did not connect"
    pollers = [LongPoller(f"u{1 + i % (args.users - 1)}lp{i}", host, port, tokens[1 + i % (args.users - 1)], stop, args.poll_timeout)
               for i in range(args.long_polls)]
    for p in pollers:
        p.start()
    deadline = time.time() + 10
    while any(p.last_id is None for p in pollers) and time.time() < deadline:
        time.sleep(0.05)
    senders = [Sender(f"s{u}", host, port, tokens[u], conv["id"], threading.Event(), args.rate) for u in range(2)]
    for s in senders:
        s.start()

    def upstream(name):
        """The replica's address as nginx logs it: <name>.addr, else 127.0.0.1:<name>.port."""
        path = os.path.join(args.control, f"{name}.addr")
        if os.path.exists(path):
            return open(path).read().strip()
        return "127.0.0.1:" + open(os.path.join(args.control, f"{name}.port")).read().strip()

    def pid(name):
        return int(open(os.path.join(args.control, f"{name}.pid")).read())

    def restart(name):
        subprocess.run(["bash", os.path.join(args.control, f"{name}.start")], check=True)

    def wait_gone(p, limit):
        t0 = time.time()
        while time.time() - t0 < limit:
            try:
                os.kill(p, 0)
            except ProcessLookupError:
                return time.time() - t0
            time.sleep(0.02)
        return None

    def wait_in_rotation(name, offset, limit=30):
        """Seconds until nginx answers a request from replica <name> again (read from its access log
        from byte <offset> on); None when it does not within <limit> seconds."""
        addr_ = upstream(name)
        t0 = time.time()
        while time.time() - t0 < limit:
            with open(args.access_log) as log:
                log.seek(offset)
                for line in log:
                    try:
                        e = json.loads(line)
                    except ValueError:
                        continue
                    last = e["upstream_addr"].split(",")[-1].strip()
                    if last == addr_ and e["upstream_status"].split(",")[-1].strip() < "500":
                        return round(time.time() - t0, 2)
            time.sleep(0.1)
        return None

    timeline = {}
    t_start = time.time()
    time.sleep(5)
    # 1. SIGKILL replica a, then bring it back.
    timeline["kill"] = time.time()
    os.kill(pid("a"), signal.SIGKILL)
    wait_gone(pid("a"), 5)
    time.sleep(3)
    t0 = time.time()
    offset = os.path.getsize(args.access_log)
    restart("a")
    timeline["a_back_s"] = round(time.time() - t0, 2)
    # A roll waits until the load balancer uses the restarted replica before stopping the next.
    timeline["a_in_rotation_s"] = wait_in_rotation("a", offset)
    time.sleep(1)
    # 2. Roll replica b: SIGTERM, wait for its drain to finish, start the new one.
    timeline["term"] = time.time()
    old = pid("b")
    os.kill(old, signal.SIGTERM)
    drained = wait_gone(old, 30)
    timeline["b_drain_s"] = round(drained, 2) if drained is not None else None
    t0 = time.time()
    offset = os.path.getsize(args.access_log)
    restart("b")
    timeline["b_back_s"] = round(time.time() - t0, 2)
    timeline["b_in_rotation_s"] = wait_in_rotation("b", offset)
    timeline["term_end"] = time.time()
    time.sleep(5)
    for s in senders:
        s.stop.set()
    for s in senders:
        s.join(30)
    time.sleep(3)  # the last events reach every socket
    stop.set()
    for c in clients:
        c.join(5)
    for p in pollers:
        p.join(args.poll_timeout + 20)

    acked = {}
    for s in senders:
        acked.update(s.acked)
    # Stored: read the conversation back through the API (pages of 100).
    stored, path = set(), f"/api/v1/conversations/{conv['id']}/messages?limit=100"
    while path:
        status, page = owner.request("GET", path)
        assert status == 200, (status, page)
        new = {m["id"] for m in page["results"]} - stored
        stored |= new
        prev = page.get("previous")
        path = prev[prev.index("/api/"):] if prev and new else None
    problems = []
    lost_store = sorted(set(acked) - stored)
    if lost_store:
        problems.append(f"{len(lost_store)} acknowledged messages not stored: {lost_store[:10]}")
    for c in clients:
        if c.event_ids != sorted(set(c.event_ids)):
            problems.append(f"client {c.name}: event ids not strictly increasing (duplicate or reordered)")
        missing = set(acked) - set(c.messages)
        if missing:
            problems.append(f"client {c.name}: {len(missing)} acknowledged messages never received: {sorted(missing)[:10]}")
        if c.errors:
            problems.append(f"client {c.name}: {c.errors[:3]}")
    for p in pollers:
        if p.event_ids != sorted(set(p.event_ids)):
            problems.append(f"long poll {p.name}: event ids not strictly increasing (duplicate or reordered)")
        missing = set(acked) - set(p.messages)
        if missing:
            problems.append(f"long poll {p.name}: {len(missing)} acknowledged messages never received: {sorted(missing)[:10]}")
        if p.errors:
            problems.append(f"long poll {p.name}: {p.errors[:3]}")
    # nginx: every 5xx must be an in-flight request of the killed replica.
    a_addr = upstream("a")
    five_xx, five_xx_other = [], []
    retried = 0  # answered by a second replica after the first failed (upstream_addr "a, b")
    for line in open(args.access_log):
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if "," in e["upstream_addr"] and e["status"] < 500:
            retried += 1
        if e["status"] >= 500:
            five_xx.append(e)
            # An in-flight request of the killed replica: its (only) upstream is replica a.
            if e["upstream_addr"].strip() != a_addr:
                five_xx_other.append(e)
    if five_xx_other:
        problems.append(f"{len(five_xx_other)} 5xx not from the killed replica: {five_xx_other[:3]}")
    figures = {
        "users": args.users,
        "sockets": len(clients),
        "messages_acknowledged": len(acked),
        "send_attempts": sum(s.attempts for s in senders),
        "send_failures": sum(len(s.failures) for s in senders),
        "acknowledged_after_retry": sum(s.retried_acked for s in senders),
        "nginx_5xx": len(five_xx),
        "nginx_5xx_not_killed_replica": len(five_xx_other),
        "reconnects": sum(c.connects - 1 for c in clients),
        "resume_gap_max_s": round(max((g for c in clients for g in c.resume_gaps), default=0), 2),
        "resume_gap_median_s": round(sorted(g for c in clients for g in c.resume_gaps)[len([g for c in clients for g in c.resume_gaps]) // 2], 2)
        if any(c.resume_gaps for c in clients) else 0,
        "events_per_client_min": min(len(c.messages) for c in clients),
        "long_polls": sum(p.polls for p in pollers),
        "long_poll_failures": sum(len(p.failures) for p in pollers),
        "long_poll_events_min": min((len(p.messages) for p in pollers), default=0),
        "requests_retried_by_nginx": retried,
        "replica_a_restart_s": timeline["a_back_s"],
        "replica_a_back_in_nginx_s": timeline["a_in_rotation_s"],
        "replica_b_back_in_nginx_s": timeline["b_in_rotation_s"],
        "replica_b_drain_s": timeline["b_drain_s"],
        "replica_b_restart_s": timeline["b_back_s"],
        "duration_s": round(time.time() - t_start, 1),
        "lost": len(lost_store) + sum(len(set(acked) - set(c.messages)) for c in clients),
    }
    for p in problems:
        print(f"failover: FAIL {p}")
    print(json.dumps(figures))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
