"""Backups of a whole Tongban installation, taken while it serves, and their restore.

`tongban backup --out FILE` writes one tar archive (gzip-compressed when FILE ends in `.gz` or
`.tgz`) holding a consistent snapshot of the SQLite database, everything of value in the data
folder (uploads, the secret key, CA and seal material, folders added later) and, last, a
manifest with the SHA-256 and size of every member. `tongban backup --verify FILE` re-reads it
all and checks it against the manifest; `tongban restore FILE` does the same while unpacking into
an EMPTY data folder, and refuses a damaged archive before anything is put in place.

Order matters for consistency: the database snapshot is taken first, the files copied after.
Uploads are written to their final place before the row that references them commits, and never
change or disappear afterwards, so every file the snapshot references is on disk by the time the
copy reaches it (files uploaded meanwhile are harmless extras).

On PostgreSQL the database is not in the archive: `pg_dump` (run first, for the same reason) and
`pg_restore` do that part; the README's operations section gives the steps.
"""

from server.backup.archive import Damaged, create_backup, verify_backup
from server.backup.restore import RestoreRefused, restore_backup

__all__ = ["Damaged", "RestoreRefused", "create_backup", "restore_backup", "verify_backup"]
