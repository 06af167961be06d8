from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import zmq

from conftest import Dealer, Running
from zsaga import Client, ClusterKeys, RefusedError, Topology, UnreachableError
from zsaga.topology import Process
from zsaga.wire import encode


def client_of(running: Running, **options: object) -> Client:
    topology = Topology([Process("saga", "orchestrator", "tcp://127.0.0.1:1", "tcp://127.0.0.1:2"),
                         Process("loyalty", "service", running.router, running.pub)])
    return Client(timeout_ms=3000, topology=topology, **options)  # type: ignore[arg-type]


def award(order: str, cents: int = 2500) -> dict[str, object]:
    return {"order_id": order, "user_id": "u1", "amount_cents": cents}


def test_a_retry_gets_the_recorded_reply_and_a_reused_id_a_conflict(loyalty: Running) -> None:
    dealer = Dealer(loyalty.router)
    first = dealer.ask(encode("command", id="s1/0/action", type="loyalty.AwardPoints", body=award("o1")))
    again = dealer.ask(encode("command", id="s1/0/action", type="loyalty.AwardPoints", body=dict(reversed(list(award("o1").items())))))
    assert first is not None and again == first, "the same command (keys in another order) gets the same reply, byte for byte"
    reply = json.loads(first)
    assert reply["outcome"] == "ok" and reply["events"] == [1] and reply["body"] == {"points": 25}
    conflict = json.loads(dealer.ask(encode("command", id="s1/0/action", type="loyalty.AwardPoints", body=award("o1", 9900))) or b"{}")
    assert conflict["kind"] == "error" and conflict["code"] == "conflict" and conflict["field"] == "id"
    assert loyalty.participant.calls == ["s1/0/action"], "the handler ran once"
    dealer.close()


def test_a_compensation_before_its_action_fences_the_step(loyalty: Running) -> None:
    client = client_of(loyalty)
    fence = client.command("loyalty", "loyalty.RevokePoints", {"order_id": "o2"}, id_="s2/0/compensation")
    assert fence["outcome"] == "ok" and fence["body"] == {"status": "fenced"} and fence["events"] == [1]
    late = client.command("loyalty", "loyalty.AwardPoints", award("o2"), id_="s2/0/action")
    assert late["outcome"] == "rejected" and late["reason"] == "aborted"
    assert loyalty.participant.calls == [], "neither handler ran: there was nothing to undo, and the late action took no effect"
    # An applied step is undone once, however many compensations come (a resumed round's too).
    client.command("loyalty", "loyalty.AwardPoints", award("o3"), id_="s3/1/action")
    client.command("loyalty", "loyalty.RevokePoints", {"order_id": "o3"}, id_="s3/1/compensation")
    twice = client.command("loyalty", "loyalty.RevokePoints", {"order_id": "o3"}, id_="s3/1/compensation/r1")
    assert twice["outcome"] == "ok" and twice["events"] == []
    assert loyalty.participant.calls == ["s3/1/action", "s3/1/compensation"]
    assert client.query("loyalty", "loyalty.Held") == {"points": 0}
    client.close()


def test_bad_input_gets_a_stable_code_and_the_participant_keeps_serving(loyalty: Running) -> None:
    dealer = Dealer(loyalty.router)
    answers = {
        "malformed": dealer.ask(b"{not json"),
        "unsupported_version": dealer.ask(b'{"v":7,"kind":"query","id":"q","type":"sys.Ping"}'),
        "unknown_type": dealer.ask(encode("command", id="c1", type="loyalty.Nope", body={})),
        "invalid_argument": dealer.ask(encode("command", id="c2", type="loyalty.AwardPoints", body={"order_id": 7})),
    }
    for code, answer in answers.items():
        assert answer is not None and json.loads(answer)["code"] == code, (code, answer)
    assert json.loads(answers["invalid_argument"] or b"{}")["field"] == "body.order_id"
    rejected = json.loads(dealer.ask(encode("command", id="c3", type="loyalty.AwardPoints", body=award("o9", 10_000_000))) or b"{}")
    assert rejected["outcome"] == "rejected" and rejected["reason"] == "too_many_points"
    ping = json.loads(dealer.ask(encode("query", id="p", type="sys.Ping", body={})) or b"{}")
    assert ping["body"]["service"] == "loyalty" and ping["body"]["head"] == 0, "refusals and a rejection without events record none"
    dealer.close()


