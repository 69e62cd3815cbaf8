#!/usr/bin/env python3
"""Checks a report.html as Chromium rendered it (--dump-dom) against the summary.json it was made from.

usage: report_check.py SUMMARY_JSON DUMPED_DOM

Every figure an operator reads first must be in the rendered page, in the element the report gives
it: records read, valid, rejected, each reject reason, the run status, the control-total check and,
when the run reconciled a ledger, the mismatch counts in all and by kind. Exits 1 naming each
figure that is missing or different.
"""
import json
import sys
from html.parser import HTMLParser


class TextById(HTMLParser):
    """Text content of every element with an id, and the tags seen."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, id or None)
        self.text = {}
        self.tags = {}

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag in ("br", "meta", "link", "img", "input", "hr", "path", "rect", "line"):
            return
        element_id = dict(attrs).get("id")
        self.stack.append((tag, element_id))
        if element_id is not None:
            self.text.setdefault(element_id, "")

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag == tag:
                break

    def handle_data(self, data):
        for _, element_id in self.stack:
            if element_id is not None:
                self.text[element_id] += data


def grouped(value):
    return f"{value:,}"


def main():
    summary = json.load(open(sys.argv[1]))
    page = TextById()
    page.feed(open(sys.argv[2], encoding="utf-8").read())
    result = summary["result"]
    expected = {
        "run-status": summary["status"],
        "records-read": grouped(result["records_read"]),
        "valid": grouped(result["valid"]),
        "rejected": grouped(result["rejected"]),
        "totals-rows": grouped(result["totals"]["rows"]),
    }
    order = ["agree", "explained", "unavailable", "unexplained"]
    statuses = [f["control_check"]["status"] for f in result["files"]]
    expected["control-check-status"] = max(statuses, key=order.index)
    for reason, count in result["rejected_by_reason"].items():
        expected[f"reject-{reason}"] = grouped(count)
    reconciliation = result.get("reconciliation")
    if reconciliation is not None:
        expected["mismatches"] = grouped(reconciliation["mismatches"])
        for kind, count in reconciliation["mismatches_by_kind"].items():
            expected[f"mismatch-{kind}"] = grouped(count)
    elif "mismatches" in page.text:
        print("report_check: the page shows mismatches but the summary has no reconciliation")
        return 1
    problems = []
    for element_id, value in expected.items():
        shown = page.text.get(element_id)
        if shown is None:
            problems.append(f"#{element_id}: missing (expected {value!r})")
        elif shown.strip() != value:
            problems.append(f"#{element_id}: shows {shown.strip()!r}, summary.json says {value!r}")
    if page.tags.get("svg", 0) < 2:
        problems.append(f"expected the timeline and throughput charts as inline SVG, found {page.tags.get('svg', 0)} <svg>")
    if page.tags.get("script", 0):
        problems.append("the page has a <script> element")
    for problem in problems:
        print("report_check:", problem)
    if problems:
        return 1
    checked = ", ".join(f"{k}={v}" for k, v in expected.items())
    print(f"report_check: {len(expected)} figures of summary.json found in the rendered page ({checked})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
