"""URL patterns grouped by their first path segment, and a resolver that goes straight to
a path's group, so resolving an API path tries a handful of patterns instead of dozens.

Django resolves by trying each pattern of a list in order. Ninja mounts its operations as
one flat list (124 of them): ``/api/task_runs/<id>/set_state`` tried about forty patterns,
40-60 µs of every request. ``group_by_first_segment`` puts each route ``head/rest`` under
one resolver for ``head/``; ``SegmentDispatchResolver`` resolves a path through its head's
group alone, with Django's own ``URLResolver.resolve`` on a one-group copy of itself, so a
match (route string, arguments, URL names, namespaces) is exactly what the full scan gives.
Paths without a group, and paths their group does not match, take the full scan, which
also keeps Django's 404s as they were. Reversing uses the full list, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from django.urls import Resolver404, ResolverMatch, URLPattern, URLResolver
from django.urls.resolvers import RoutePattern


def group_by_first_segment(patterns: Sequence[URLPattern]) -> list[URLPattern | URLResolver]:
    """``patterns`` with every route of the form ``head/rest`` moved into a resolver for
    ``head/``, groups in the order of their first pattern, each group's patterns in their
    own order; routes without a ``/`` stay where they are.

    Patterns of different literal first segments cannot match the same path, so the order
    between groups does not matter; if a route starts with a converter or a pattern is not
    a plain route, that no longer holds and the list is returned unchanged.
    """
    if not all(isinstance(p, URLPattern) and type(p.pattern) is RoutePattern and not str(p.pattern).startswith("<")
               for p in patterns):
        return list(patterns)
    grouped: list[URLPattern | list[URLPattern]] = []
    groups: dict[str, list[URLPattern]] = {}
    for pattern in patterns:
        head, slash, rest = str(pattern.pattern).partition("/")
        if not slash:
            grouped.append(pattern)
            continue
        if head not in groups:
            groups[head] = []
            grouped.append(groups[head])
        route = RoutePattern(rest, name=pattern.pattern.name, is_endpoint=True)
        groups[head].append(URLPattern(route, pattern.callback, pattern.default_args, pattern.name))
    resolvers = {id(group): URLResolver(RoutePattern(f"{head}/"), group) for head, group in groups.items()}
    return [entry if isinstance(entry, URLPattern) else resolvers[id(entry)] for entry in grouped]


class SegmentDispatchResolver(URLResolver):
    """A ``URLResolver`` over ``group_by_first_segment`` patterns that tries the group of
    the path's first segment before (and only on a miss, instead of) the full list."""

    def resolve(self, path: Any) -> ResolverMatch:
        """Django's match for ``path``, found through its group when it has one."""
        path = str(path)
        match = self.pattern.match(path)
        if match:
            shortcut = self._shortcuts.get(match[0].partition("/")[0])
            if shortcut is not None:
                try:
                    return shortcut.resolve(path)
                except Resolver404:
                    pass  # the full scan below answers, with its complete "tried" list
        return super().resolve(path)

    @cached_property
    def _shortcuts(self) -> dict[str, URLResolver]:
        """Per group head, this resolver with that group as its only pattern."""
        return {
            str(group.pattern).removesuffix("/"): URLResolver(
                self.pattern, [group], self.default_kwargs, app_name=self.app_name, namespace=self.namespace
            )
            for group in self.url_patterns
            if isinstance(group, URLResolver) and type(group.pattern) is RoutePattern
        }
