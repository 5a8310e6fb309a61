"""Search (`GET /v1/documents?q=`): titles, numbers and text extracted from text, HTML, DOCX and
PDF bodies, by Chinese substrings long and short, only over documents the person may see."""

from __future__ import annotations

from documents_helpers import (
    MakeOffice, MakeOfficial, Official, docx_bytes, draft, office, officials, pdf_bytes, signed,
    unique,
)

__all__ = ["office", "officials"]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def found(official: Official, q: str, **filters: object) -> list[int]:
    reply = await official.client.list_documents(q=q, **filters)
    return [d["id"] for d in reply["items"]]


async def with_body(official: Official, unit: int, data: bytes, name: str,
                    content_type: str) -> int:
    uploaded = await official.client.upload_file(data, name, content_type)
    document = await official.client.create_document(unit, "通知", f"关于{unique('事项')}的通知",
                                                     body_file_id=uploaded["id"])
    return int(document["id"])


async def test_body_text_is_found_in_every_kind_of_upload(office: MakeOffice,
                                                          officials: MakeOfficial) -> None:
    unit = await office()
    drafter = await officials(unit)
    word = unique("甲")  # a marker no other document holds
    text = await with_body(drafter, unit, f"关于{word}汛期值班的安排".encode(), "a.txt",
                           "text/plain")
    gbk = await with_body(drafter, unit, f"国标编码{word}正文".encode("gb18030"), "b.txt",
                          "text/plain")
    html = await with_body(drafter, unit,
                           f"<html><head><title>不算</title><script>脚本{word}</script></head>"
                           f"<body><p>网页{word}正文</p></body></html>".encode(), "c.html",
                           "text/html")
    docx = await with_body(drafter, unit, docx_bytes("第一段", f"文档{word}正文"), "d.docx",
                           DOCX)
    ascii_word = "Z" + word[-4:] + "QX"
    pdf = await with_body(drafter, unit, pdf_bytes(f"Flood duty roster {ascii_word}"),
                          "e.pdf", "application/pdf")
    broken = await with_body(drafter, unit, b"%PDF-1.4 not really", "f.pdf", "application/pdf")
    assert await found(drafter, f"{word}汛期值班") == [text]
    assert await found(drafter, f"国标编码{word}") == [gbk]
    assert await found(drafter, f"网页{word}") == [html]
    assert await found(drafter, f"脚本{word}") == []
    assert await found(drafter, f"文档{word}") == [docx]
    assert await found(drafter, ascii_word.lower()) == [pdf]
    assert sorted(await found(drafter, word)) == sorted([text, gbk, html, docx])
    assert broken in await found(drafter, "通知")


async def test_titles_numbers_and_short_queries(office: MakeOffice,
                                                officials: MakeOfficial) -> None:
    unit = await office()
    drafter, signer, clerk = [await officials(unit, r) for r in ([], ["leader"], ["clerk"])]
    prefix = unique("测搜")
    series = await clerk.client.create_document_series(unit, prefix)
    document = await signed(drafter, signer, unit, title="关于做好秋粮收购工作的通知")
    issued = await clerk.client.issue_document(document["id"], series["id"])
    assert await found(clerk, "秋粮收购") == [document["id"]]
    assert await found(clerk, "粮") == [document["id"]]
    assert await found(clerk, prefix) == [document["id"]]
    assert await found(clerk, issued["doc_number"]) == [document["id"]]
    assert await found(clerk, "秋粮", direction="incoming") == []
    assert await found(clerk, "秋粮", state="issued") == [document["id"]]
    for odd in ('"', "%", "_", "秋粮%", '秋"粮', "\\"):
        await clerk.client.list_documents(q=odd)  # never a server error


async def test_search_sees_only_what_the_person_may_see(office: MakeOffice,
                                                        officials: MakeOfficial) -> None:
    unit = await office()
    drafter, clerk = await officials(unit), await officials(unit, ["clerk"])
    colleague, stranger = await officials(unit), await officials(await office(), ["clerk"])
    word = unique("乙")
    document = await draft(drafter, unit, body=f"机要事项{word}的处理意见")
    for person in (drafter, clerk):
        assert await found(person, f"机要事项{word}") == [document["id"]]
        assert document["id"] in await found(person, word[:2])
    for person in (colleague, stranger):
        assert await found(person, f"机要事项{word}") == []
        assert document["id"] not in await found(person, "机要")
        assert document["id"] not in await found(person, "机")


async def test_results_are_paged_newest_first(office: MakeOffice,
                                              officials: MakeOfficial) -> None:
    unit = await office()
    drafter = await officials(unit)
    word = unique("丙")
    ids = [(await draft(drafter, unit, body=f"分页测试{word}第{n}份"))["id"] for n in range(5)]
    first = await drafter.client.list_documents(q=f"分页测试{word}", limit=2)
    second = await drafter.client.list_documents(q=f"分页测试{word}", limit=2,
                                                 cursor=first["next_cursor"])
    third = await drafter.client.list_documents(q=f"分页测试{word}", limit=2,
                                                cursor=second["next_cursor"])
    pages = [[d["id"] for d in p["items"]] for p in (first, second, third)]
    assert pages == [ids[::-1][:2], ids[::-1][2:4], ids[::-1][4:]]
    assert third["next_cursor"] is None
    listed = await drafter.client.list_documents(limit=3)
    assert [d["id"] for d in listed["items"]] == ids[::-1][:3]
