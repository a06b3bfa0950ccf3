"""Licence names and classifiers read against the SPDX list license-expression ships."""

from __future__ import annotations

import pytest
from license_expression import get_spdx_licensing

from release.licences import (
    CLASSIFIER_WORDS,
    declared_licenses,
    evidence,
    id_of_classifier,
    id_of_name,
    spdx_list,
)


def test_the_list_is_the_librarys_own():
    """Every id the list gives is one the library's own SPDX licensing knows by that key."""
    licensing = get_spdx_licensing()
    known = {sym.key for sym in licensing.known_symbols.values()}
    spdx = spdx_list()
    assert set(spdx.ids.values()) <= known
    assert set(spdx.deprecated.values()) <= known
    assert len(spdx.ids) > 500
    assert spdx.canonical("gpl-2.0+") == "GPL-2.0-or-later"
    assert spdx.canonical("GPL") is None  # a ScanCode alias, never an SPDX id
    assert spdx.canonical("Apache-2.0") == "Apache-2.0"


def test_classifier_words_all_name_ids_on_the_list():
    for words, spdx_id in CLASSIFIER_WORDS.items():
        assert spdx_list().ids.get(spdx_id.lower()) == spdx_id, words


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("MIT", "MIT"),
        ("mit", "MIT"),
        ("MIT License", "MIT"),
        ("MIT license", "MIT"),
        ("Apache 2.0", "Apache-2.0"),
        ("Apache License 2.0", "Apache-2.0"),
        ("Apache License, Version 2.0", "Apache-2.0"),
        ("GNU GPLv3+", "GPL-3.0-or-later"),
        ("GPLv2", "GPL-2.0-only"),
        ("BSD-3-Clause", "BSD-3-Clause"),
        ("MPL 2.0", "MPL-2.0"),
        # Not said: no version, or not a licence name at all.
        ("PSFL", None),
        ("BSD", None),
        ("GPL", None),
        ("LGPL", None),
        ("Dual License", None),
        ("Proprietary", None),
    ],
)
def test_names_known_answers(name, expected):
    assert id_of_name(name) == expected


@pytest.mark.parametrize(
    ("classifier", "expected"),
    [
        ("License :: OSI Approved :: MIT License", "MIT"),
        ("License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"),
        ("License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)", "EPL-2.0"),
        (
            "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)",
            "GPL-3.0-or-later",
        ),
        ("License :: OSI Approved :: ISC License (ISCL)", "ISC"),
        ("License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication", "CC0-1.0"),
        ("License :: OSI Approved :: Python Software Foundation License", "PSF-2.0"),
        ("License :: OSI Approved :: zlib/libpng License", "Zlib"),
        # Which version is not said: a name, never a guess.
        ("License :: OSI Approved :: Apache Software License", None),
        ("License :: OSI Approved :: BSD License", None),
        ("License :: OSI Approved :: GNU General Public License (GPL)", None),
        ("License :: OSI Approved :: GNU Library or Lesser General Public License (LGPL)", None),
        ("License :: Other/Proprietary License", None),
        ("License :: OSI Approved", None),
    ],
)
def test_classifiers_known_answers(classifier, expected):
    assert id_of_classifier(classifier) == expected


def test_every_trove_licence_classifier_maps_to_the_list_or_stays_a_name():
    trove = pytest.importorskip("trove_classifiers")
    licences = [c for c in trove.classifiers if c.startswith("License ::")]
    assert len(licences) > 50
    mapped = {c: id_of_classifier(c) for c in licences}
    for classifier, spdx_id in mapped.items():
        if spdx_id is not None:
            assert spdx_list().ids[spdx_id.lower()] == spdx_id, classifier
    assert sum(v is not None for v in mapped.values()) >= 40


def test_expression_makes_the_other_fields_void():
    found = evidence("MIT OR Apache-2.0", "BSD", ["License :: OSI Approved :: BSD License"])
    assert [(e.text, e.source) for e in found] == [("MIT OR Apache-2.0", "License-Expression")]
    assert declared_licenses("apache-2.0", None, ()) == ("Apache-2.0",)


def test_names_and_classifiers_that_agree_are_one_licence():
    assert declared_licenses(None, "MIT license", ["License :: OSI Approved :: MIT License"]) == (
        "MIT",
    )
    assert declared_licenses(
        None, "PSFL", ["License :: OSI Approved :: Python Software Foundation License"]
    ) == ("PSFL", "PSF-2.0")


def test_every_id_on_the_list_reads_as_itself_in_any_case():
    spdx = spdx_list()
    for key, spdx_id in spdx.ids.items():
        assert id_of_name(spdx_id) == spdx_id
        assert id_of_name(key.upper()) == spdx_id
    for deprecated, replacement in spdx.deprecated.items():
        assert id_of_name(deprecated) == replacement
