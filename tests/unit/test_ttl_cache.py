"""The per-container read cache behind token verification: kept for its time to live, never longer."""

from functions.common.dal.ttl_cache import TtlCache
from tests.support.fakes import FakeClock


def test_a_value_is_kept_for_its_time_to_live_only() -> None:
    # Given a 5 s cache holding one value, on a clock we move
    clock = FakeClock()
    cache: TtlCache[str] = TtlCache(5.0, clock=clock)
    cache.put("token", "record")
    # When 4.9 s pass it is still served; at 5 s it is read again (gone from the cache)
    clock.advance(4.9)
    assert cache.get("token") == "record"
    clock.advance(0.1)
    assert cache.get("token") is None


def test_replacing_a_value_keeps_its_expiry_and_clearing_forgets_everything() -> None:
    # Given a kept value, changed 3 s later
    clock = FakeClock()
    cache: TtlCache[int] = TtlCache(5.0, clock=clock)
    cache.put("a", 1)
    clock.advance(3)
    cache.replace("a", lambda value: value + 1)
    cache.replace("missing", lambda value: value + 1)
    # Then the new value is served until the first read's 5 s are over, and nothing was invented
    assert (cache.get("a"), cache.get("missing")) == (2, None)
    clock.advance(2)
    assert cache.get("a") is None
    cache.put("b", 1)
    cache.clear()
    assert cache.get("b") is None


def test_the_cache_stays_bounded() -> None:
    # Given a cache of at most 2 entries, when a third key arrives, it starts over
    cache: TtlCache[int] = TtlCache(5.0, max_entries=2, clock=FakeClock())
    for key in ("a", "b", "c"):
        cache.put(key, 1)
    assert [cache.get(key) for key in ("a", "b", "c")] == [None, None, 1]
