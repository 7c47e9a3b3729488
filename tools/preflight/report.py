"""The preflight's output: a table for people, JSON for pipelines (pure)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from tools.preflight.checks import ERROR, FAIL, PASS, WARN, Result

STATUSES = (PASS, WARN, FAIL, ERROR)


def counts(results: Sequence[Result]) -> dict[str, int]:
    return {status: sum(1 for r in results if r.status == status) for status in STATUSES}


def summary_line(results: Sequence[Result]) -> str:
    c = counts(results)
    verdict = "FAILED" if c[FAIL] or c[ERROR] else "OK"
    return f"preflight {verdict}: {c[PASS]} pass, {c[WARN]} warn, {c[FAIL]} fail, {c[ERROR]} error"


def render_table(needs: Mapping[str, Any], subscription_id: str, results: Sequence[Result]) -> str:
    """One line per result; the fix of a warn/fail/error line indented below it."""
    header = (f"Preflight of stack '{needs['stack']}' ({needs['stackFile']}): subscription {subscription_id}, "
              f"region {needs['location']}, resource group {needs['resourceGroup']['name']}")
    check_width = max([len(r.check) for r in results] + [5])
    subject_width = min(max([len(r.subject) for r in results] + [7]), 60)
    lines = [header, "",
             f"{'status':<6}  {'check':<{check_width}}  {'subject':<{subject_width}}  detail",
             f"{'-' * 6}  {'-' * check_width}  {'-' * subject_width}  {'-' * 6}"]
    for r in results:
        lines.append(f"{r.status.upper():<6}  {r.check:<{check_width}}  {r.subject:<{subject_width}}  {r.detail}")
        if r.fix and r.status != PASS:
            indent = " " * (10 + check_width)
            lines.extend(textwrap.wrap(f"fix: {r.fix}", width=110, initial_indent=indent,
                                       subsequent_indent=indent + "     ", break_on_hyphens=False,
                                       break_long_words=False))
    lines += ["", summary_line(results)]
    return "\n".join(lines) + "\n"


def render_json(needs: Mapping[str, Any], subscription_id: str, results: Sequence[Result]) -> str:
    document = {
        "stack": needs["stack"],
        "stackFile": needs["stackFile"],
        "subscriptionId": subscription_id,
        "location": needs["location"],
        "resourceGroup": needs["resourceGroup"]["name"],
        "ok": not (counts(results)[FAIL] or counts(results)[ERROR]),
        "counts": counts(results),
        "results": [asdict(r) for r in results],
    }
    return json.dumps(document, indent=2) + "\n"
