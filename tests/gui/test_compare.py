"""The compare view as an analyst uses it: open a link from the detail panel, switch between side
by side, overlay, blink and difference, zoom both pictures together, compare a matched photo
region to region, and compare selected items."""

from __future__ import annotations

from pathlib import Path

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from PIL import Image, ImageDraw
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent

from evidence import store
from evidence.case import Case
from evidence.importer import import_path
from gui.compare import (
    CompareWidget,
    difference_image,
    link_reason_html,
    mark_text,
    text_diff_html,
)
from gui.main_window import MainWindow

PAGE_A = "Sea Star Travel (fictional)"
PAGE_B = "Blue Wave Crossings (fictional)"


def fictional_phone(last: int) -> tuple[str, str]:
    example = phonenumbers.example_number_for_type("TR", PhoneNumberType.MOBILE)
    national = str(example.national_number)
    number = phonenumbers.parse(f"+{example.country_code}{national[:-1]}{last % 10}")
    return (phonenumbers.format_number(number, PhoneNumberFormat.E164),
            phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL))


def boat_photo(width: int = 480, height: int = 320) -> Image.Image:
    """Sky, sea and a white boat: a plainly fictional advert photo."""
    img = Image.new("RGB", (width, height), "#2f6f9f")
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, width, height * 0.42), fill="#9cc9e8")
    draw.polygon([(90, 200), (380, 200), (330, 262), (140, 262)], fill="#f4f4f4")
    draw.rectangle((220, 96, 232, 200), fill="#3b3b3b")
    draw.polygon([(232, 100), (232, 190), (320, 190)], fill="#e0a030")
    for x in range(0, width, 40):
        draw.line((x, 280, x + 24, 284), fill="#24597f", width=3)
    return img


def phone_screenshot(photo: Image.Image) -> tuple[Image.Image, list[int]]:
    """A phone-sized screenshot of a post holding a resized copy of the photo, and its box."""
    shot = Image.new("RGB", (400, 760), "#f0f2f5")
    draw = ImageDraw.Draw(shot)
    draw.rectangle((0, 0, 400, 40), fill="#1f2937")
    draw.rectangle((0, 40, 400, 110), fill="#ffffff")
    draw.ellipse((14, 52, 58, 96), fill="#5b8def")
    draw.rectangle((70, 60, 260, 72), fill="#111827")
    draw.rectangle((70, 80, 200, 88), fill="#9ca3af")
    copy = photo.resize((360, 240), Image.Resampling.LANCZOS)
    box = [20, 130, 380, 370]
    shot.paste(copy, (box[0], box[1]))
    for n in range(4):
        draw.rectangle((20, 400 + n * 26, 360 - n * 40, 412 + n * 26), fill="#6b7280")
    return shot, box


def build_linked_case(tmp_path: Path) -> dict:
    """A closed case: a boat photo, a screenshot reposting it, and a third, unrelated post,
    with an image link (matched regions) and a phone link between the first two items."""
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    photo = boat_photo()
    photo.save(incoming / "boat-photo.png")
    shot, box = phone_screenshot(photo)
    shot.save(incoming / "repost-screenshot.png")
    other = Image.new("RGB", (300, 200), "#46a37a")
    other.save(incoming / "unrelated.png")
    case = Case.create(tmp_path / "linked", title=PAGE_A, actor="fixture")
    import_path(case, incoming)
    items = {Path(i["media"][0]["original_name"]).stem: i for i in store.items_json(case)}
    photo_item, shot_item, other_item = (items["boat-photo"], items["repost-screenshot"],
                                         items["unrelated"])
    sha_photo = photo_item["media"][0]["sha256"]
    sha_shot = shot_item["media"][0]["sha256"]
    e164, shown = fictional_phone(3)
    for item, page, text in (
        (photo_item, PAGE_A, f"Crossing this week, safe boat, call {shown} (fictional advert)"),
        (shot_item, PAGE_B, f"Safe boat crossing this week, WhatsApp {shown} (fictional)"),
    ):
        store.set_item_detail(case, item["id"], "author", page)
        with case.transaction() as db:
            db.execute("UPDATE items SET text = ? WHERE id = ?", [text, item["id"]])
            db.execute(
                "INSERT INTO selectors (item_id, kind, value, shown, found_in, engine_version,"
                " current, created_at) VALUES (?, 'phone', ?, ?, 'text', 'test', 1,"
                " '2026-03-01T00:00:00Z')", [item["id"], e164, shown])
    store.replace_auto_links(case, ["image"], [{
        "kind": "image", "a": sha_photo, "b": sha_shot, "score": 0.9, "band": "strong",
        "why": "the same photo: PDQ distance 12 of 256, pHash distance 4 of 64",
        "details": {"pdq": 12, "phash": 4, "transformed": False, "regions": {
            sha_photo: {"region": 1, "kind": "whole", "box": [0, 0, 480, 320]},
            sha_shot: {"region": 2, "kind": "photo", "box": box}}},
    }])
    store.replace_auto_links(case, ["phone"], [{
        "kind": "phone", "a": str(photo_item["id"]), "b": str(shot_item["id"]), "score": 1.0,
        "band": "strong", "why": f"both show {shown} (text)",
        "details": {"values": [e164]},
    }])
    store.index_items(case, store.item_ids(case))
    by_kind = {link.kind: link.id for link in store.links(case)}
    info = {"path": case.path, "photo": photo_item["id"], "shot": shot_item["id"],
            "other": other_item["id"], "sha_photo": sha_photo, "sha_shot": sha_shot,
            "box": box, "e164": e164, "shown": shown, "image_link": by_kind["image"],
            "phone_link": by_kind["phone"]}
    case.close()
    return info


