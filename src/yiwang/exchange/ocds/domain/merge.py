"""OCDS 1.1 merging: the compiled release and the versioned release of one contracting process.

The rules implemented (OCDS 1.1 "merging"):

* releases are taken in date order (ties keep their given order); for every field the latest value wins;
* objects are merged field by field, recursively;
* an array whose items are all objects with an ``id`` is merged by identifier: items with the same ``id`` are
  merged (recursively), new ids are appended in order of first appearance;
* any other array (strings, numbers, objects without ids) replaces the earlier one as a whole;
* ``null`` removes the field; empty objects left behind are dropped;
* the release's own ``id``, ``date`` and ``tag`` are not merged: the compiled release has the ``tag``
  ``["compiled"]``, the latest ``date`` and the id ``<ocid>-<latest date>``.

The versioned release keeps, for every field, the list of its values as they changed:
``[{"releaseID", "releaseDate", "releaseTag", "value"}, …]`` (a value is recorded when it differs from the
previous one). Identifier-merged arrays stay arrays of versioned objects whose ``id`` is a plain value.

Pure Python: no Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

OMIT = ("id", "date", "tag")
_MISSING = object()


_EARLIEST = datetime.min.replace(tzinfo=UTC)


def _sort_key(index: int, release: Mapping[str, Any]) -> tuple[int, datetime, str, int]:
    text = release.get("date")
    if not isinstance(text, str):
        return (2, _EARLIEST, "", index)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return (1, _EARLIEST, text, index)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (0, moment, "", index)


def ordered(releases: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Releases in date order (stable for equal dates; unparseable or missing dates after the others)."""
    items = list(releases)
    return [items[i] for i in sorted(range(len(items)), key=lambda i: _sort_key(i, items[i]))]


def _identified(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, dict) and isinstance(item.get("id"), str | int) for item in value)
    )


def _merge_value(old: Any, new: Any) -> Any:
    if isinstance(new, dict):
        return _merge_object(old if isinstance(old, dict) else {}, new)
    if _identified(new) and (old is _MISSING or old is None or _identified(old) or old == []):
        by_id: dict[str, dict] = {}
        order: list[str] = []
        for item in old if isinstance(old, list) else []:
            key = str(item["id"])
            if key not in by_id:
                order.append(key)
            by_id[key] = item
        for item in new:
            key = str(item["id"])
            if key in by_id:
                by_id[key] = _merge_object(by_id[key], item)
            else:
                order.append(key)
                by_id[key] = _merge_object({}, item)
        return [by_id[key] for key in order]
    return new


def _merge_object(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(old)
    for key, value in new.items():
        if value is None:
            out.pop(key, None)
            continue
        merged = _merge_value(out.get(key, _MISSING), value)
        if merged == {}:
            out.pop(key, None)
        else:
            out[key] = merged
    return out


def compile_releases(releases: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The compiled release of one process's releases (all with the same ``ocid``)."""
    items = ordered(releases)
    if not items:
        raise ValueError("no releases to compile")
    compiled: dict[str, Any] = {}
    for release in items:
        compiled = _merge_object(compiled, {k: v for k, v in release.items() if k not in OMIT})
    latest = items[-1]
    date = latest.get("date")
    compiled["ocid"] = latest.get("ocid")
    compiled["id"] = f"{compiled['ocid']}-{date}"
    if date is not None:
        compiled["date"] = date
    compiled["tag"] = ["compiled"]
    return compiled


# -- versioned release ----------------------------------------------------------------------------------------
def _version(release: Mapping[str, Any], value: Any) -> dict[str, Any]:
    return {
        "releaseID": release.get("id"),
        "releaseDate": release.get("date"),
        "releaseTag": release.get("tag"),
        "value": value,
    }


def _add_versions(target: dict[str, Any], new: Mapping[str, Any], release: Mapping[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, dict):
            node = target.get(key)
            if not isinstance(node, dict):
                node = {}
                target[key] = node
            _add_versions(node, value, release)
        elif _identified(value):
            rows = target.get(key)
            if not isinstance(rows, list) or (rows and not isinstance(rows[0], dict)):
                rows = []
                target[key] = rows
            by_id = {str(r["id"]): r for r in rows}
            for item in value:
                ident = str(item["id"])
                row = by_id.get(ident)
                if row is None:
                    row = {"id": item["id"]}
                    rows.append(row)
                    by_id[ident] = row
                _add_versions(row, {k: v for k, v in item.items() if k != "id"}, release)
        else:
            history = target.get(key)
            if not isinstance(history, list) or not all(_is_version(h) for h in history):
                history = []
                target[key] = history
            if not history or history[-1]["value"] != value:
                history.append(_version(release, value))


def _is_version(node: Any) -> bool:
    return isinstance(node, dict) and "releaseID" in node and "value" in node


def version_releases(releases: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The versioned release: every field with the history of its values."""
    items = ordered(releases)
    if not items:
        raise ValueError("no releases to version")
    versioned: dict[str, Any] = {}
    for release in items:
        _add_versions(versioned, {k: v for k, v in release.items() if k not in (*OMIT, "ocid")}, release)
    versioned["ocid"] = items[-1].get("ocid")
    return versioned
