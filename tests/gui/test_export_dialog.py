"""File > Export Bundle…: the dialog exports the selection on a worker and shows the outcome."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from PySide6.QtWidgets import QApplication

from evidence import bundle, store
from evidence.case import Case
from gui.export_dialog import FORMAT_ZIP, ExportBundleDialog
from gui.main_window import MainWindow


def _open(case_info) -> tuple[Case, list[int]]:
    path, ids, _e164, _shown = case_info
    return Case.open(path, actor="analyst-5"), ids


def test_exports_the_selected_items_to_a_zip(qtbot, case_info, tmp_path):
    case, ids = _open(case_info)
    try:
        dialog = ExportBundleDialog(case, [ids[2], ids[0]])
        qtbot.addWidget(dialog)
        assert dialog.items_radio.isChecked()
        assert "(2)" in dialog.items_radio.text()
        assert not dialog.tag_radio.isEnabled()  # the case has no tags
        dialog.dest_edit.setText(str(tmp_path / "selection"))
        dialog.format_combo.setCurrentIndex(FORMAT_ZIP)
        assert dialog.dest_edit.text() == str(tmp_path / "selection.zip")
        with qtbot.waitSignal(dialog.export_finished, timeout=30000) as blocker:
            dialog.export_button.click()
            assert not dialog.close_button.isEnabled()  # no closing mid-export
        result = blocker.args[0]
        out = tmp_path / "selection.zip"
        assert result.path == out and zipfile.is_zipfile(out)
        text = dialog.result_label.text()
        assert str(out) in text and result.tagmanifest_sha256 in text
        assert "2 items" in text and "2 original files" in text
        assert dialog.close_button.isEnabled() and dialog.export_button.isEnabled()
        with zipfile.ZipFile(out) as zf:
            exported = json.loads(zf.read("selection/data/items.json"))
        assert [i["id"] for i in exported] == sorted([ids[0], ids[2]])
        checked = bundle.verify_bundle(out, case)
        assert checked.bag_info["Tideline-Scope"] == f"items {ids[0]},{ids[2]}"
        assert case.audit_entries()[-1].actor == "analyst-5"
    finally:
        case.close()


def test_errors_are_one_sentence_in_the_dialog(qtbot, case_info, tmp_path):
    case, ids = _open(case_info)
    try:
        store.add_tag(case, [ids[1]], "boats")
        dialog = ExportBundleDialog(case, [])
        qtbot.addWidget(dialog)
        assert dialog.all_radio.isChecked() and not dialog.items_radio.isEnabled()
        (tmp_path / "taken").mkdir()
        dialog.dest_edit.setText(str(tmp_path / "taken"))
        with qtbot.waitSignal(dialog.export_failed, timeout=30000) as blocker:
            dialog.export_button.click()
        assert "already exists" in blocker.args[0]
        assert dialog.result_label.text() == blocker.args[0]
        assert "\n" not in blocker.args[0]

        dialog.cluster_radio.setChecked(True)
        dialog.cluster_spin.setValue(99999)
        dialog.dest_edit.setText(str(tmp_path / "c"))
        with qtbot.waitSignal(dialog.export_failed, timeout=30000) as blocker:
            dialog.export_button.click()
        assert blocker.args[0] == "There is no cluster 99999 in this case."
        assert not (tmp_path / "c").exists()

        dialog.tag_radio.setChecked(True)
        assert dialog.tag_combo.isEnabled() and dialog.tag_combo.currentData() == "boats"
        with qtbot.waitSignal(dialog.export_finished, timeout=30000) as blocker:
            dialog.export_button.click()
        assert blocker.args[0].items == 1 and (tmp_path / "c" / "bagit.txt").is_file()
    finally:
        case.close()


def test_file_menu_opens_the_export_dialog_with_the_selection(qtbot, case_info, settings):
    path, ids, _e164, _shown = case_info
    window = MainWindow(settings=settings, actor="analyst-5", check_ocr_on_start=False)
    qtbot.addWidget(window)
    assert window.open_case(Path(path))
    assert window.export_bundle_action in window.file_menu.actions()
    assert window.export_bundle_action.isEnabled()
    window.show_workstation()
    window.workstation.select_ids([ids[1], ids[3]])
    window.export_bundle_action.trigger()
    dialogs = [w for w in QApplication.topLevelWidgets()
               if isinstance(w, ExportBundleDialog) and w.isVisible()]
    assert len(dialogs) == 1
    assert dialogs[0].selected_ids == [ids[1], ids[3]] and dialogs[0].items_radio.isChecked()
    dialogs[0].close()
    window.close_case()
    assert not window.export_bundle_action.isEnabled()