@pytest.fixture
def linked(tmp_path: Path) -> dict:
    return build_linked_case(tmp_path)


@pytest.fixture
def window(open_window, linked) -> MainWindow:
    return open_window(linked["path"])


@pytest.fixture
def compare(qtbot, window, linked) -> CompareWidget:
    """A compare view of the image link, images loaded."""
    widget = CompareWidget(window.reader)
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    widget.show()
    with qtbot.waitSignal(widget.images_ready, timeout=10_000):
        widget.show_link(store.get_link(window.reader, linked["image_link"]))
    return widget


def test_compare_opens_from_the_detail_panel_link_list(window, linked, qtbot):
    ws = window.workstation
    ws.select_ids([linked["photo"]])
    detail = ws.detail
    assert detail.tabs.tabText(3) == "Links (2)"
    ids = [link.id for link in detail.links]
    assert detail.links_list.count() == 2
    row = ids.index(linked["image_link"])
    detail.links_list.setCurrentRow(row)
    qtbot.mouseClick(detail.compare_link_button, Qt.MouseButton.LeftButton)
    dialog = ws.compare_dialogs[-1]
    compare = dialog.compare
    qtbot.waitUntil(lambda: compare.prepared is not None, timeout=10_000)
    order = [s.item["id"] for s in compare.sides]
    assert sorted(order) == sorted([linked["photo"], linked["shot"]])
    a, b = order.index(linked["photo"]), order.index(linked["shot"])
    # both pictures shown, each with its matched region outlined
    for view in compare.views[:2]:
        assert len(view.layers) == 1
        assert len(view.scene().items()) == 2
    reason = compare.reason_label.text()
    assert "PDQ distance 12 of 256" in reason and "pHash distance 4 of 64" in reason
    assert "strong" in reason and "0.90" in reason
    about_a = compare.info_views[a].toPlainText()
    assert PAGE_A in about_a and linked["sha_photo"] in about_a and "boat-photo.png" in about_a
    assert PAGE_B in compare.info_views[b].toPlainText()
    assert "photo at (20, 130) 360 × 240 px" in compare.info_views[b].toPlainText()
    # the shared number is marked beside both images; the text diff names what differs
    assert all("#fde68a" in compare.info_views[n].toHtml() for n in (a, b))
    assert "WhatsApp" in compare.diff_view.toPlainText()
    dialog.close()


def test_enter_on_a_link_opens_the_phone_link(window, linked, qtbot):
    ws = window.workstation
    ws.select_ids([linked["shot"]])
    links_list = ws.detail.links_list
    ids = [link.id for link in ws.detail.links]
    links_list.setCurrentRow(ids.index(linked["phone_link"]))
    links_list.setFocus()
    qtbot.waitUntil(links_list.hasFocus, timeout=2000)
    qtbot.keyClick(links_list, Qt.Key.Key_Return)
    compare = ws.compare_dialogs[-1].compare
    assert compare.link.id == linked["phone_link"]
    assert "Phone link" in compare.reason_label.text()
    assert linked["e164"] in compare.reason_label.text()
    assert not compare.region_check.isEnabled()  # no matched regions on a phone link


def test_overlay_blink_and_difference(compare, qtbot):
    compare.set_mode("overlay")
    assert compare.image_stack.currentIndex() == 1
    assert len(compare.stage.layers) == 2
    compare.opacity_slider.setValue(20)
    assert compare.stage.layers[1].opacity() == pytest.approx(0.2)
    compare.opacity_slider.setValue(80)
    assert compare.stage.layers[1].opacity() == pytest.approx(0.8)

    compare.set_mode("blink")
    assert compare.blink_timer.isActive()
    second = compare.stage.layers[1]
    assert second.isVisible()
    qtbot.waitUntil(lambda: not second.isVisible(), timeout=3000)
    assert compare.status_label.text() == "Showing A"

    with qtbot.waitSignal(compare.difference_ready, timeout=10_000):
        compare.set_mode("difference")
    assert not compare.blink_timer.isActive()
    assert len(compare.stage.layers) == 1
    assert compare.difference.changed_share > 0.1  # a photo against a whole screenshot
    assert "differ clearly" in compare.status_label.text()

    compare.set_mode("side")
    assert compare.image_stack.currentIndex() == 0


