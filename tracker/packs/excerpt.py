"""The audit-trail excerpt a pack carries, and how to check it without the database.

A pack holds, in its payload, the audit events about its system and evidence up to the date
(``audit/events.jsonl``, each with the hash fields, its hash and the previous event's hash)
and the hash links of the whole chain over the same span (``audit/chain.tsv``: id, previous
hash, hash, for every event from the excerpt's first to the last one of the date). Both are
fixed once the date is past, so a pack built twice has the same content manifest.

What ties that span to the chain as it stands is not fixed (the chain grows), so it is a tag
file, ``audit-anchor.json``, under the pack's signature: the links from the date's last event
to the first signed checkpoint (``tracker audit checkpoint``) that covers it, the checkpoint,
and the audit public keys. Checking then needs no database:

- each excerpt event is in the chain at its id, with the same hashes;
- each event's hash recomputes from its fields, for events hashed with plain SHA-256; events
  keyed with the agency's audit key (an HMAC) can be recomputed only with that key, at the
  agency, by ``tracker audit verify``: the excerpt says which they are;
- every link's previous hash is the hash of the link before it, up to the checkpoint's head;
- the checkpoint's Ed25519 signature verifies with the audit public key it names.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracker.audit import HASHED, event_hash, hashed_fields, jsonable
from tracker.audit.checkpoints import Checkpoint
from tracker.packs import signing

EVENTS = "audit/events.jsonl"
CHAIN = "audit/chain.tsv"
ANCHOR = "audit-anchor.json"


def event_line(event: Any) -> bytes:
    """One excerpt line: what the event's hash covers, with its hash and the previous one."""
    # key_id and request_id are hashed only when set (hashed_fields), and then carried here.
    data = hashed_fields({name: getattr(event, name) for name in (*HASHED, "key_id", "request_id")})
    data.update(key_id=event.key_id or "", prev_hash=event.prev_hash, hash=event.hash)
    return (json.dumps(jsonable(data), sort_keys=True, ensure_ascii=False) + "\n").encode()


def link_line(event_id: int, prev_hash: str, hash_: str) -> bytes:
    return f"{event_id}\t{prev_hash}\t{hash_}\n".encode()


def anchor(
    links: Iterable[tuple[int, str, str]],
    checkpoint: Checkpoint | None,
    public_keys: Mapping[str, str],
    head: tuple[int, str],
    built_at: datetime,
) -> bytes:
    """The anchor tag file: links from the excerpt's end to the checkpoint (or the head)."""
    data = {
        "built_at": built_at.isoformat(timespec="seconds") + "Z",
        "chain_head": {"id": head[0], "hash": head[1]},
        "links": [list(link) for link in links],
        "checkpoint": json.loads(checkpoint.line()) if checkpoint else None,
        "audit_public_keys": dict(public_keys),
    }
    return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()


@dataclass
class ExcerptCheck:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    events: int = 0
    keyed: int = 0


def _parse_links(lines: Iterable[str], where: str, check: ExcerptCheck) -> Iterator[tuple]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parts = line.rstrip("\n").split("\t")
        try:
            yield int(parts[0]), parts[1], parts[2]
        except (ValueError, IndexError):
            check.problems.append(f"{where} line {number}: not 'id<TAB>previous hash<TAB>hash'")


def check(events_text: str | None, chain_text: str | None, anchor_text: str | None) -> ExcerptCheck:
    """Check an excerpt, its chain links and its anchor as read from a pack."""
    result = ExcerptCheck()
    if events_text is None or chain_text is None:
        result.problems.append("the audit excerpt is missing (audit/events.jsonl, audit/chain.tsv)")
        return result
    links = {}
    previous: tuple | None = None
    for link in _parse_links(chain_text.splitlines(), CHAIN, result):
        if previous is not None and (link[0] != previous[0] + 1 or link[1] != previous[2]):
            result.problems.append(
                f"{CHAIN}: event {link[0]} does not follow event {previous[0]} in the chain"
            )
        links[link[0]] = link
        previous = link
    for number, line in enumerate(events_text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            event_id = int(data["id"])
        except (ValueError, KeyError, TypeError):
            result.problems.append(f"{EVENTS} line {number}: not an audit event")
            continue
        result.events += 1
        link = links.get(event_id)
        if link is None or (link[1], link[2]) != (data.get("prev_hash"), data.get("hash")):
            result.problems.append(f"audit event {event_id} is not in the chain as recorded")
        elif data.get("key_id"):
            result.keyed += 1
        elif event_hash(data["prev_hash"], data) != data["hash"]:
            result.problems.append(f"audit event {event_id} was altered: its hash does not match")
    if result.keyed:
        result.notes.append(
            f"{result.keyed} audit events are keyed with the agency's audit key: their content is "
            "checked against their hash by `tracker audit verify` at the agency"
        )
    _check_anchor(anchor_text, previous, result)
    return result


def _check_anchor(text: str | None, last: tuple | None, result: ExcerptCheck) -> None:
    if text is None:
        result.problems.append(f"{ANCHOR} is missing: the excerpt is not tied to the chain")
        return
    try:
        data = json.loads(text)
        links = [tuple(link) for link in data["links"]]
    except (ValueError, KeyError, TypeError):
        result.problems.append(f"{ANCHOR} cannot be read")
        return
    for link in links:
        if last is not None and (link[0] != last[0] + 1 or link[1] != last[2]):
            result.problems.append(f"{ANCHOR}: event {link[0]} does not follow event {last[0]}")
        last = link
    found = data.get("checkpoint")
    if not found:
        result.notes.append(
            "no signed audit checkpoint covered the excerpt when the pack was built: it is tied "
            "to the chain's head as the pack's own signature records it"
        )
        return
    try:
        point = Checkpoint(**found)
    except TypeError:
        result.problems.append(f"{ANCHOR}: the checkpoint cannot be read")
        return
    if last is None or (point.last_id, point.head_hash) != (last[0], last[2]):
        result.problems.append(
            f"the audit chain does not end at signed checkpoint {point.checkpoint}'s head"
        )
    pem = (data.get("audit_public_keys") or {}).get(point.key_id)
    problem = _signature_problem(point, pem)
    if problem:
        result.problems.append(problem)
    else:
        result.notes.append(
            f"the excerpt chains to signed audit checkpoint {point.checkpoint} "
            f"({point.events} events, {point.made_at}, key {point.key_id})"
        )


def _signature_problem(point: Checkpoint, pem: str | None) -> str:
    if not pem:
        return f"{ANCHOR}: no public key for audit key {point.key_id}"
    try:
        key = signing.load_public(pem)
        signature = base64.b64decode(point.signature, validate=True)
    except ValueError:
        return f"{ANCHOR}: the checkpoint's key or signature cannot be read"
    if not signing.is_valid(key, signature, point.message()):
        return f"the signature of audit checkpoint {point.checkpoint} does not verify"
    return ""
