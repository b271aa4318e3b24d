"""Which rules govern a transition, and the order they run in.

``orchestrate()`` nests the rules around the write: the selected core rules enter in
priority order, then the global transforms; the state is validated (written); then
everything exits in reverse order (global transforms' after hooks first).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Union

from api.orchestration.core_policy import (
    CORE_FLOW_POLICY,
    CORE_TASK_POLICY,
    MINIMAL_FLOW_POLICY,
    MINIMAL_TASK_POLICY,
)
from api.orchestration.global_policy import GLOBAL_FLOW_POLICY, GLOBAL_TASK_POLICY
from api.orchestration.rules import OrchestrationContext, OrchestrationRule, UniversalTransform

PolicyEntry = Union[type[OrchestrationRule], type[UniversalTransform]]


def flow_policies(force: bool) -> tuple[Sequence[PolicyEntry], Sequence[PolicyEntry]]:
    """The (core, global) policies of a flow-run transition; ``force`` drops the core rules."""
    return (MINIMAL_FLOW_POLICY if force else CORE_FLOW_POLICY), GLOBAL_FLOW_POLICY


def task_policies(force: bool) -> tuple[Sequence[PolicyEntry], Sequence[PolicyEntry]]:
    """The (core, global) policies of a task-run transition; ``force`` keeps only the slot release."""
    return (MINIMAL_TASK_POLICY if force else CORE_TASK_POLICY), GLOBAL_TASK_POLICY


def orchestrate(
    context: OrchestrationContext,
    core: Sequence[PolicyEntry],
    global_: Sequence[PolicyEntry],
    validate: Callable[[OrchestrationContext], None],
) -> None:
    """Run the rules of ``core`` that apply to the intended transition and every global
    transform around ``validate``. An exception from any hook propagates (the caller's
    transaction then rolls back)."""
    intended = context.transition
    stack: list[Union[OrchestrationRule, UniversalTransform]] = [
        entry(context)
        for entry in core
        if issubclass(entry, UniversalTransform) or entry.applies_to(intended)
    ]
    stack.extend(entry(context) for entry in global_)
    for item in stack:
        item.enter()
    validate(context)
    for item in reversed(stack):
        item.exit()
