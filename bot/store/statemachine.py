"""Work-order statuses and the transitions between them (the domain model, as data).

new -> dispatched -> accepted -> [on_site ->] resolved -> closed; a resolved or closed order
can be reopened (an unsatisfied call-back), and a reopened one is dispatched again.
cancelled and merged (folded into an earlier order on the same facts) are final.
"""
from __future__ import annotations

STATUSES = (
    "new", "dispatched", "accepted", "on_site", "resolved", "closed", "reopened", "cancelled", "merged",
)

STATUS_NAMES = {
    "new": "新建", "dispatched": "已派单", "accepted": "已受理", "on_site": "已上门",
    "resolved": "已办结", "closed": "已关闭", "reopened": "已重办", "cancelled": "已撤销",
    "merged": "已合并",
}

TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"dispatched", "cancelled", "merged"}),
    "dispatched": frozenset({"accepted", "cancelled", "merged"}),
    "accepted": frozenset({"on_site", "resolved", "cancelled"}),
    "on_site": frozenset({"resolved", "cancelled"}),
    "resolved": frozenset({"closed", "reopened"}),
    "closed": frozenset({"reopened"}),
    "reopened": frozenset({"dispatched", "cancelled"}),
    "cancelled": frozenset(),
    "merged": frozenset(),
}

TERMINAL = frozenset(s for s, targets in TRANSITIONS.items() if not targets)
# Statuses in which nobody has to act on the order any more (for repeats and overdue checks).
INACTIVE = frozenset({"closed", "cancelled", "merged"})


class IllegalTransition(ValueError):
    def __init__(self, from_status: str, to_status: str):
        self.from_status = from_status
        self.to_status = to_status
        allowed = sorted(TRANSITIONS.get(from_status, ()))
        if from_status not in TRANSITIONS or to_status not in TRANSITIONS:
            unknown = from_status if from_status not in TRANSITIONS else to_status
            message = f"未知的工单状态 {unknown!r} / unknown work-order status {unknown!r}; known: {', '.join(STATUSES)}"
        else:
            message = (
                f"工单状态不能从“{STATUS_NAMES[from_status]}”变为“{STATUS_NAMES[to_status]}” / "
                f"illegal work-order transition {from_status} -> {to_status}; "
                + (f"allowed from {from_status}: {', '.join(allowed)}" if allowed
                   else f"{from_status} is final")
            )
        super().__init__(message)


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, ())


def check_transition(from_status: str, to_status: str) -> None:
    if not can_transition(from_status, to_status):
        raise IllegalTransition(from_status, to_status)
