#!/usr/bin/python3
"""Validates teardownctl's JSON against etc/teardownd.schema.json.

usage: check_json.py SCHEMA FILE...   (a FILE ending in .jsonl is JSON lines)
Prints one line per invalid document (FILE:LINE: what, where), or per file
that holds no document or no JSON (a key given twice included), and exits 1
if there is any. Uses Debian's python3-jsonschema (Draft 2020-12).
"""
import json
import sys

import jsonschema


def no_duplicates(pairs):
    """An object's members, refusing a key given twice."""
    keys = [k for k, _ in pairs]
    for k in keys:
        if keys.count(k) > 1:
            raise ValueError(f"key {k!r} given twice")
    return dict(pairs)


def loads(text):
    return json.loads(text, object_pairs_hook=no_duplicates)


def main(argv):
    schema = json.load(open(argv[1]))
    validator = jsonschema.Draft202012Validator(schema)
    by_kind = schema["$defs"]
    bad = 0
    for path in argv[2:]:
        with open(path) as f:
            text = f.read()
        try:
            if path.endswith(".jsonl"):
                docs = [loads(line) for line in text.splitlines() if line]
            else:
                docs = [loads(text)]
        except ValueError as e:
            print(f"{path}: not JSON: {e}")
            bad += 1
            continue
        if not docs:
            print(f"{path}: no document")
            bad += 1
        for n, doc in enumerate(docs, 1):
            if validator.is_valid(doc):
                continue
            bad += 1
            # The document's own kind gives the precise reason.
            kind = doc.get("kind") if isinstance(doc, dict) else None
            sub = by_kind.get(f"{kind}_doc", by_kind.get(str(kind)))
            errors = []
            if sub is not None:
                sub = dict(sub, **{"$defs": by_kind})
                errors = list(jsonschema.Draft202012Validator(sub)
                              .iter_errors(doc))
            for e in errors[:3] or [None]:
                where = "/".join(str(p) for p in e.absolute_path) if e else ""
                why = e.message[:200] if e else f"kind {kind!r} is unknown"
                print(f"{path}:{n}: {why} at /{where}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
