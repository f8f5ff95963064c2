"""Redaction of direct identifiers from free text before it leaves the service in an export.

What is caught, and how:

- email addresses, UK phone numbers (07..., 01/02/03/08..., +44 and 0044 forms, with spaces,
  hyphens or brackets), NHS numbers (10 digits, with or without spaces or hyphens in the 3-3-4
  layout) and postcodes (the full postcode format with its letter rules, with or without the
  space): by pattern;
- names, by the places people write them: after a title (Mr, Mrs, Dr, ...), a role (nurse, doctor,
  sister, consultant, ...), a relation (my son, my mum, ...), an introduction (my name is, called,
  named), a thank-you (thank you to ...), and in a sign-off at the end (Regards, Jane Smith);
- the name, email, phone number and NHS number the writer gave us in their ``Identity``, wherever
  they appear, whatever the case.

A name written in none of those places ("Sarah was lovely") is not caught by pattern: that is the
limit of a rule-based approach, stated in docs/adr/0006-regulator-tokens.md. The patterns prefer
redacting too much to too little.
"""

from __future__ import annotations

import re
from typing import NamedTuple

NAME = "[NAME]"
EMAIL = "[EMAIL]"
PHONE = "[PHONE]"
NHS_NUMBER = "[NHS NUMBER]"
POSTCODE = "[POSTCODE]"


class IdentityTerms(NamedTuple):
    """What the writer told us about themselves (from ``feedback.Identity``)."""

    name: str = ""
    email: str = ""
    phone: str = ""
    nhs_number: str = ""


_EMAIL_RE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")

# Numbers. A fast first pass finds runs of digits: the only places where a phone number, an NHS
# number or a postcode's inward code can be. The precise patterns then run on a small window
# round each run, so a comment without digits costs one scan and one with "4 hours" very little.
_DIGIT_RUN_RE = re.compile(r"[0-9][0-9 \t()+-]*")
_WINDOW_BEFORE = 8  # room for "(+44) " before the first digit, or a postcode's "SW1A "
_SEP = r"[ \t-]?\)?[ \t-]?"  # between digit groups: spaces, hyphens, a bracket round the area code
_PHONE = (
    r"(?<![\w+])"
    r"(?:(?:\(?\+44\)?|\b0044)[ \t-]?(?:\(0\)[ \t-]?)?|\(?0)"  # +44 (0)..., 0044 ..., (0.. or 0..
    rf"\d(?:{_SEP}\d){{8,9}}"  # 9 or 10 more digits
    r"(?!\d)"
)
_NHS = r"(?<!\w)\d{3}[ \t-]?\d{3}[ \t-]?\d{4}(?!\w)"
# The postcode format with its letter rules (no C, I, K, M, O or V among the inward letters, ...):
# they keep doses and measures such as "B12 5mg" or "lost 2kg" from looking like postcodes.
_POSTCODE = (
    r"(?<![A-Za-z0-9])"
    r"(?:GIR[ \t]*0AA|"
    r"(?:[A-PR-UWYZ][0-9][0-9A-HJKPS-UW]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9ABEHMNPRV-Y]?)"
    r"[ \t]*[0-9][ABD-HJLNP-UW-Z]{2})"
    r"(?![A-Za-z0-9])"
)
_NUMBERS_RE = re.compile(rf"(?P<phone>{_PHONE})|(?P<nhs>{_NHS})|(?P<postcode>(?i:{_POSTCODE}))")

