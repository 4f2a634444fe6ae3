"""The helpers other test suites use to find or start a Redis."""

from __future__ import annotations

import pytest
from pywry_state_redis.testing import ThrowawayRedis, redis_answers, redis_server_url


def test_the_environment_variable_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYWRY_TEST_REDIS_URL", "redis://example.invalid:1/2")
    assert redis_server_url() == "redis://example.invalid:1/2"


@pytest.mark.redis
def test_the_url_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYWRY_TEST_REDIS_URL", raising=False)
    url = redis_server_url()
    host_port = url.removeprefix("redis://").split("/")[0]
    host, port = host_port.rsplit(":", 1)
    assert redis_answers(host, int(port))


def test_a_missing_redis_server_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(RuntimeError, match=r"apt-get install redis-server"):
        ThrowawayRedis().start()


@pytest.mark.redis
def test_a_throwaway_server_restarts_on_its_port() -> None:
    with ThrowawayRedis() as server:
        assert redis_answers("127.0.0.1", server.port)
        server.stop()
        assert not redis_answers("127.0.0.1", server.port)
        server.start()
        assert redis_answers("127.0.0.1", server.port)
    assert not redis_answers("127.0.0.1", server.port)
