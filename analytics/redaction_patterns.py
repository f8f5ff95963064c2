"""Patterns for the UK identifiers Presidio has no recogniser for, as patients write them.

Each is a Presidio ``PatternRecognizer`` (the ``regex`` module: variable-width look-behind).
Tuned on the development set (data/redaction/development.jsonl), never on the evaluation set.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_GROUPS = re.compile(r"[^0-9]+")

# Digits as keyboards and phones type them: ASCII and full-width.
D = r"[0-9\uff10-\uff19]"
ZERO = r"[0\uff10]"
APOS = "'\u2019"

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = rf"(?:\d{{4}}|[{APOS}]?\d{{2}})"
_ORDINAL_WORDS = (
    r"(?:(?:twenty|thirty)[\s-]?)?(?:first|second|third|fourth|fifth|sixth|seventh|eighth"
    r"|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth"
    r"|eighteenth|nineteenth|twentieth|thirtieth)"
)
_DATE = (
    rf"(?:(?:the\s+)?{_DAY}(?:\s+of)?[\s./\-,]+(?:the\s+)?(?:{_MONTH}|{_DAY})[\s./\-,]+{_YEAR}"
    rf"|\d{{4}}[./\-]\d{{1,2}}[./\-]\d{{1,2}}"
    rf"|{_MONTH}\s+{_DAY},?\s+{_YEAR}"
    rf"|\d{{6}}(?:\d{{2}})?"
    rf"|(?:the\s+)?{_ORDINAL_WORDS}\s+of\s+{_MONTH}\s+(?:nineteen|two thousand)"
    r"(?:[\s-]+(?:and\s+)?[a-z]+){0,3})"
)
_BIRTH_WORDS = (
    r"(?:dob|d\.o\.b\.?|date of birth|birth\s?date|born(?:\s+on)?|birthday(?:\s+is)?"
    # A baby's birth, told as an event: "my wife had baby on 18/09/2024", "gave birth on ...".
    r"|had\s+(?:a\s+|the\s+|her\s+|his\s+|my\s+|our\s+|their\s+)?(?:baby|son|daughter|twins)"
    r"(?:\s+(?:boy|girl))?(?:\s+on)?|gave\s+birth(?:\s+on)?|was\s+delivered(?:\s+on)?)"
)

# A date set down beside a person's name or number, as people write an identity block ("Ama
# Darko 31/12/1990", "Tadhg 18.03.2011 Bláthnaid 02.07.2013", "D01992277 July 4th 1993"): a date
# of birth, though no "dob" says so. Only punctuation, or a birth word, between them.
DATE = re.compile(rf"(?i)(?<![\w/.\-]){_DATE}(?![\w/\-]|\.\d)")
BESIDE_GAP = re.compile(rf"(?i)[\s,;:(\-\u2013]{{0,4}}(?:{_BIRTH_WORDS}[\s:,\-]{{0,3}})?")
# A member of staff's name then a date is when they were seen, not a birthday.
STAFF_TITLE = re.compile(
    r"(?i)\b(?:dr|doctor|nurse|sister|staff nurse|consultant|midwife|matron|surgeon|prof"
    r"|professor|receptionist|paramedic|gp|physio|pharmacist|mr\s+and\s+mrs)\.?\s*$"
)

_STREET = (
    r"(?:street|st|road|rd|avenue|ave|lane|lanes|ln|close|drive|dr|way|grove|court|crescent"
    r"|place|terrace|gardens|park|hill|row|square|mews|walk|view|rise|green|boulevard|parade"
    r"|wharf|estate|gate|mount|croft|fold|heights|vale|meadows?|bank|brow|side|yard|passage"
    r"|approach|cottages|halls|wynd|brae|loan|vennel|quay|chase|ridge|dale|garth|mead|circus"
    r"|broadway|embankment|orchard|paddock|spinney|glade|leys|crossway)"
)
_HOUSE = (
    r"(?:house|cottage|cottages|farm|lodge|court|hall|halls|forge|barn|mill|manor|villa"
    r"|grange|estate|home|bungalow|flats|mansions|buildings|wharf|park|view|rise)"
)
_CAP = rf"[A-Z][\w{APOS}\-]*"
# A town after a street: capitalised, or in lower case when a comma sets it off and the
# sentence or line ends after it ("42 high st, bangor.").
_TOWN = (
    rf"(?:(?-i:{_CAP}(?:\s+(?:upon|on|le|under|in|de)?\s*{_CAP}){{0,3}})"
    rf"|(?<=[,\s])(?-i:[a-z][a-z{APOS}\-]{{2,}})(?=\s*(?:[,.;:!?\n]|$)))"
)
# A house number, or a range of them: 12, 12a, 61-63.
_NUMBER = r"\d{1,4}[a-z]?(?:\s?[-\u2013]\s?\d{1,4}[a-z]?)?"
# Up to two parts after the street: "Sparkhill, Birmingham"; never the pronoun "I".
_TOWNS = rf"(?:,?\s*(?!I\b){_TOWN}){{0,2}}"
# Welsh streets name their kind first: Heol y Dderwen, Ffordd Penrhos, Stryd Fawr, Lôn Isaf.
_PARTICLE = r"(?i:de|da|di|du|del|della|dos|das|van|von|der|den|le|la|bin|al|el|ap|st)"
_WELSH_STREET = (
    rf"(?-i:(?:Heol|Ffordd|Stryd|L[oô]n|Rhodfa|Cilgant|Maes|Bryn|Pant|Cae)\s+(?:y\s+|yr\s+)?{_CAP})"
)
_UNIT = (
    r"(?:(?:basement|ground floor|top floor|first floor)\s+)?"
    r"(?:flat|apartment|apt|room|caravan|plot|unit|number|no\.?)(?:\s*[A-Za-z]?\d+[A-Za-z]?)?"
)


# An address written as comma-separated parts with no street word ("Mains of Auchterless,
# Turriff", "Croft 7, Balallan, Isle of Lewis", "Chy an Mor, Trevone Farm, St Merryn"): each part
# one to four words, the first word of each capitalised or a number, never "I". On its own such a
# run is any list; it is an address where it stands before a postcode (redaction_engine) or after
# "my address is", "we live at", "c/o".
_RUN_WORD = rf"(?-i:[A-Z][\w{APOS}\-.]*|\d{{1,4}}[A-Za-z]?\b)"
_RUN_LINK = r"(?-i:of|an|y|yr|upon|on|le|la|de|du|the|by|under|next|en|am|nan|na)\b"
_RUN_PART = rf"(?-i:(?!I\b)){_RUN_WORD}(?:[ \t]+(?:{_RUN_WORD}|{_RUN_LINK})){{0,3}}"
ADDRESS_RUN = rf"{_RUN_PART}(?:,[ \t]*{_RUN_PART}){{1,4}}"
ADDRESS_BEFORE_POSTCODE = re.compile(rf"(?<![\w{APOS}\-/.])(?:c/o\s+)?{ADDRESS_RUN},?[ \t]*$")
_ADDRESS_CUE = (
    r"(?:address\s+(?:is|was)|address\s*:|(?:live|lives|living|stay|stays|staying|stopping)\s+at"
    r"|c/o|care\s+of)"
)


def _pattern(name: str, entity: str, regexes: Sequence[str], score: float) -> Any:
    from presidio_analyzer import Pattern, PatternRecognizer

    return PatternRecognizer(
        supported_entity=entity,
        name=name,
        patterns=[Pattern(f"{name} {i}", regex, score) for i, regex in enumerate(regexes)],
        global_regex_flags=0,
    )


def _a_date(groups: Sequence[str]) -> bool:
    """Day, month and year then more digits ("30 01 1972 14": a date of birth and a house
    number), which nobody groups an NHS number as."""
    if len(groups) < 3 or [len(g) for g in groups[:3]] != [2, 2, 4]:
        return False
    day, month, year = (int(g) for g in groups[:3])
    return 1 <= day <= 31 and 1 <= month <= 12 and 1900 <= year <= 2099


def _grouped_nhs_number() -> Any:
    from presidio_analyzer import Pattern, PatternRecognizer

    class GroupedNhsNumber(PatternRecognizer):
        """Ten digits (the first not 0, so not a phone) in any grouping people type, with one
        kind of separator throughout: "999 28 341 67", "999/342/1188", "9 9 9 3 4 5 6 7 8 9".
        A list of times or doses mixes separators or makes more groups, and is left."""

        def validate_result(self, pattern_text: str) -> bool:
            separators = {ch for ch in pattern_text if not ch.isdigit()}
            kinds = {" " if ch in " \t" else ch for ch in separators}
            groups = [g for g in _GROUPS.split(pattern_text) if g]
            return len(kinds) <= 1 and len(groups) in {1, 2, 3, 4, 10} and not _a_date(groups)

    return GroupedNhsNumber(
        supported_entity="UK_NHS",
        name="UK NHS number, other groupings",
        patterns=[
            Pattern(
                "grouped",
                # Not the rest of a phone number after +44, 0044, (0) or a spaced-out 0.
                r"(?<![0-9\w.,/\-])(?<!44[ \t)]{1,2})(?<!\(0\)[ \t]?)(?<!0[ \t./\-\u2013]{1,2})"
                r"[1-9](?:[ \t/.\-\u2013\u2014]{0,2}[0-9]){9}(?![0-9\w])",
                0.85,
            )
        ],
        global_regex_flags=0,
    )


def recognisers() -> list[Any]:
    return [
        _pattern(
            "email",
            "EMAIL_ADDRESS",
            [
                rf"[\w.+{APOS}-]+@[\w-]+(?:\.[\w-]+)+",
                # Spelled out: "ruth dot akintola at example dot com", "jo [at] example [dot] org"
                r"(?i)\b[\w.+-]+(?:\s+(?:dot|underscore|dash|hyphen)\s+[\w+-]+)*"
                # The domain starts with a letter and a written "." joins without spaces, so
                # "obs at 10.30" and "the ward at night. Found" are not addresses.
                r"\s+(?:at|\[at\]|\(at\))\s+[a-z][\w-]*"
                r"(?:(?:\.|\s*(?:\bdot\b|\[dot\]|\(dot\))\s*)[a-z][\w-]*)+",
            ],
            0.9,
        ),
        _pattern(
            "UK NHS number",
            "UK_NHS",
            [
                rf"(?<![0-9\uff10-\uff19\w]){D}{{3}}[ \t.\-]{{0,3}}{D}{{3}}[ \t.\-]{{0,3}}{D}{{4}}"
                r"(?![0-9\uff10-\uff19\w])"
            ],
            0.9,
        ),
        _grouped_nhs_number(),
        _pattern(
            "UK phone",
            "UK_PHONE",
            [
                rf"(?<![\w+])(?:(?:\(?\+44\s?\)?|\(?{ZERO}{ZERO}44\)?)[\s.\-]?(?:\(0\)[\s.\-]?)?"
                rf"|\(?{ZERO}){D}(?:[\s.\-]?\)?[\s.\-]?{D}){{8,9}}(?![0-9\uff10-\uff19])"
            ],
            0.9,
        ),
        _pattern(
            "UK postcode",
            "UK_POSTCODE",
            [
                r"(?i)(?<![A-Za-z0-9])(?:GIR\s*0AA|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9]{1,2}"
                r"|[0-9][A-HJKS-UW]|[A-HK-Y][0-9][ABEHMNPRVWXY])\s*[0-9][ABD-HJLNP-UW-Z]{2})"
                r"(?![A-Za-z0-9])"
            ],
            0.9,
        ),
        _pattern(
            "UK street address",
            "UK_ADDRESS",
            [
                # [Flat 12,] [Nelson Mandela House,] [64] Peckham Hill Street[, London]
                rf"(?i)\b(?:c/o\s+)?(?:{_UNIT},?\s+)?(?:(?-i:{_CAP}\s+){{0,3}}{_HOUSE},?\s+)?"
                rf"(?:{_NUMBER},?\s+)(?:(?!(?:at|in|on|from|to|by|near|and|or)\b)[a-z][\w{APOS}\-]*\s+)"
                rf"{{0,3}}{_STREET}\b{_TOWNS}",
                rf"(?i)\b{_UNIT},?\s+(?:(?-i:{_CAP}\s+){{0,3}}{_HOUSE},?\s+)?"
                rf"(?:{_NUMBER},?\s+)?(?-i:{_CAP}\s+){{0,3}}{_STREET}\b{_TOWNS}",
                # [Tŷ Gwyn,] [12] Heol y Dderwen[, Llandeilo]
                rf"(?:(?-i:{_CAP}(?:\s+{_CAP})?),\s+)?(?:\d{{1,4}}[a-z]?,?\s+)?{_WELSH_STREET}"
                rf"(?:,\s*{_TOWN})?",
                # A Welsh house name and its village: "Ty Newydd, Pentre, Rhondda"
                rf"(?-i:(?:T[y\u0177]|Plas|Hafod|Bwthyn|Fferm|Hendre|Llys)\s+{_CAP}(?:\s+{_CAP})?)"
                rf"(?:,\s*{_TOWN}){{1,2}}",
                # A house name before a named street and its town: "The Willows, Back Lane, Great
                # Ayton" (the street and the town both written, or it is any name and a street)
                rf"(?-i:(?:The\s+)?{_CAP}(?:\s+{_CAP}){{0,2}}),\s+(?:\d{{1,4}}[a-z]?\s+)?"
                rf"(?-i:(?:{_CAP}\s+){{1,3}})(?i:{_STREET})\b,\s*{_TOWN}",
                # Parts with no street word after "my address is", "we live at", "c/o"
                rf"(?i)(?<=\b{_ADDRESS_CUE}\s+){ADDRESS_RUN}",
                # A house name with its street and town: "Cherry Tree Farm, Long Lane, Holmfirth"
                rf"(?-i:(?:{_CAP}\s+){{0,3}})(?i:{_HOUSE}),\s+(?:\d{{1,4}}[a-z]?\s+)?"
                rf"(?-i:(?:{_CAP}\s+){{0,3}})(?i:{_STREET})\b(?:,\s*{_TOWN})?",
            ],
            0.85,
        ),
        _pattern(
            "date of birth",
            "DATE_OF_BIRTH",
            # The date may follow a correction: "dob as 13/04/1967 when it is actually 14/03/1967".
            [rf"(?i)(?<=\b{_BIRTH_WORDS}\W[^.\n]{{0,50}}?){_DATE}"],
            0.9,
        ),
        _pattern(
            "hospital number",
            "HOSPITAL_NUMBER",
            [
                r"(?i)(?<=\b(?:hospital|hosp|patient|unit|case|record|mrn|rtx|pas|crn)\.?\s*"
                r"(?:no\.?|number|num|id|ref(?:erence)?)?(?:[:\s]{1,3}|\s?#\s?)(?:is\s+)?)"
                r"[A-Z]{0,3}[0-9]{0,3}(?:[ \-/]?[0-9]{2,8}){1,3}[A-Z]?\b",
                r"\b(?!NHS)[A-Z]{1,3}[0-9]{6,8}\b",
                # A trust's code, then the number: "RQ6-7718802", "RWP/4455109", "RX1 448812".
                r"\b(?!NHS\b|NI\b)[A-Z]{1,3}[0-9]{0,2}[\-/][0-9]{5,8}\b",
                r"\b(?!NHS\b|NI\b)[A-Z]{1,3}[0-9]\s[0-9]{6,8}\b",
                r"\b(?!NHS\b|NI\b)[A-Z]{1,3}[0-9]?\s[0-9]{3,4}\s[0-9]{2,4}\b",
            ],
            0.6,
        ),
        _pattern(
            "UK National Insurance number",
            "UK_NINO",
            [
                # Any two letters (HMRC's own example, QQ 12 34 56 C, is not a valid prefix, and
                # a redactor errs towards redacting), separators as people type them.
                r"(?i)\b[a-z]{2}(?:[ .\-]?\d{2}){3}[ .\-]?[a-d]\b",
                r"(?i)(?<=\b(?:ni|n\.i\.|national insurance)(?:\s+(?:no\.?|number))?[:\s]{1,3})"
                r"[a-z]{2}(?:[ .\-]?\d{2}){3}\b",
            ],
            0.85,
        ),
        _pattern(
            "name after a form's label",
            "PERSON",
            [
                # "Patient name: KOWALCZYK, Agnieszka", "Patient: de Souza, Maria Fernanda"
                r"(?<=\b(?i:patient(?:'s)?\s+name|full\s+name|name|patient|surname|forename"
                r"|first\s+name|last\s+name|family\s+name|signed|from)\s{0,2}:\s{0,3})"
                rf"(?:(?:{_PARTICLE})[ \t]+)?{_CAP}"
                rf"(?:,?[ \t]+(?:(?:{_PARTICLE})[ \t]+)?{_CAP}){{0,3}}",
            ],
            0.8,
        ),
        _pattern(
            "name joined to a title",
            "PERSON",
            [r"(?i)(?<=\b(?:dr|mr|mrs|ms|prof)\.)[a-z][a-z'\-]+\b"],
            0.8,
        ),
    ]
