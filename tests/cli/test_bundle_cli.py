"""``export`` and ``verify`` through the command-line entry point (``cli.main``)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image

import cli
from cli import bundle_cmds
from evidence import store
from evidence.case import Case
from evidence.importer import import_path


@pytest.fixture
def run(monkeypatch, capsys):
    """Run ``cli.main`` with the bundle commands registered (once, however cli wires them)."""
    sub_actions = [a for a in cli.build_parser()._actions if a.dest == "command"]
    if "export" not in sub_actions[0].choices:
        original = cli.commands.register

        def register(sub, common):
            original(sub, common)
            bundle_cmds.register(sub, common)

        monkeypatch.setattr(cli.commands, "register", register)

    def _run(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return _run


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    shots = tmp_path / "shots"
    shots.mkdir()
    for n, name in enumerate(["harbour.jpg", "boat.jpg", "pier.jpg"]):
        Image.new("RGB", (32, 24), (60 * n, 120, 90)).save(shots / name)
    with Case.create(tmp_path / "c", title="Quay pages (fictional)", actor="analyst-2") as case:
        import_path(case, shots)
        ids = store.item_ids(case)
        store.add_tag(case, ids[:2], "boats")
        store.manual_link(case, ids[0], ids[1], "same pier in the background")
        return case.path


def test_export_all_then_verify(run, case_dir, tmp_path):
    out = tmp_path / "bundle"
    code, stdout, err = run("--actor", "analyst-9", "export", str(case_dir), str(out), "--all",
                            "--json")
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["items"] == 3 and summary["files"] == 3 and summary["links"] == 1
    assert summary["clusters"] == 1  # the manually linked pair, computed by the CLI
    assert len(json.loads((out / "data" / "clusters.json").read_text())) == 1
    assert "analyst-9 (self-asserted)" in (out / "bag-info.txt").read_text()
    code, stdout, err = run("verify", str(out))
    assert code == 0, err
    assert "intact" in stdout
    with Case.open(case_dir, readonly=True) as case:
        last = case.audit_entries()[-1]
    assert last.action == "export.created" and last.actor == "analyst-9"
    assert last.details["tagmanifest_sha256"] == summary["tagmanifest_sha256"]


def test_tampered_bundle_exits_4_with_one_sentence(run, case_dir, tmp_path):
    out = tmp_path / "bundle"
    assert run("export", str(case_dir), str(out), "--tag", "boats")[0] == 0
    (out / "data" / "planted.txt").write_text("added later")
    code, stdout, err = run("verify", str(out), "--json")
    assert code == 4
    assert stdout == ""
    assert "planted.txt" in err and err.strip().count("\n") == 0 and "Traceback" not in err


def test_export_zip_by_cluster_and_items(run, case_dir, tmp_path):
    from analysis.linking import clusters

    with Case.open(case_dir, readonly=True) as case:
        first, second, third = store.item_ids(case)
        (cluster,) = clusters(case)
    assert set(cluster["items"]) == {first, second}
    code, stdout, err = run("export", str(case_dir), str(tmp_path / "c.zip"), "--cluster",
                            str(cluster["id"]), "--json")
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["items"] == 2 and summary["scope"] == f"cluster {cluster['id']}"
    assert zipfile.is_zipfile(tmp_path / "c.zip")
    assert summary["clusters"] == 1
    with zipfile.ZipFile(tmp_path / "c.zip") as zf:
        exported = json.loads(zf.read("c/data/clusters.json"))
        referral = zf.read("c/data/referral.csv").decode("utf-8-sig")
        report = zf.read("c/data/report.html").decode()
    assert [c["items"] for c in exported] == [cluster["items"]]
    assert exported[0]["id"] == str(cluster["id"])
    assert f'id="cluster-{cluster["id"]}"' in report
    assert referral.startswith("record,page,url,item_count,item_ids,phones,cluster_ids")
    code, stdout, err = run("verify", str(tmp_path / "c.zip"), "--json")
    assert code == 0, err
    assert json.loads(stdout)["scope"] == f"cluster {cluster['id']}"
    code, stdout, err = run("export", str(case_dir), str(tmp_path / "i"), "--items",
                            f"{third}", "--json")
    assert code == 0, err
    assert json.loads(stdout)["items"] == 1 and json.loads(stdout)["links"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--tag", "nope"], "no tag 'nope'"), (["--items", "1,x"], "not a comma-separated"),
     (["--items", "999"], "no item 999"), (["--cluster", "999"], "no cluster 999")],
)
def test_bad_scopes_fail_with_exit_1(run, case_dir, tmp_path, args, message):
    out = tmp_path / "b"
    code, _, err = run("export", str(case_dir), str(out), *args)
    assert code == 1
    assert message in err and err.strip().count("\n") == 0
    assert not out.exists()


def test_scope_is_required_and_exclusive(run, case_dir, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        run("export", str(case_dir), str(tmp_path / "b"))
    assert exit_.value.code == 2
    with pytest.raises(SystemExit) as exit_:
        run("export", str(case_dir), str(tmp_path / "b"), "--all", "--tag", "boats")
    assert exit_.value.code == 2


def test_verify_missing_bundle_exits_4(run, tmp_path):
    code, _, err = run("verify", str(tmp_path / "nothing"))
    assert code == 4 and "no bundle" in err


def test_verify_against_the_case(run, case_dir, tmp_path):
    out = tmp_path / "bundle.zip"
    assert run("export", str(case_dir), str(out), "--all")[0] == 0
    code, stdout, err = run("verify", str(out), "--case", str(case_dir), "--json")
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["case"]["originals_in_vault"] == 3
    with Case.open(case_dir, readonly=True) as case:
        entry = next(e for e in case.audit_entries() if e.seq == summary["case"]["export_audit_seq"])
    assert entry.details["tagmanifest_sha256"] == summary["tagmanifest_sha256"]
    code, stdout, _ = run("verify", str(out), "--case", str(case_dir))
    assert code == 0 and "records this export" in stdout


def test_a_re_signed_bundle_fails_verify_against_the_case(run, case_dir, tmp_path):
    import os

    import bagit

    out = tmp_path / "bundle"
    assert run("export", str(case_dir), str(out), "--all")[0] == 0
    (out / "data" / "referral.csv").write_text("item_id,page\n1,Someone else (fictional)\n",
                                              encoding="utf-8")
    cwd = os.getcwd()
    try:
        bagit.Bag(str(out)).save(manifests=True)  # every manifest recomputed
    finally:
        os.chdir(cwd)
    assert run("verify", str(out))[0] == 0
    code, stdout, err = run("verify", str(out), "--case", str(case_dir), "--json")
    assert code == 4 and stdout == ""
    assert "records no export" in err and err.strip().count("\n") == 0


def test_verify_against_a_missing_case_exits_1(run, case_dir, tmp_path):
    out = tmp_path / "bundle"
    assert run("export", str(case_dir), str(out), "--all")[0] == 0
    code, _, err = run("verify", str(out), "--case", str(tmp_path / "nowhere"))
    assert code == 1 and "no case" in err and err.strip().count("\n") == 0
