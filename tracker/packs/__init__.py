"""Evidence packs: one signed, verifiable bundle per system (or for every system) and date.

A pack is a BagIt bag in a zip (tracker.packs.bag) holding what counted on the date
(tracker.packs.contents), signed with the agency's Ed25519 pack key (tracker.packs.signing),
with an audit excerpt that checks against the chain (tracker.packs.excerpt). Packs are built by
a worker or the CLI and recorded (tracker.packs.records); ``tracker pack verify`` checks one
offline (tracker.packs.verify), with no database.
"""
