"""lightning_help: every function, option and preset, from the registries
themselves (issue 17, item 15)."""
import sqlite3

import pytest


def help_rows(db, topic=None):
    sql = "SELECT kind, name, usage, description, example FROM lightning_help"
    return db.execute(sql + ("(?)" if topic is not None else ""), (() if topic is None else (topic,))).fetchall()


def test_every_registered_function_and_module_has_a_help_line(db):
    """SQLite's own lists of what the extension registered: a function added without a help
    line, or a help line left behind by a removed function, fails here."""
    registered = {name for (name,) in db.execute(
        "SELECT name FROM pragma_function_list WHERE name LIKE 'lightning%'")}
    modules = {name for (name,) in db.execute(
        "SELECT name FROM pragma_module_list WHERE name LIKE 'lightning%'")}
    assert "lightning_version" in registered and "lightning" in modules and "lightning_stats" in modules
    rows = help_rows(db)
    documented = {name for kind, name, *_ in rows if kind in ("function", "module")}
    assert documented == registered | modules
    for kind, name, usage, description, example in rows:
        assert usage and description and example, name
        assert "\n" not in description, f"{name}: one line"


def test_every_option_and_preset_is_listed(db):
    db.execute("CREATE VIRTUAL TABLE kv USING lightning(k TEXT PRIMARY KEY, v)")
    options = [name for (name,) in db.execute("SELECT name FROM lightning_config('kv')")]
    presets = sorted({p for (p,) in db.execute("SELECT preset FROM lightning_presets")})
    rows = help_rows(db)
    assert [r[1] for r in rows if r[0] == "option"] == options
    assert sorted(r[1] for r in rows if r[0] == "preset") == presets
    assert [r[0] for r in rows] == sorted([r[0] for r in rows], key=["module", "function", "option", "preset"].index)


def test_every_example_runs(db, tmp_path, monkeypatch):
    """The examples are SQL a user can paste: each one runs on a store with a table kv."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    db.execute("CREATE VIRTUAL TABLE kv USING lightning(k TEXT PRIMARY KEY, v)")
    db.execute("INSERT INTO kv VALUES ('a', 1)")
    for kind, name, _, _, example in help_rows(db):
        if kind == "module":
            example = example.replace("TABLE kv", "TABLE kv2")
        if kind == "option" and example.startswith("CREATE"):
            example = example.replace("TABLE kv", f"TABLE kv_{name}")
        if name == "lightning_profile_start":
            example = example.replace("/tmp/run.folded", str(tmp_path / "run.folded"))
        if name == "lightning_bench":
            example = example.replace("100000", "1000")
        db.execute(example).fetchall()  # lightning_profile_stop's stops lightning_profile_start's


def test_topic_and_scalar_form(db):
    assert help_rows(db, "OLTP") == [r for r in help_rows(db) if r[1] == "oltp"]
    assert {r[0] for r in help_rows(db, "option")} == {"option"}
    (text,) = db.execute("SELECT lightning_help('lightning_stats')").fetchone()
    assert text.startswith("function lightning_stats([table]): ")
    (everything,) = db.execute("SELECT lightning_help()").fetchone()
    assert everything.count("\n") == 2 * len(help_rows(db)) - 1
    with pytest.raises(sqlite3.OperationalError, match="lightning_help: no function, option or preset named 'nope'"):
        db.execute("SELECT * FROM lightning_help('nope')").fetchall()
    with pytest.raises(sqlite3.OperationalError, match="lightning_help: no function, option or preset named 'nope'"):
        db.execute("SELECT lightning_help('nope')").fetchall()
