"""Back-fill: a source vendor's history, read through its API, delivered to another upstream
through the same decode, id registry, outbox and workers as live traffic (README, Back-fill).

    job.py        read a page -> write requests -> records -> outbox; the checkpoint
    run.py        one run: resume, read while delivering, drain, stop on Ctrl-C
    spec.py       the history files (mappings/history/<vendor>.yaml)
    calls.py, reader.py   the source's read API, paged
    writes.py, records.py what each item read would have been as a live request; its record ids
    report.py, render.py, progress.py   tallies, losses, summary, progress bar
    command.py    `feedback-proxy backfill`
"""