# Names. A fast first pass finds runs of capitalised words ("Mr J. Smith", "Sarah, Tom and
# Priya"); a run is a name when the words just before it (or a title inside it) say so.
_APOSTROPHES = "'\u2019"
_RUN_RE = re.compile(
    rf"[A-Z][A-Za-z{_APOSTROPHES}.&-]*"
    rf"(?:,?[ \t]+(?:(?:and|&)[ \t]+)?[A-Z][A-Za-z{_APOSTROPHES}.&-]*)*"
)
_TOKEN_RE = re.compile(rf"[A-Za-z{_APOSTROPHES}.&-]+")
_NAME_WORD_RE = re.compile(
    rf"(?:[A-Z][{_APOSTROPHES}])?[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:-[A-Z][a-z]+)?|[A-Z]"
)
_DASHES = "-\u2013\u2014"
_CONTEXT_CHARS = 40
_DIGITS_RE = re.compile(r"[0-9]+")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TITLES = _words("Mr Mrs Ms Miss Mx Dr Prof Professor Sir Dame Rev Revd")
_ROLES = _words(
    """
    doctor dr nurse sister matron midwife consultant surgeon registrar paramedic receptionist
    porter physio physiotherapist therapist pharmacist hca carer gp psychiatrist psychologist
    dentist optician manager student technician radiographer anaesthetist sonographer hcsw
    optometrist worker assistant visitor practitioner volunteer cleaner
    """
)
_RELATIONS = _words(
    """
    mum mother mam dad father son daughter wife husband partner brother sister grandmother
    grandma gran nan nana nanna grandfather grandad granddad grandson granddaughter aunt auntie
    uncle niece nephew friend baby child boy girl carer neighbour fiance fiancee cousin stepson
    stepdaughter relative patient
    """
)
_POSSESSIVES = ("my", "our", "his", "her", "their", "the")
# Words (lower case, commas and colons dropped) that, just before a capitalised run, make it a name.
_TRIGGERS = frozenset(
    {t.lower() for t in _TITLES}
    | {f"{t.lower()}." for t in _TITLES}
    | _ROLES
    | {f"{p} {r}" for p in _POSSESSIVES for r in _RELATIONS}
    | {
        "called",
        "named",
        "name",
        "name is",
        "name's",
        "i am",
        "i'm",
        "known as",
        "dear",
        "thanks",
        "thank you",
        "thank-you",
        "thanks to",
        "thank you to",
        "shout out",
        "shout out to",
        "thank you so much",
        "thanks so much",
        "much to",
        "grateful to",
        "signed",
        "from",
        "cc",
    }
)
# The last words of a text before a signature: "Regards, Jane Smith", "Thanks\nJane", "- Jane".
_SIGN_OFFS = _words("regards wishes thanks sincerely faithfully cheers love from signed x xx xxx")
_SIGN_OFFS |= frozenset(_DASHES)
# Capitalised words inside a run after which the rest of the run is a name.
_IN_RUN_TRIGGERS = _TITLES | _words(
    "Nurse Sister Doctor Matron Midwife Consultant Dear Thanks Thank Porter Paramedic Surgeon "
    "Receptionist Regards Cheers Sincerely Faithfully Love Wishes Signed From"
)
# Capitalised words that follow such words but are not names.
_NOT_NAMES = _words(
    """
    A About After Also An And Any Are As At Be Because Been Before Both But By Can Could Did Do
    Does Doing Every Everyone Everybody For From Had Has Have He Her Here Hers Him His How However
    I I'm I've I'd I'll If In Is It It's Its Just Kind Many May Me Mine More Most Much My No Not
    Nothing Now Of On Once One Only Or Our Ours Please Regards She So Some Such Than Thank Thanks
    That The Their Them Then There These They This Those Though To Too Very Was We Were What When
    Where Which While Who Why Will With Would Yes Yet You Your Yours All Everything Today
    Yesterday Tomorrow Tonight Monday Tuesday Wednesday Thursday Friday Saturday Sunday January
    February March April June July August September October November December Morning Afternoon
    Evening Night Team Staff Ward Unit Department Hospital Clinic Practice Surgery Trust Service
    Services Centre Nurse Nurses Doctor Doctors Dr Mr Mrs Ms Miss Sister Matron Midwife Consultant
    Surgeon Paramedic Paramedics Receptionist Reception Manager Ambulance Emergency Accident Urgent
    Care Health Royal General Community Mental Maternity Children Outpatients Inpatients Pharmacy
    Pharmacist Physio Practitioner Advanced Senior Junior Student Healthcare Assistant England
    Covid Christmas Easter Dear Sir Madam Overall Good Great Excellent Brilliant Lovely Fantastic
    Amazing Poor Bad Terrible Awful Well Best Ok Okay Sincerely Faithfully Cheers Love Kindest
    Warm Warmest Wishes Thank-you Hi Hello Again Still Even Never Always Sadly Unfortunately
    """
)


