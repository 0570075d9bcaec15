import itertools

import pytest

from bot.store.statemachine import (
    STATUSES, TERMINAL, TRANSITIONS, IllegalTransition, can_transition, check_transition,
)

ACTIVE = ("new", "dispatched", "accepted", "on_site", "reopened")
EXPECTED = {
    ("new", "dispatched"), ("dispatched", "accepted"), ("accepted", "on_site"),
    ("accepted", "resolved"), ("on_site", "resolved"), ("resolved", "closed"),
    ("resolved", "reopened"), ("closed", "reopened"), ("reopened", "dispatched"),
    *((s, "cancelled") for s in ACTIVE),
    ("new", "merged"), ("dispatched", "merged"),
}


def test_statuses():
    assert set(STATUSES) == {"new", "dispatched", "accepted", "on_site", "resolved", "closed",
                             "reopened", "cancelled", "merged"}
    assert set(TRANSITIONS) == set(STATUSES)


def test_transition_table_is_exactly_the_domain_model():
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == EXPECTED


@pytest.mark.parametrize("pair", sorted(itertools.product(STATUSES, STATUSES)))
def test_every_pair(pair):
    from_status, to_status = pair
    if pair in EXPECTED:
        assert can_transition(from_status, to_status)
        check_transition(from_status, to_status)
    else:
        assert not can_transition(from_status, to_status)
        with pytest.raises(IllegalTransition) as info:
            check_transition(from_status, to_status)
        assert info.value.from_status == from_status and info.value.to_status == to_status


def test_terminal_and_closed():
    assert TERMINAL == {"cancelled", "merged"}
    assert TRANSITIONS["closed"] == {"reopened"}


def test_message_is_bilingual_and_a_value_error():
    with pytest.raises(ValueError) as info:
        check_transition("new", "resolved")
    message = str(info.value)
    assert "illegal work-order transition new -> resolved" in message
    assert "新建" in message and "已办结" in message
    assert "allowed from new: cancelled, dispatched, merged" in message


def test_final_status_message():
    with pytest.raises(IllegalTransition, match="cancelled is final"):
        check_transition("cancelled", "dispatched")


def test_unknown_status():
    with pytest.raises(IllegalTransition, match="unknown work-order status 'done'"):
        check_transition("resolved", "done")
    assert not can_transition("nonsense", "new")