def test_region_to_region_aligns_the_matched_photos(compare, qtbot):
    with qtbot.waitSignal(compare.difference_ready, timeout=10_000):
        compare.set_mode("difference")
    whole = compare.difference.mean
    assert compare.region_check.isEnabled()
    with qtbot.waitSignal(compare.images_ready, timeout=10_000):
        compare.set_region_mode(True)
    prepared = compare.prepared
    assert prepared.region
    assert prepared.images[0].size() == prepared.images[1].size()
    qtbot.waitUntil(lambda: compare.difference is not None, timeout=10_000)
    # the crop of the screenshot is the same photo: far less difference than the whole page
    assert compare.difference.mean < whole / 3
    assert compare.difference.changed_share < 0.05


def test_zoom_and_pan_stay_synchronised(compare, qtbot):
    a, b = compare.views[:2]
    compare.fit()
    assert a.transform() == b.transform()
    compare.zoom_in()
    compare.zoom_in()
    assert a.transform().m11() == pytest.approx(b.transform().m11())
    assert a.transform() == b.transform()
    # the wheel over one picture zooms both
    before = a.transform().m11()
    event = QWheelEvent(QPointF(100, 100), QPointF(a.mapToGlobal(QPoint(100, 100))),
                        QPoint(0, 0), QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    a.wheelEvent(event)
    assert a.transform().m11() == pytest.approx(before * 1.25)
    assert b.transform() == a.transform()
    # panning one pans the other
    a.verticalScrollBar().setValue(a.verticalScrollBar().maximum() // 2)
    assert b.verticalScrollBar().value() == min(a.verticalScrollBar().value(),
                                                b.verticalScrollBar().maximum())
    # keyboard: 0 fits, 1 shows the first picture at its own pixel size
    compare.setFocus()
    qtbot.keyClick(compare, Qt.Key.Key_1)
    assert a.transform().m11() == pytest.approx(1.0)
    assert b.transform() == a.transform()
    qtbot.keyClick(compare, Qt.Key.Key_Minus)
    assert a.transform().m11() == pytest.approx(0.8)
    assert b.transform() == a.transform()


def test_compare_selected_items_with_the_c_key(window, linked, qtbot):
    ws = window.workstation
    ws.select_ids([linked["photo"]])
    window.compare_action.trigger()
    assert not ws.compare_dialogs
    assert "Select two to 4 items" in window.statusBar().currentMessage()
    ids = [linked["photo"], linked["shot"], linked["other"]]
    ws.select_ids(ids)
    view = ws.current_view()
    view.setFocus()
    qtbot.waitUntil(view.hasFocus, timeout=2000)
    qtbot.keyClick(view, Qt.Key.Key_C)
    assert len(ws.compare_dialogs) == 1
    compare = ws.compare_dialogs[0].compare
    assert sorted(s.item["id"] for s in compare.sides) == sorted(ids)
    assert "Comparing 3 selected items" in compare.reason_label.text()
    qtbot.waitUntil(lambda: compare.prepared is not None, timeout=10_000)
    assert sum(1 for v in compare.views if v.layers) == 3
    assert not compare.region_check.isEnabled()


def test_a_missing_image_file_is_reported_beside_its_picture(tmp_path):
    from gui.compare import prepare_images

    photo = tmp_path / "p.png"
    boat_photo().save(photo)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    prepared = prepare_images([photo, broken, None], [None, None, None], False)
    assert prepared.images[0] is not None and prepared.images[1] is None
    assert prepared.errors[1].startswith("This image cannot be shown")
    assert prepared.errors[2] == "This item has no image."
    assert prepared.aligned == []


def test_difference_of_identical_images_is_zero():
    import numpy as np

    a = np.asarray(boat_photo())
    result = difference_image(a, a.copy())
    assert result.changed_share == 0 and result.mean == 0
    with pytest.raises(ValueError, match="not aligned"):
        difference_image(a, a[:10])


def test_text_helpers_mark_and_diff():
    marked = mark_text("Call +90 532 000 0003 for the boat <b>", ["+90 532 000 0003"], {"boat"})
    assert "&lt;b&gt;" in marked
    assert marked.count("<span") == 2
    diff, ratio = text_diff_html("safe boat this week", "safe boat next week")
    assert "line-through" in diff and "next" in diff and 0.5 < ratio < 1


def test_the_reason_says_when_a_strong_link_does_not_join_clusters():
    text = store.Link(1, "text", "1", "2", 0.95, "strong", "nearly the same advert text",
                      "auto", {"similarity": 0.95, "threshold": 0.6})
    assert "Similar advert text does not join clusters" in link_reason_html(text)
    phone = store.Link(2, "phone", "1", "2", 1.0, "strong", "both show +90 501 234 56 78",
                       "auto", {"values": ["+905012345678"]})
    assert "join" not in link_reason_html(phone)
