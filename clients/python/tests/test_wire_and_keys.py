from __future__ import annotations

import pytest

from zsaga import RefusedError, body_hash, derived_pair, parse_saga_command_id
from zsaga.keys import ClusterKeys
from zsaga.wire import decode, encode


def test_keys_derived_from_the_cluster_secret_match_the_swift_derivation() -> None:
    # `ZSAGA_CLUSTER_SECRET=python-parity-secret-0123456789 sagactl keygen --cluster DIR` wrote these.
    client = derived_pair("python-parity-secret-0123456789", "client")
    assert client.secret == "ZPrY]}TYoT/%&J]uXV1Jxqv=ekNBJcmtp$Ba@A[9"
    assert client.public == "vTmqs^]j4imu6pFkhMuSX])p1)<ky9134kn):3*]"
    assert derived_pair("python-parity-secret-0123456789", "order").public == "i2W0l8ooc(^HAK:E+2on3ET^h[^i9r@S[e8m9{MN"
    keys = ClusterKeys.derived("python-parity-secret-0123456789", "loyalty", ["saga", "order", "loyalty"])
    assert keys.servers["order"] == "i2W0l8ooc(^HAK:E+2on3ET^h[^i9r@S[e8m9{MN"
    assert keys.authorized[client.public] == "client"
    with pytest.raises(Exception, match="at least 16 bytes"):
        derived_pair("short", "client")


def test_envelopes_round_trip_and_bad_ones_are_refused_with_their_code() -> None:
    frame = encode("query", id="q1", type="sys.Ping", body={})
    assert decode(frame) == {"v": 1, "kind": "query", "id": "q1", "type": "sys.Ping", "body": {}}
    for bad, code in [(b"{", "malformed"), (b"[]", "malformed"), (b'{"v":2,"kind":"query"}', "unsupported_version"),
                      (b'{"v":1}', "malformed"), (b'{"v":1,"kind":"query","x":NaN}', "malformed"), (b"\xff", "malformed")]:
        with pytest.raises(RefusedError) as refused:
            decode(bad)
        assert refused.value.code == code


def test_the_body_hash_ignores_key_order_and_tells_bodies_apart() -> None:
    assert body_hash("a.B", {"x": 1, "y": [1, 2]}) == body_hash("a.B", {"y": [1, 2], "x": 1})
    assert body_hash("a.B", {"x": 1}) != body_hash("a.B", {"x": 2})
    assert body_hash("a.B", {"x": 1}) != body_hash("a.C", {"x": 1})
    assert -(1 << 63) <= body_hash("a.B", {}) < 1 << 63


def test_saga_command_ids_name_the_saga_the_step_and_the_role() -> None:
    assert parse_saga_command_id("s1/2/action") == ("s1", 2, "action")
    assert parse_saga_command_id("a/b/0/compensation/r3") == ("a/b", 0, "compensation")
    assert parse_saga_command_id("s1/complete/1") == ("s1", None, "completion")
    assert parse_saga_command_id("plain-id") is None
    assert parse_saga_command_id("s1/x/action") is None
