"""`homerelay house init [FILE]`: the example house to edit, never overwriting one by accident."""

from __future__ import annotations

from homerelay.cli import main
from homerelay.house import House


def test_init_writes_the_default_house_to_house_yaml(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["house", "init"]) == 0
    assert House.from_file(tmp_path / "house.yaml") == House.default()
    assert "Wrote house.yaml" in capsys.readouterr().out


def test_init_refuses_to_overwrite_without_force(tmp_path, capsys):
    path = tmp_path / "mine.yaml"
    path.write_text("rooms: [hall]\n")
    assert main(["house", "init", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"homerelay house: {path} exists; use --force to overwrite it\n")
    assert path.read_text() == "rooms: [hall]\n"
    assert main(["house", "init", str(path), "--force"]) == 0
    assert House.from_file(path) == House.default()


def test_init_into_a_missing_folder_is_one_line(tmp_path, capsys):
    assert main(["house", "init", str(tmp_path / "no" / "such" / "house.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot be written" in err


def test_the_written_file_keeps_its_comments_for_editing(tmp_path):
    path = tmp_path / "house.yaml"
    main(["house", "init", str(path)])
    text = path.read_text()
    assert "confirm: true" in text and "active_high: false" in text and text.startswith("#")
