import os
import stat

import pytest

from data.atomic import atomic_path, temp_path_for, write_bytes_atomic, write_text_atomic


def test_write_replaces_whole_file_and_leaves_no_temp(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    target = folder / "status.json"
    write_text_atomic(target, "old contents that are longer")
    write_text_atomic(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in folder.iterdir()] == ["status.json"]


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "model.bin"
    write_bytes_atomic(target, b"good")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"good"
    assert not temp_path_for(target).exists()


def test_secret_file_is_never_readable_by_others(tmp_path):
    target = tmp_path / "token.json"
    old_tmp = temp_path_for(target)
    old_tmp.write_text("stale")
    os.chmod(old_tmp, 0o644)  # a stale temp file with open bits must not leak its mode
    write_text_atomic(target, '{"access_token": "x"}', mode=0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text() == '{"access_token": "x"}'
