"""GB/T 9704 layout rules, without a database: line breaking, headings, the grid, the 版记's
page, page numbers, fonts with per-character fallback, and page 1 against a reference image."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops

from documents.artifact.compose import compose
from documents.artifact.fonts import MISSING, Role, load_fonts
from documents.artifact.layout import (
    BODY_W, BOTTOM, CELL, CHARS, LEFT, LINES, MM, PITCH, RIGHT, TOP, Attachment, Manuscript,
    Signatory,
)
from documents.artifact.pdf import Info, write_pdf
from documents.artifact.render import measure_with
from documents.artifact.typeset import Span, balanced_title, heading_spans, set_paragraph

REFERENCE = Path(__file__).parent / "reference" / "notice-page1.png"
FONTS = load_fonts(Path("/nonexistent-fonts-folder"))
MEASURE = measure_with(FONTS)
LONG = "各地各部门要高度重视，加强组织领导，明确责任分工，确保各项任务落到实处。" * 12


def fixed_notice(**changes: object) -> Manuscript:
    text = Manuscript(
        title="关于加快推进全省政务服务“一网通办”工作的通知", marks=["测试省人民政府办公厅"],
        number="测政办发〔2026〕12号", urgency="特急", main_to="各市、州人民政府，省政府各部门",
        body=["为深入贯彻落实党中央、国务院决策部署，加快推进政务服务“一网通办”，现就有关事项"
              "通知如下。", "一、总体要求", "到2027年底，实现90%以上的政务服务事项网上可办。",
              "（一）工作目标。全面推进线上线下融合。", "1.完善平台功能。整合各类业务系统。",
              "（1）统一身份认证。实现一次登录、全网通办。"],
        attachments=[Attachment("全省政务服务事项清单", ["共计1234项。"])],
        signatories=[Signatory("测试省人民政府办公厅", 42.0)], date="2026年11月30日",
        note="此件公开发布", cc="省委各部门，省人大常委会办公厅", printed_by="测试省人民政府办公厅",
        printed_on="2026年11月30日")
    for name, value in changes.items():
        setattr(text, name, value)
    return text


def seal() -> bytes:
    from issued_helpers import seal_png

    return seal_png()


def rendered(text: Manuscript) -> bytes:
    pages = compose(text, MEASURE)
    info = Info("t", "a", "s", "k", datetime(2026, 11, 30, tzinfo=UTC))
    return write_pdf(pages, fonts=FONTS, seals=[seal()], info=info, files=[]).data


def test_a_closing_mark_never_starts_a_line() -> None:
    lines = set_paragraph([Span("一" * 27 + "二，三四")], width=BODY_W, size=16, cell=CELL,
                          measure=MEASURE)
    assert lines[0].text.endswith("二，") and lines[1].text == "三四"
    lines = set_paragraph([Span("一" * 28 + "。" + "二" * 30)], width=BODY_W, size=16,
                          cell=CELL, measure=MEASURE)
    assert all(not line.text.startswith("。") for line in lines)


def test_an_opening_mark_never_ends_a_line() -> None:
    lines = set_paragraph([Span("一" * 27 + "（二）三")], width=BODY_W, size=16, cell=CELL,
                          measure=MEASURE)
    assert not lines[0].text.endswith("（") and lines[1].text.startswith("（")


def test_full_lines_hold_28_characters_justified_to_the_measure() -> None:
    lines = set_paragraph([Span("字" * 100)], width=BODY_W, size=16, cell=CELL,
                          measure=MEASURE)
    assert [len(line.text) for line in lines[:-1]] == [CHARS] * 3
    last_char = lines[0].chars[-1]
    assert last_char.x + CELL == pytest.approx(BODY_W, abs=0.01)


def test_latin_runs_and_numbers_are_not_split() -> None:
    lines = set_paragraph([Span("一" * 26 + "2027年")], width=BODY_W, size=16, cell=CELL,
                          measure=MEASURE)
    assert "2027" in lines[0].text or "2027" in lines[1].text


def test_headings_take_the_faces_of_their_level() -> None:
    assert heading_spans("一、总体要求")[0].role is Role.HEI
    second = heading_spans("（一）工作目标。全面推进。")
    assert (second[0].text, second[0].role, second[1].role) == ("（一）工作目标。", Role.KAI,
                                                                Role.FANGSONG)
    third = heading_spans("1.完善平台功能。依托平台。")[0]
    assert third.role is Role.FANGSONG and third.bold
    assert heading_spans("（1）统一认证。")[0] == Span("（1）统一认证。", Role.FANGSONG, False)
    assert heading_spans("1.5倍")[0].bold is False


def test_titles_break_into_balanced_lines_where_words_allow() -> None:
    assert balanced_title("关于加快推进全省政务服务“一网通办”工作的通知", per_line=20) == [
        "关于加快推进全省政务服务", "“一网通办”工作的通知"]
    assert balanced_title("短标题", per_line=20) == ["短标题"]


def test_body_pages_hold_22_lines_on_the_grid() -> None:
    pages = compose(fixed_notice(body=[LONG] * 4), MEASURE)
    second = [run for run in pages[1].runs if run.size == 16]
    body = [run for run in second if run.baseline < BOTTOM]
    assert len(body) == LINES
    steps = {round(b.baseline - a.baseline, 3) for a, b in zip(body, body[1:], strict=False)}
    assert steps == {round(PITCH, 3)}
    assert all(LEFT - 0.01 <= c.x and c.x + 16 <= RIGHT + 1 for r in body for c in r.chars)


def test_the_record_block_sits_at_the_foot_of_an_even_page() -> None:
    for body in ([], [LONG], [LONG] * 3):
        pages = compose(fixed_notice(body=body, attachments=[]), MEASURE)
        assert len(pages) % 2 == 0
        last = pages[-1]
        assert max(rule.y for rule in last.rules) == pytest.approx(BOTTOM)
        assert any("印发" in run.text for run in last.runs)


def test_page_numbers_alternate_outside_edges_below_the_body() -> None:
    pages = compose(fixed_notice(body=[LONG] * 3), MEASURE)
    for page in pages:
        if page.number is None:
            continue
        folio = next(run for run in page.runs if run.text == f"— {page.number} —")
        top = folio.baseline - 0.88 * folio.size
        assert top == pytest.approx(BOTTOM + 7 * MM, abs=0.1)
        right = folio.chars[-1].x + folio.size
        if page.number % 2:
            assert right == pytest.approx(RIGHT - 14, abs=0.5)
        else:
            assert folio.chars[0].x == pytest.approx(LEFT + 14, abs=0.01)


def test_the_seal_presses_signature_and_date_within_a_line_of_the_text() -> None:
    pages = compose(fixed_notice(note=""), MEASURE)
    page = next(p for p in pages if p.stamps)
    stamp = page.stamps[0]
    date = next(run for run in page.runs if run.text == "2026年11月30日")
    name = next(run for run in page.runs if run.text == "测试省人民政府办公厅"
                and run.size == 16)
    centre_x = stamp.x + stamp.size / 2
    assert date.chars[-1].x + CELL == pytest.approx(RIGHT - 4 * CELL, abs=0.5)
    assert centre_x == pytest.approx((date.chars[0].x + date.chars[-1].x + CELL) / 2, abs=1)
    assert stamp.y < name.baseline - 16 and date.baseline < stamp.y + stamp.size
    centre_y = stamp.y + stamp.size / 2
    assert centre_y < (name.baseline + date.baseline) / 2  # 署名和日期居印章中心偏下
    above = max(run.baseline for run in page.runs if run.baseline < stamp.y)
    assert stamp.y - (above + 0.12 * 16) <= PITCH


def test_fonts_fall_back_per_character_and_never_draw_a_missing_glyph_box() -> None:
    kai = FONTS.primary(Role.KAI)
    rare = next(c for c in "㐀㐁㐂䶵𠀀" if not kai.has(c) and FONTS.face_for(Role.KAI, c))
    text = fixed_notice(body=[f"（一）工作{rare}目标。正文"], attachments=[])
    pages = compose(text, MEASURE)
    written = write_pdf(pages, fonts=FONTS, seals=[seal()], info=Info(
        "t", "a", "s", "k", datetime(2026, 11, 30, tzinfo=UTC)), files=[])
    assert written.missing == []
    extracted = pdfium.PdfDocument(written.data)[0].get_textpage().get_text_range()
    assert f"工作{rare}目标" in extracted
    nobody = "\U0010fffd"
    pages = compose(fixed_notice(body=[f"无字{nobody}可用"], attachments=[]), MEASURE)
    written = write_pdf(pages, fonts=FONTS, seals=[], info=Info(
        "t", "a", "s", "k", datetime(2026, 11, 30, tzinfo=UTC)), files=[])
    assert written.missing == [nobody]
    extracted = pdfium.PdfDocument(written.data)[0].get_textpage().get_text_range()
    assert f"无字{MISSING}可用" in extracted


def test_page_one_matches_the_reference_image() -> None:
    data = rendered(fixed_notice())
    page = pdfium.PdfDocument(data)[0]
    image = page.render(scale=500 / page.get_width()).to_pil().convert("L")
    if os.environ.get("TONGBAN_UPDATE_REFERENCE"):  # after a deliberate change: look at it
        image.save(REFERENCE)
    reference = Image.open(REFERENCE).convert("L")
    assert reference.size == image.size
    differ = ImageChops.difference(reference, image).point(lambda v: 255 if v > 64 else 0)
    share = differ.histogram()[255] / (image.width * image.height)
    assert share < 0.005, f"{share:.2%} of page 1 differs from {REFERENCE.name}"


def test_glyphs_kept_on_disk_are_restored_by_a_restarted_process(tmp_path: Path) -> None:
    from documents.artifact.fonts import Face, Subset
    from documents.artifact.glyphstore import GlyphStore

    for role in (Role.FANGSONG, Role.KAI):  # a CFF face and a TrueType one
        original = FONTS.primary(role)
        first = Face(original.path, original.index)
        first.keep_in(GlyphStore(tmp_path, first.path, first.index))
        built = Subset(first)
        for char in "关于印发通知":
            built.gid(char)
        expected = built.build()
        first.flush()
        restarted = Face(original.path, original.index)  # a new process's face
        restarted.keep_in(GlyphStore(tmp_path, restarted.path, restarted.index))
        again = Subset(restarted)
        for char in "关于印发通知":
            again.gid(char)
        assert again.build() == expected and restarted._new == []  # nothing extracted


def test_a_deployments_licensed_fonts_take_the_place_of_the_free_ones(tmp_path: Path) -> None:
    kai = FONTS.primary(Role.KAI).path  # any TrueType file stands in for a vendor's
    (tmp_path / "simfang.ttf").symlink_to(kai)  # found by the vendor's file name
    (tmp_path / "my-hei.ttf").symlink_to(kai)
    (tmp_path / "fonts.json").write_text('{"hei": "my-hei.ttf"}')  # or mapped by role
    fonts = load_fonts(tmp_path)
    assert fonts.primary(Role.FANGSONG).path.name == "simfang.ttf"
    assert fonts.primary(Role.HEI).path.name == "my-hei.ttf"
    assert fonts.primary(Role.TITLE).path.name == FONTS.primary(Role.TITLE).path.name
    assert fonts.chains[Role.FANGSONG][-1] == FONTS.chains[Role.FANGSONG][-1]  # fallbacks