def _has_digit(text: str) -> bool:
    # Ten substring tests run in C: about twice as fast as a regular expression search, and most
    # comments have no digit at all.
    return (
        "0" in text
        or "1" in text
        or "2" in text
        or "3" in text
        or "4" in text
        or "5" in text
        or "6" in text
        or "7" in text
        or "8" in text
        or "9" in text
    )


def _numbers(text: str) -> str:
    if not _has_digit(text):
        return text
    windows: list[list[int]] = []
    size = len(text)
    for run in _DIGIT_RUN_RE.finditer(text):
        lo, hi = max(0, run.start() - _WINDOW_BEFORE), run.end()
        while hi < size and text[hi].isalnum():  # finish the word: lookaheads need its end
            hi += 1
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = hi
        else:
            windows.append([lo, hi])
    pieces: list[str] = []
    done = 0
    for lo, hi in windows:
        for match in _NUMBERS_RE.finditer(text, lo, hi):
            if match.start() < done:
                continue
            pieces.append(text[done : match.start()])
            if match.group("phone") is not None:
                pieces.append(PHONE)
            elif match.group("nhs") is not None:
                pieces.append(NHS_NUMBER)
            else:
                pieces.append(POSTCODE)
            done = match.end()
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


# The last word of every trigger: the word just before a run must be one of these for any trigger
# to match, which settles most runs without building the trigger phrases.
_TRIGGER_LAST_WORDS = frozenset(t.rsplit(" ", 1)[-1] for t in _TRIGGERS)
_SIGNATURE_SPACE = f" \t,{_DASHES}"
_END_CHARS = " \t\r\n.!"


def _named_by_context(text: str, start: int, end: int, tail: int) -> bool:
    """Do the words just before ``text[start:end]`` introduce a name?

    ``tail`` is where the text's closing spaces and full stops begin (``len(text.rstrip(...))``):
    a run ending there is the last thing in the text.
    """
    before = text[max(0, start - _CONTEXT_CHARS) : start]
    if not before or before[-1] not in " \t\r\n":
        return False
    at_end = end >= tail
    if at_end:
        last_line = before.rpartition("\n")
        if last_line[1] and not last_line[2].strip(_SIGNATURE_SPACE):
            return True  # a name alone on the last line: a signature
    words = before.lower().replace(",", " ").replace(":", " ").split()
    if not words:
        return False
    last = words[-1]
    if at_end and last.rstrip("!.") in _SIGN_OFFS:
        return True
    if last not in _TRIGGER_LAST_WORDS:
        return False
    return any(" ".join(words[-n:]) in _TRIGGERS for n in (1, 2, 3, 4) if n <= len(words))


def _could_be_named(tokens: list[str]) -> bool:
    """Whether any token of a run is a word that would be redacted once the run is a name."""
    for token in tokens:
        bare = token.rstrip(".")
        if (
            bare not in _IN_RUN_TRIGGERS
            and bare not in _NOT_NAMES
            and _NAME_WORD_RE.fullmatch(bare) is not None
        ):
            return True
    return False