def test_records_and_events_survive_a_restart(tmp_path: Path) -> None:
    running = Running(tmp_path / "loyalty")
    client = client_of(running)
    reply = client.command("loyalty", "loyalty.AwardPoints", award("o4"), id_="s4/0/action")
    running.stop()
    client.close()
    running.start()
    client = client_of(running)
    assert client.command("loyalty", "loyalty.AwardPoints", award("o4"), id_="s4/0/action") == reply
    assert client.query("loyalty", "sys.Head")["head"] == 1
    running.stop()
    client.close()


def test_follow_replays_the_log_then_goes_live_each_event_once(loyalty: Running) -> None:
    client = client_of(loyalty)
    for index in range(5):
        client.command("loyalty", "loyalty.AwardPoints", award(f"f{index}"), id_=f"f{index}/0/action")
    got: list[dict[str, object]] = []

    def later() -> None:
        time.sleep(0.5)
        writer = client_of(loyalty)
        for index in range(5, 8):
            writer.command("loyalty", "loyalty.AwardPoints", award(f"f{index}"), id_=f"f{index}/0/action")
        writer.close()

    threading.Thread(target=later, daemon=True).start()
    for event in client.follow("loyalty", from_seq=2, idle_ms=1500, follow=False):
        got.append(event)
    assert [event["seq"] for event in got] == list(range(2, 9))
    assert all(event["type"] == "PointsAwarded" and event["source"] == "loyalty" for event in got)
    assert got[0]["meta"]["causation_id"] == "f1/0/action"  # type: ignore[index]
    client.close()


def test_a_secured_participant_admits_the_clusters_keys_only(tmp_path: Path) -> None:
    secret = "python-participant-secret-0123456789"
    names = ["saga", "loyalty"]
    running = Running(tmp_path / "secured", keys=ClusterKeys.derived(secret, "loyalty", names))
    member = client_of(running, keys=ClusterKeys.derived(secret, "client", names))
    assert member.query("loyalty", "sys.Ping")["service"] == "loyalty"
    outsider = client_of(running, keys=ClusterKeys.derived("another-secret-0123456789abcdef", "client", names))
    outsider.timeout_ms = 700
    with pytest.raises(UnreachableError):
        outsider.query("loyalty", "sys.Ping")
    plaintext = Dealer(running.router, zmq.Context())
    assert plaintext.ask(encode("query", id="p", type="sys.Ping", body={}), timeout_ms=700) is None
    plaintext.close()
    member.close()
    outsider.close()
    running.stop()


def test_refusals_raise_with_their_code(loyalty: Running) -> None:
    client = client_of(loyalty)
    with pytest.raises(RefusedError) as refused:
        client.query("loyalty", "loyalty.Unknown")
    assert refused.value.code == "unknown_type" and refused.value.field == "type"
    client.close()


def test_sys_commands_lists_the_records_in_id_order_page_by_page(loyalty: Running) -> None:
    client = client_of(loyalty)
    for index in range(5):
        client.command("loyalty", "loyalty.AwardPoints", award(f"c{index}"), id_=f"c{index}/0/action")
    client.command("loyalty", "loyalty.AwardPoints", award("big", 10_000_000), id_="c9/0/action")
    seen: list[dict[str, object]] = []
    after: str | None = None
    pages = 0
    while True:
        page = client.query("loyalty", "sys.Commands", {"limit": 2, **({"after": after} if after else {})})
        seen += page["commands"]
        pages += 1
        after = page["next"]
        if after is None:
            break
    assert pages == 3
    assert [entry["command_id"] for entry in seen] == [f"c{index}/0/action" for index in range(5)] + ["c9/0/action"]
    assert seen[0]["outcome"] == "ok" and seen[0]["events"] == [1]
    assert seen[-1]["outcome"] == "rejected" and seen[-1]["reason"] == "too_many_points" and seen[-1]["events"] == []
    with pytest.raises(RefusedError) as refused:
        client.query("loyalty", "sys.Commands", {"limit": 0})
    assert refused.value.code == "invalid_argument" and refused.value.field == "body.limit"
    client.close()


def test_a_bad_traceparent_is_refused_and_a_good_one_is_taken(loyalty: Running) -> None:
    dealer = Dealer(loyalty.router)
    bad = json.loads(dealer.ask(encode("command", id="t1/0/action", type="loyalty.AwardPoints", body=award("t1"),
                                       traceparent="00-nope")) or b"{}")
    assert bad["code"] == "invalid_argument" and bad["field"] == "traceparent"
    good = json.loads(dealer.ask(encode("command", id="t2/0/action", type="loyalty.AwardPoints", body=award("t2"),
                                        traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")) or b"{}")
    assert good["outcome"] == "ok", "tracing off, the context is carried and nothing else changes"
    dealer.close()
