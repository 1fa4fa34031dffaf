"""Back-fill: a source vendor's history, read through its API, delivered to another upstream
through the same decode, id registry, outbox and workers as live traffic (README, Back-fill).

    command.py    `feedback-proxy backfill`
    run.py        one run: resume, read while delivering, drain, stop on Ctrl-C
    job.py        a page read -> write requests -> records -> outbox; the checkpoint saved
    spec.py       the history files (proxy/vendors/<vendor>/history.yaml)
    calls.py, reader.py     the source's read API, paged
    writes.py, records.py   what each item read would have been as a live request; its record ids
    commit.py, deliver.py   the pipeline's remember + outbox commit; the target's worker, drained
    checkpoint.py           where a job stands, in the store
    report.py, render.py, progress.py, dryrun.py   tallies and losses, summary, progress bar, dry run
"""