def _names(text: str) -> str:
    pieces: list[str] = []
    done = 0
    tail = -1
    for run in _RUN_RE.finditer(text):
        words = run.group()
        if words in _NOT_NAMES:  # "The", "I", "We": most runs, and never a name
            continue
        tokens = _TOKEN_RE.findall(words)
        if not _could_be_named(tokens):  # "NHS", "A&E", "Thank you": nothing to redact
            continue
        if tail < 0:
            tail = len(text.rstrip(_END_CHARS))
        named = _named_by_context(text, run.start(), run.end(), tail)
        redacted: list[str] = []
        changed = False
        for token in tokens:
            bare = token.rstrip(".")
            if bare in _IN_RUN_TRIGGERS:
                named = True
            elif named and bare not in _NOT_NAMES and _NAME_WORD_RE.fullmatch(bare):
                # "J." is an initial: the dot goes; "Smith." ends a sentence: the dot stays.
                token = NAME if len(bare) == 1 else NAME + token[len(bare) :]
                changed = True
            redacted.append(token)
        if changed:
            pieces.append(text[done : run.start()])
            pieces.append(_rejoin(words, redacted))
            done = run.end()
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def _rejoin(words: str, tokens: list[str]) -> str:
    """The run with its tokens replaced, keeping the separators between them."""
    out: list[str] = []
    position = 0
    for match, token in zip(_TOKEN_RE.finditer(words), tokens, strict=True):
        out.append(words[position : match.start()])
        out.append(token)
        position = match.end()
    out.append(words[position:])
    return "".join(out)


def _replace_term(text: str, term: str, label: str) -> str:
    """Every whole-word occurrence of ``term``, in any case, replaced by ``label``."""
    if len(term) < 2 or term.lower() not in text.lower():
        return text
    return re.sub(rf"(?<!\w){re.escape(term)}(?!\w)", label, text, flags=re.IGNORECASE)


def _replace_digits(text: str, digits: str, label: str) -> str:
    """These digits in a row, whatever spaces, hyphens or brackets were put between them."""
    if len(digits) < 6:
        return text
    pattern = r"[ \t-]?\)?[ \t-]?".join(re.escape(d) for d in digits)
    return re.sub(rf"(?<!\d){pattern}(?!\d)", label, text)


_NAME_SPLIT_RE = re.compile(r"[\s,]+")
_NAME_PART_EDGES = f".-{_APOSTROPHES}"


def _redact_identity(text: str, identity: IdentityTerms) -> str:
    if identity.email:
        text = _replace_term(text, identity.email.strip(), EMAIL)
    # Only the digits of the text, to test cheaply whether a number given in the identity is in it.
    text_digits: str | None = None
    for raw, label in ((identity.phone, PHONE), (identity.nhs_number, NHS_NUMBER)):
        if not raw:
            continue
        digits = "".join(_DIGITS_RE.findall(raw))
        if not digits:
            continue
        if text_digits is None:
            text_digits = "".join(_DIGITS_RE.findall(text)) if _has_digit(text) else ""
        if not text_digits:
            continue
        # A UK number given as +44 7700... may be written 07700... in the text, and back.
        variants = [digits]
        if label == PHONE and digits.startswith("44"):
            variants.append("0" + digits[2:])
        elif label == PHONE and digits.startswith("0"):
            variants.append("44" + digits[1:])
        for variant in variants:
            if variant in text_digits:
                text = _replace_digits(text, variant, label)
    name = (identity.name or "").strip()
    if name:
        lowered = text.lower()
        if name.lower() in lowered:
            text = _replace_term(text, name, NAME)
            lowered = text.lower()
        for part in _NAME_SPLIT_RE.split(name):
            part = part.strip(_NAME_PART_EDGES)
            if len(part) >= 2 and part.lower() in lowered and part.capitalize() not in _NOT_NAMES:
                text = _replace_term(text, part, NAME)
    return text


def redact(text: str, identity: IdentityTerms | None = None) -> str:
    """The text with direct identifiers replaced by [NAME], [EMAIL], [PHONE], [NHS NUMBER] and
    [POSTCODE]."""
    if not text:
        return text
    if "@" in text:
        text = _EMAIL_RE.sub(EMAIL, text)
    text = _numbers(text)
    text = _names(text)
    if identity is not None and any(identity):
        text = _redact_identity(text, identity)
    return text
