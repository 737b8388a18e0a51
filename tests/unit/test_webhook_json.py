"""The webhook reads bodies with orjson where it can, and reads or refuses every body exactly as json does."""

from __future__ import annotations

import json

import pytest

from adapters.telegram.webhook import read_json

ODD_BUT_READABLE = [
    b'{"update_id": 123456789012345678901234567890}',  # past 64 bits: orjson refuses, json reads
    b'{"text": "\\ud800 alone"}',  # a lone surrogate
    b'{"n": NaN, "m": Infinity}',
    b'{"a": 1, "a": 2}',
    b'  {"callback_query": {"data": "proposal.vote:1"}, "update_id": 7}  ',
]
UNREADABLE = [b"", b"{", b"\xff\xfe{}", b"[" * 100_000 + b"]" * 100_000, b'{"a": 1} trailing']


@pytest.mark.parametrize("body", ODD_BUT_READABLE)
def test_whatever_json_reads_is_read_the_same(body: bytes) -> None:
    expected, got = json.loads(body), read_json(body)
    assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)


@pytest.mark.parametrize("body", UNREADABLE)
def test_whatever_json_refuses_is_refused(body: bytes) -> None:
    with pytest.raises((ValueError, RecursionError)):
        json.loads(body)
    with pytest.raises((ValueError, RecursionError)):
        read_json(body)


def test_integers_at_the_edges_of_64_bits_stay_integers() -> None:
    for number in (2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), 10**18, -(10**18) - 1):
        body = b'{"update_id": %d}' % number
        assert read_json(body) == {"update_id": number}
        assert type(read_json(body)["update_id"]) is int
