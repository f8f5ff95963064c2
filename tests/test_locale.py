"""The translations of the patient's pages and emails (locale/): every string a patient can see is
translated into each language the service lists, and the compiled catalogue is the one committed."""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# Where translatable strings live: the apps and the project's templates (the tests, docs and
# benches hold none a patient sees).
SOURCES = ("feedback", "analytics", "demo", "patientview", "templates")
OTHER_LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def _catalogue(code: str) -> Path:
    return ROOT / "locale" / code / "LC_MESSAGES" / "django.po"


def _untranslated(po: polib.POFile) -> list[str]:
    """The strings of the catalogue with no usable translation: empty, or fuzzy (a string that
    changed since it was translated, which gettext ignores)."""
    problems = []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy (changed since translated): {entry.msgid!r}")
        elif entry.msgid_plural:
            if not entry.msgstr_plural or not all(entry.msgstr_plural.values()):
                problems.append(f"no translation: {entry.msgid!r} (plural)")
        elif not entry.msgstr.strip():
            problems.append(f"no translation: {entry.msgid!r}")
    return problems


def test_only_languages_with_a_catalogue_are_offered():
    assert settings.LANGUAGE_CODE == "en-gb"
    assert [code for code, _name in settings.LANGUAGES] == ["en-gb", "cy"]
    for code in OTHER_LANGUAGES:
        assert _catalogue(code).exists(), f"{code} is in LANGUAGES with no catalogue"


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_every_patient_facing_string_is_translated(code: str, tmp_path: Path):
    """makemessages, run on a copy of the code with the committed catalogue, finds every string
    marked for translation (pages, forms, choices the patient sees, emails, error messages);
    a new or changed one arrives empty or fuzzy, and fails here until it is translated."""
    for name in SOURCES:
        shutil.copytree(
            ROOT / name,
            tmp_path / name,
            ignore=lambda folder, names: [
                n
                for n in names
                if not (Path(folder, n).is_dir() or n.endswith((".py", ".html", ".txt")))
                or n in ("__pycache__", "data", "models")
            ],
        )
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    shutil.copytree(ROOT / "locale", tmp_path / "locale")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "patientview.settings.test",
        "PYTHONPATH": str(tmp_path),
        "PATIENTVIEW_VAR_DIR": str(tmp_path / "var"),
    }
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", code, "--no-location", "--no-obsolete"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    po = polib.pofile(str(tmp_path / "locale" / code / "LC_MESSAGES" / "django.po"))
    assert len(po) > 300, "makemessages found too few strings: is it reading the code?"
    problems = _untranslated(po)
    assert not problems, f"translate these in locale/{code}/LC_MESSAGES/django.po:\n" + "\n".join(
        problems
    )
    committed = {(e.msgctxt, e.msgid) for e in polib.pofile(str(_catalogue(code)))}
    extracted = {(e.msgctxt, e.msgid) for e in po}
    assert committed == extracted, (
        f"run makemessages -l {code}: the committed catalogue has strings the code no longer has"
    )


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_the_committed_catalogue_is_compiled_from_the_po(code: str, tmp_path: Path):
    """django.mo is what Django reads: compiled from the .po here and compared, entry by entry,
    with the committed one, so a translation changed without compilemessages fails."""
    compiled = tmp_path / "django.mo"
    polib.pofile(str(_catalogue(code))).save_as_mofile(str(compiled))
    committed_path = _catalogue(code).with_suffix(".mo")
    assert committed_path.exists(), f"run manage.py compilemessages -l {code}"
    with compiled.open("rb") as fresh, committed_path.open("rb") as committed:
        fresh_catalogue = gettext.GNUTranslations(fresh)._catalog  # type: ignore[attr-defined]
        committed_catalogue = gettext.GNUTranslations(committed)._catalog  # type: ignore[attr-defined]
    fresh_catalogue.pop("", None)  # the header: its dates and tool names may differ
    committed_catalogue.pop("", None)
    assert committed_catalogue == fresh_catalogue, f"run manage.py compilemessages -l {code}"


def test_the_welsh_catalogue_counts_plurals_as_welsh_does():
    po = polib.pofile(str(_catalogue("cy")))
    assert po.metadata["Plural-Forms"].startswith("nplurals=4;")
    assert not po.metadata_is_fuzzy
