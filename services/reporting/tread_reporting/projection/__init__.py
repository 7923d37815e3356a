"""Projecting events into the read models.

A projector is a pure function from one event to the rows it writes (``Writes``): upserts that
keep the newest version of an entity, inserts of facts that happen once, counts. Written that
way, applying an event twice, or an older one after a newer one, changes nothing, and a batch
of thousands of events becomes a handful of ``executemany`` statements (the rebuild's speed)."""
