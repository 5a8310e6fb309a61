"""Task supervision (督办): assignments, progress, urging, overdue, statistics by unit.

Where to look: `policy` (the lifecycle and time rules, no database), `assigning` (who a new task
goes to), `actions` and `extensions` (every change), `reminders` (timed jobs), `tree` (rollup
and cascading cancel), `parties` (assignees, supervisors, oversight), `queries` (who may see
what, ledger filters), `stats` (per-unit counts), `ledger` (pages and CSV), `routes`.
"""
