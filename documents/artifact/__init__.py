"""The issued artifact of an outgoing document (版式文件): the GB/T 9704-2012 PDF rendered from its
record and body, pressed with the issuing unit's seal, PAdES-signed by the unit's certificate
from the deployment's own CA, with the sign-off chain's device signatures embedded so anyone can
re-verify the whole chain offline; page previews for phones with a per-viewer watermark; search
in the PDF's text; and the verifier anyone can run.

Split by noun: `typeset` and `layout` (pure: line breaking and the standard's geometry),
`fonts` (faces, per-character fallback, subsetting), `pdf` (writing the pages), `seal`,
`ca` and `keys` (the deployment's CA and the units' keys), `sign` and `verify`, `manifest`
(what the PDF carries about its record), `previews`, `models`, `queries`, `actions`, `routes`.
"""
