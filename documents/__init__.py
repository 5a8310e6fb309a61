"""Official documents (公文): records, versions, numbering, sending and receiving, 传阅, archive.

Where to look: `policy` (the words and rules, no database), `models`, `queries` (who may see
and do what), `versions` (content hash, immutable versions), `drafting` (拟稿, 修改),
`signoff` (核稿 → 会签 → 签发 on the approval engine, 复核), `subject` (the engine's hooks),
`numbering` (series and gap-free counters), `sending` (编号, 分发, 归档), `receiving` (签收,
登记, 初审, 拟办, 批办), `handling` (承办 with a supervision task, 办结, 答复), `circulating`
(传阅), `registers` (登记簿, CSV), `search` and `text` (extraction), `attachments` (file
downloads through documents), `events`, `shapes`, and the routes (`routes`,
`receiving_routes`, `circulation_routes`, `register_routes`).
"""
