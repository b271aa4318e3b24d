"""Orchestration: deciding which states runs may enter, and writing them.

* ``set_state`` — the entry points (re-exported here): ``set_flow_run_state()``,
  ``set_task_run_state()``, ``resume_flow_run()``, ``set_initial_flow_run_state()``,
  ``set_initial_task_run_state()``.
* ``policies`` — which rules govern a transition, and the order they run in.
* ``core_policy`` / ``global_policy`` — the rules themselves, and the bookkeeping every
  transition gets.
* ``rules`` — the building blocks: the context of one transition, outcomes, rule bases.
"""

from api.orchestration.set_state import (
    resume_flow_run,
    set_flow_run_state,
    set_initial_flow_run_state,
    set_initial_task_run_state,
    set_task_run_state,
)

__all__ = [
    "resume_flow_run",
    "set_flow_run_state",
    "set_initial_flow_run_state",
    "set_initial_task_run_state",
    "set_task_run_state",
]
