"""People's names, as patients write them: the name recogniser behind ``redaction_engine``.

spaCy's small English model finds many names but misses first names alone ("Priya was lovely"),
lower-case names ("mr khan", "my wife jane smith") and names in other scripts, and takes wards,
hospitals and charities named after people for people. This recogniser reads spaCy's tokens and
entities and decides, in order:

- a name after a title (Mr, Dr, Sister, ...), a relation ("my son", "our nan"), an introduction
  ("my name is", "called"), in a sign-off, or in a list after "thank you to";
- a proper noun that is a known first name (gender-guesser's dictionary of first names of many
  countries), with the proper nouns after it (the surname);
- spaCy's own PERSON entities;
- a run of letters of another script (Greek, Cyrillic, Arabic, Hebrew, Devanagari, Chinese,
  Japanese, Korean) inside an English comment;

and never one led by "the" or followed by "ward", "hospital", "house", "syndrome", ... (the
John Radcliffe, Florence ward, the Sue Ryder hospice, Down's syndrome), a month next to a number,
or a word such as "Mum", "Tel" or "Ward" on its own.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Honorifics: a lower-case word after one is still a name ("mr khan", "dr smith").
HONORIFICS = _words("mr mrs ms miss mx dr prof sir dame lady lord rev revd mister madam")
# Roles: only a capitalised word or a known first name after one ("nurse Kelly", "sister jo",
# "the physio Will"), never a verb ("the nurse arrived"); and a name before one, in apposition
# ("Christian the chaplain", "Sunny, our HCA").
ROLES = _words(
    "doctor professor sister nurse matron father consultant midwife physio physiotherapist hca "
    "chaplain porter paramedic receptionist pharmacist surgeon registrar anaesthetist therapist "
    "dietitian dietician cleaner housekeeper volunteer carer sonographer radiographer gp advocate "
    "student phlebotomist podiatrist optician optometrist dentist hygienist technician manager "
    "coordinator navigator worker visitor assistant ot salt psychologist psychiatrist counsellor "
    "officer keyworker support"
)
# Where staff are placed, after "on the", "from the", "at": "Dawn on the early shift".
WORKPLACES = _words(
    "shift shifts ward wards unit team desk reception nights days lates earlies bay bays "
    "switchboard front ward's line"
)
TITLES = HONORIFICS | ROLES
RELATIONS = _words(
    "wife husband partner son daughter mum mother dad father brother sister nan nanna gran "
    "granny grandma grandad grandpa grandmother grandfather aunt auntie aunty uncle cousin niece "
    "nephew friend neighbour fiance fiancee fiancé fiancée girlfriend boyfriend baby child "
    "grandson granddaughter carer stepson stepdaughter stepmum stepdad"
)
POSSESSIVES = _words("my our his her their")
INTRODUCTIONS = (
    ("my", "name", "is"),
    ("name", "is"),
    ("my", "names"),
    ("i", "am", "called"),
    ("called",),
    ("named",),
    ("name's",),
    ("this", "is"),
    ("it", "'s"),
    ("its",),
    ("hi",),
    ("hello",),
    ("dear",),
)
SIGN_OFFS = _words("regards sincerely faithfully thanks wishes cheers love from signed yours x xx")
NOT_A_PERSON_AFTER = _words(
    "ward wards hospital hospitals unit wing house centre center suite building block clinic "
    "practice surgery trust foundation hospice charity nurse nurses team street road lane avenue "
    "syndrome disease infirmary general county ambulance university college school park "
    "memorial institute manoeuvre score test scale monitor"
)
# Capitalised words that are names of people only rarely in a comment about care.
NOT_NAMES = _words(
    "mum mam mom mummy dad daddy nan nana nanna gran granny grandma grandad tel mob mobile email "
    "ward bay bed ni nhs uk gp a&e icu itu the and but sister nurse doctor staff patient "
    "christmas easter eve new year chair reception scanner google chief executive pip team "
    # Acronyms of the NHS that name-lists of some countries also hold.
    "hca rgn amhp pals icb cqc mri ecg ct ot salt case line"
)
NATIONALITIES = _words(
    "british english scottish welsh irish polish hungarian romanian brazilian portuguese spanish "
    "italian french german indian pakistani bangladeshi nigerian ghanaian chinese geordie "
    "scouse cockney"
)
PLACE_CONTEXT = _words("in at from to near of outside around")
MONTHS = _words(
    "january february march april may june july august september october november december"
)
PARTICLES = _words(
    "de da di du del della dos das los las van von der den le la ibn bin al el ní nic mac st ap"
)
_OTHER_SCRIPT = re.compile(
    "[\u0370-\u03ff\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u0900-\u097f\u3040-\u30ff"
    "\u3400-\u9fff\uac00-\ud7af]+(?:[ \u00a0][\u0370-\u03ff\u0400-\u04ff\u0590-\u05ff"
    "\u0600-\u06ff\u0900-\u097f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+)*"
)


@cache
def first_names() -> frozenset[str]:
    """First names of many countries, lower case: gender-guesser's dictionary (mostly European
    and American) and the first names of Faker's 86 locales (names of Nigeria, Ghana, Kenya,
    South Africa, South Asia, Eastern Europe, ...), in the Latin alphabet."""
    import gender_guesser.detector

    names = {name.lower() for name in gender_guesser.detector.Detector().names}
    names.update(faker_first_names())
    return frozenset(names)


def faker_first_names() -> set[str]:
    return _faker_names(("first_names", "first_names_male", "first_names_female"))


@cache
def family_names() -> frozenset[str]:
    """Family names of Faker's locales, lower case, in the Latin alphabet (the learnt
    recogniser reads membership as one of its features)."""
    return frozenset(_faker_names(("last_names", "last_names_male", "last_names_female")))


def _faker_names(attributes: tuple[str, ...]) -> set[str]:
    import importlib
    import pkgutil

    import faker.providers.person as person

    found: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        for attribute in attributes:
            lists = getattr(provider, attribute, ())
            if isinstance(lists, dict):
                lists = lists.keys()
            if not isinstance(lists, list | tuple | set | type({}.keys())):
                continue
            for name in lists:
                # Latin letters only (with accents): other scripts are found by _OTHER_SCRIPT.
                if (name.replace("-", "").replace("'", "").isalpha() and name.isascii()) or (
                    name[:1].isalpha() and all(ord(ch) < 0x250 for ch in name)
                ):
                    found.add(name.lower())
    return found


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and any(ch.isalpha() for ch in word)


def _word(token: Any) -> bool:
    return bool(token.text) and (token.text[0].isalpha() or token.text[0] in "'\u2019")


class NameFinder:
    """Finds names in one spaCy ``Doc`` (Presidio's nlp artifacts tokens and entities)."""

    def __init__(self, tokens: list[Any], entities: list[Any]) -> None:
        self.tokens = tokens
        self.entities = entities
        self.names = first_names()

    def spans(self) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        for i in range(len(self.tokens)):
            start = self._context_start(i)
            if start is not None:
                end = self._extend(start, lower_ok=True)
                if end > start and self._acceptable(start, end):
                    found.append(self._chars(start, end))
        for i, token in enumerate(self.tokens):
            if self._known_first_name(i):
                end = self._extend(i, lower_ok=False)
                if self._acceptable(i, end):
                    found.append(self._chars(i, end))
            del token
        for entity in self.entities:
            if entity.label_ == "PERSON":
                start, end = entity.start, entity.end
                while start < end and self.tokens[start].lower_ in TITLES | {"the"}:
                    start += 1
                if start < end and self._acceptable(start, end):
                    found.append(self._chars(start, end))
        return found

    def other_scripts(self, text: str) -> list[tuple[int, int]]:
        return [(m.start(), m.end()) for m in _OTHER_SCRIPT.finditer(text)]

    # --- where a name starts because of what comes before it ---------------------------------

    def _context_start(self, i: int) -> int | None:
        tokens = self.tokens
        if i >= len(tokens) or not _word(tokens[i]):
            return None
        before = [t.lower_.rstrip(".") for t in tokens[max(0, i - 3) : i] if t.text != ","]
        word = tokens[i]
        plausible = _capitalised(word.text) or word.lower_ in self.names
        # "Will", "May", "Sunny": a stop word or an ordinary word, but a name when capitalised
        # after a title or role.
        named = _capitalised(word.text) and word.lower_ in self.names
        if before and before[-1] in HONORIFICS and (not word.is_stop or named):
            return i
        if before and before[-1] in ROLES and plausible and (not word.is_stop or named):
            return i
        # "the husband of Anneliese", "a friend of Chinedu's"
        if (
            len(before) >= 2
            and before[-2] in RELATIONS
            and before[-1] == "of"
            and (_capitalised(word.text) and not word.is_stop)
        ):
            return i
        if len(before) >= 2 and before[-2] in POSSESSIVES and before[-1] in RELATIONS:
            return i if plausible and not word.is_stop else None
        for phrase in INTRODUCTIONS:
            if tuple(before[-len(phrase) :]) == phrase and plausible and not word.is_stop:
                return i
        if before and before[-1] in SIGN_OFFS and self._at_end(i) and plausible:
            return i
        if self._in_thanks_list(i) and _capitalised(word.text):
            return i
        return None

    def _at_end(self, i: int) -> bool:
        """Only a name's words and punctuation follow token ``i`` (a sign-off)."""
        rest = [t for t in self.tokens[i:] if not t.is_punct and not t.is_space]
        return 0 < len(rest) <= 4 and all(_capitalised(t.text) or t.lower_ in self.names
                                          for t in rest)  # fmt: skip

    def _in_thanks_list(self, i: int) -> bool:
        j = i - 1
        while j >= 0 and (self.tokens[j].text in {",", "and", "&"} or _capitalised(
            self.tokens[j].text
        )):  # fmt: skip
            j -= 1
        window = [t.lower_ for t in self.tokens[max(0, j - 2) : j + 1]]
        return window[-2:] == ["thanks", "to"] or window[-3:] == ["thank", "you", "to"]

    def _known_first_name(self, i: int) -> bool:
        token = self.tokens[i]
        word = token.text
        if not (_capitalised(word) and word.lower() in self.names):
            return False
        if word.isupper() and len(word) > 1:
            return not token.is_stop and word.lower() not in NOT_NAMES
        if token.ent_type_ in {"NORP", "FAC"} and not self._apposition_after(i):
            return False
        if token.pos_ != "PROPN" and not (
            # spaCy's small model tags many capitalised first names as nouns, adjectives or
            # verbs ("Will", "Dawn", "Bev"): one capitalised inside a sentence is a name, and so
            # is one at a sentence's start that a role or a place of work follows.
            (not self._sentence_start(i) and word.lower() not in NOT_NAMES)
            or self._apposition_after(i)
        ):
            return False
        # spaCy's small model calls many first names places or organisations; only a place
        # word in a place's context ("in Chester", "from Preston") is taken for a place.
        before = self.tokens[i - 1].lower_ if i > 0 else ""
        return not (token.ent_type_ in {"GPE", "LOC"} and before in PLACE_CONTEXT)

    def _sentence_start(self, i: int) -> bool:
        if i == 0:
            return True
        before = self.tokens[i - 1]
        return (
            before.is_space
            or before.text in {".", "!", "?", ":", ";", "-", "\u2013", '"'}
            or (not before.is_alpha and not before.is_punct and not before.like_num)
        )

    def _apposition_after(self, i: int) -> bool:
        """A role or a place of work follows the word: "Christian the chaplain", "Sunny, our
        HCA", "Dawn on the early shift", "Mo at reception"."""
        after = [t.lower_ for t in self.tokens[i + 1 : i + 6] if t.text != ","]
        if (
            len(after) >= 2
            and after[0] in {"the", "our", "my", "a", "your", "their"}
            and (after[1] in ROLES or (len(after) > 2 and after[2] in ROLES))
        ):
            return True
        if after and after[0] in {"on", "from", "at", "in"}:
            return any(word in WORKPLACES for word in after[1:4])
        return False

    def family_names(self) -> list[tuple[int, int]]:
        """The surname in "the Whitworth family", "the whole Okafor family"."""
        found = []
        for i, token in enumerate(self.tokens[:-1]):
            following = self.tokens[i + 1].lower_
            if (
                following in {"family", "families", "household", "clan"}
                and _capitalised(token.text)
                and not token.is_stop
                and token.lower_ not in NOT_NAMES | NATIONALITIES
                and i > 0
                and self.tokens[i - 1].lower_ in {"the", "whole", "entire", "wider", "extended"}
            ):
                found.append(self._chars(i, i + 1))
        return found

    def sign_off(self) -> list[tuple[int, int]]:
        """A name alone at the end, as its own sentence or line: "... thanks. Connor", "anytime.
        Bev x"."""
        tokens = self.tokens
        end = len(tokens)
        while end > 0 and (
            tokens[end - 1].is_punct
            or tokens[end - 1].is_space
            or tokens[end - 1].lower_ in {"x", "xx", "xxx"}
            or not any(ch.isalnum() for ch in tokens[end - 1].text)
        ):
            end -= 1
        start = end
        while start > 0 and end - start < 3 and _word(tokens[start - 1]):
            start -= 1
        if start == end or not self._sentence_start(start) or start == 0:
            return []
        words = tokens[start:end]
        if all(
            _capitalised(t.text)
            and t.lower_ not in NOT_NAMES
            and t.lower_ not in SIGN_OFFS
            # A known first name, or a word spaCy reads as a person's name.
            and (t.lower_ in self.names or (t.ent_type_ == "PERSON" and not t.is_stop))
            for t in words
        ):
            return [self._chars(start, end)]
        return []

    def coordinated(self, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """A capitalised word joined by "and" or "&" to a name found: "Ollie and Alfie"."""
        starts = {t.idx: k for k, t in enumerate(self.tokens)}
        ends = {t.idx + len(t.text): k for k, t in enumerate(self.tokens)}
        found = []
        for start, end in spans:
            first, last = starts.get(start), ends.get(end)
            if first is None or last is None:
                continue
            for k, step in ((last + 2, 1), (first - 2, -1)):
                joint = k - step
                if not (0 <= k < len(self.tokens)) or self.tokens[joint].lower_ not in {"and", "&"}:
                    continue
                token = self.tokens[k]
                if (
                    _capitalised(token.text)
                    and not token.is_stop
                    and token.lower_ not in NOT_NAMES | NOT_A_PERSON_AFTER
                    and token.ent_type_ not in {"GPE", "LOC", "FAC", "NORP"}
                    and self._acceptable(k, k + 1)
                ):
                    found.append(self._chars(k, k + 1))
        return found

    # --- how far a name goes, and whether it is one -------------------------------------------

    def _extend(self, start: int, *, lower_ok: bool) -> int:
        tokens = self.tokens
        end = start + 1
        first_lower = not _capitalised(tokens[start].text)
        while end < len(tokens) and end - start < 4:
            token = tokens[end]
            if token.lower_ in PARTICLES and end + 1 < len(tokens):
                end += 1
                continue
            if token.text in {"-", "'"} and end + 1 < len(tokens):
                end += 1
                continue
            if (
                _capitalised(token.text)
                and token.pos_ in {"PROPN", "NOUN", "X"}
                and (token.lower_ not in NOT_A_PERSON_AFTER)
            ):
                end += 1
                continue
            if (
                lower_ok
                and first_lower
                and token.is_alpha
                and not token.is_stop
                and token.pos_ in {"PROPN", "NOUN"}
                and end == start + 1
            ):
                end += 1
                continue
            break
        while end > start + 1 and tokens[end - 1].lower_ in PARTICLES:
            end -= 1
        return end

    def _acceptable(self, start: int, end: int) -> bool:
        tokens = self.tokens
        words = [t for t in tokens[start:end] if _word(t)]
        if not words:
            return False
        if all(
            (t.is_stop and not (_capitalised(t.text) and t.lower_ in self.names))
            or t.lower_ in NOT_NAMES
            for t in words
        ):
            return False
        # "Eliot Ward", "Queen Elizabeth Hospital", "Ronald McDonald House": a place, not a person.
        if any(t.lower_ in NOT_A_PERSON_AFTER for t in words):
            return False
        if len(words) == 1 and words[0].lower_ in NATIONALITIES:
            return False
        if start > 0 and tokens[start - 1].lower_ == "the":
            return False
        following = tokens[end].lower_ if end < len(tokens) else ""
        if following in NOT_A_PERSON_AFTER or (
            following in {"'s", "\u2019s"}
            and end + 1 < len(tokens)
            and tokens[end + 1].lower_ in NOT_A_PERSON_AFTER | {"disease", "syndrome"}
        ):
            return False
        if len(words) == 1 and words[0].lower_ in MONTHS:
            neighbours = tokens[max(0, start - 1) : end + 1]
            if any(t.like_num for t in neighbours) or (
                start > 0
                and tokens[start - 1].lower_ in {"in", "on", "of", "last", "next", "since"}
            ):
                return False
        return True

    def _chars(self, start: int, end: int) -> tuple[int, int]:
        last = self.tokens[end - 1]
        return self.tokens[start].idx, last.idx + len(last.text)


def name_recogniser() -> Any:
    """A Presidio recogniser of PERSON built on :class:`NameFinder`."""
    from presidio_analyzer import EntityRecognizer, RecognizerResult

    class NameRecognizer(EntityRecognizer):
        def load(self) -> None:
            first_names()

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            if nlp_artifacts is None:
                return []
            finder = NameFinder(list(nlp_artifacts.tokens), list(nlp_artifacts.entities))
            spans = finder.spans()
            spans += finder.coordinated(spans)
            spans += finder.family_names() + finder.sign_off() + finder.other_scripts(text)
            return [RecognizerResult("PERSON", start, end, 0.8) for start, end in spans]

    return NameRecognizer(supported_entities=["PERSON"], name="names", supported_language="en")
