"""Which language feedback is written in: the detector as the worker uses it."""

from __future__ import annotations

import pytest

from analytics.ml.language import (
    ENGLISH,
    LanguageReading,
    decide,
    detect_language,
    detect_languages,
    language_name,
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Pielęgniarka była niegrzeczna dla mojej matki i nikt nam nic nie wyjaśnił.", "pl"),
        ("Roedd y nyrs yn garedig iawn a chefais ofal ardderchog ar y ward.", "cy"),
        ("Am așteptat cinci ore la urgențe și nimeni nu ne-a spus nimic.", "ro"),
        ("Esperei seis horas nas urgências e ninguém me explicou nada.", "pt"),
        ("میں نے A&E میں پانچ گھنٹے انتظار کیا", "ur"),
        ("ਮੈਂ A&E ਵਿੱਚ ਪੰਜ ਘੰਟੇ ਉਡੀਕ ਕੀਤੀ।", "pa"),
        ("আমি A&E-তে পাঁচ ঘণ্টা অপেক্ষা করেছি।", "bn"),
        ("انتظرت خمس ساعات في قسم الطوارئ.", "ar"),
        ("The nurse was rude to my father and nobody told us what was happening.", "en"),
    ],
)
def test_each_language_the_issue_names_is_told_apart_from_english(text, code):
    reading = detect_language(text)
    assert reading.code == code
    assert reading.readable is (code == ENGLISH)
    assert 0.0 < reading.confidence <= 1.0


def test_english_with_a_foreign_name_is_still_english():
    for text in (
        "Dr Kowalski was very kind to my mum.",
        "My husband Gheorghe was discharged without his medication.",
        "Thank you to Dr Siobhán Ní Bhriain and the team in Llandudno.",
    ):
        assert detect_language(text).code == ENGLISH, text


def test_short_latin_text_is_taken_as_english_whatever_the_detector_guesses():
    # Two words the detector would call Polish: too short to take the English reading away.
    reading = decide("Bardzo dobrze", [("pl", 0.99), ("en", 0.01)])
    assert reading == LanguageReading(ENGLISH, 0.01, "pl")
    # Uncertain: the detector thinks it is more likely not English, but not sure enough.
    unsure = decide("Staff were niegrzeczni today.", [("pl", 0.6), ("en", 0.3), ("cs", 0.1)])
    assert unsure.code == ENGLISH and unsure.detected == "pl"


def test_a_short_text_in_another_script_is_trusted_at_any_length():
    assert decide("شكراً", [("ar", 0.4), ("ur", 0.35)]).code == "ar"
    assert detect_language("ধন্যবাদ").code == "bn"


def test_text_without_letters_is_english_and_names_no_guess():
    reading = detect_language("07700 900123 !!!")
    assert reading.code == ENGLISH and reading.detected == ""


def test_a_batch_reads_each_text_as_one_at_a_time_would():
    texts = ["Dziękuję bardzo za opiekę nad moją mamą na oddziale.", "Thank you, ward 5."]
    batch = detect_languages(texts)
    alone = [detect_language(t) for t in texts]
    assert [r.code for r in batch] == [r.code for r in alone] == ["pl", ENGLISH]
    assert [r.confidence for r in batch] == pytest.approx([r.confidence for r in alone])


def test_staff_read_the_language_by_name():
    assert language_name("pl") == "Polish"
    assert language_name("cy") == "Welsh"
    assert language_name("xx") == "xx"
