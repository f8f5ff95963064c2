"""Where everything is on the printed forms, in millimetres from the page's top left corner.

One description serves the printer (``printing``), the reader (``reader``) and the generated test
set (``synthetic``), so a box is never drawn in one place and looked for in another. No Django.

Both forms are A4 portrait and share the alignment marks: a 10 mm square at the top left and 7 mm
squares at the other three corners (the larger one tells the reader which way up the page is,
whatever the rotation of a photo), and a 5 mm square in one of two slots at the foot that says
which form it is when the QR code cannot be read.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

PAGE_WIDTH_MM = 210.0
PAGE_HEIGHT_MM = 297.0
# Version printed in the QR code; the reader refuses a version it does not know.
FORM_VERSION = 1
QR_PREFIX = "NHSPV"
# The languages a form is printed in: English, and Welsh (the same boxes, in the same places).
ENGLISH = "en"
WELSH = "cy"
LANGUAGES = (ENGLISH, WELSH)


@dataclass(frozen=True)
class Box:
    """A rectangle on the page, in millimetres: left, top, width, height."""

    x: float
    y: float
    w: float
    h: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)

    def inset(self, by: float) -> Box:
        return Box(self.x + by, self.y + by, self.w - 2 * by, self.h - 2 * by)


@dataclass(frozen=True)
class Option:
    """One tick box: the value it stands for and the words printed beside it."""

    value: str
    label: str
    box: Box


@dataclass(frozen=True)
class TickGroup:
    """Tick boxes of one question, of which the person ticks one."""

    name: str
    question: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class TextField:
    """A box the person writes in."""

    name: str
    label: str
    box: Box
    optional: bool = False


@dataclass(frozen=True)
class FormLayout:
    kind: str
    title: str
    ticks: tuple[TickGroup, ...] = ()
    texts: tuple[TextField, ...] = ()
    notes: tuple[tuple[float, float, str], ...] = field(default=())

    @property
    def field_names(self) -> list[str]:
        return [g.name for g in self.ticks] + [t.name for t in self.texts]


MARK_BIG_MM = 10.0
MARK_SMALL_MM = 7.0
MARK_INSET_MM = 10.0
# Top left, top right, bottom right, bottom left: clockwise, as the reader orders what it finds.
MARKS: tuple[Box, ...] = (
    Box(MARK_INSET_MM, MARK_INSET_MM, MARK_BIG_MM, MARK_BIG_MM),
    Box(PAGE_WIDTH_MM - MARK_INSET_MM - MARK_SMALL_MM, MARK_INSET_MM, MARK_SMALL_MM, MARK_SMALL_MM),
    Box(
        PAGE_WIDTH_MM - MARK_INSET_MM - MARK_SMALL_MM,
        PAGE_HEIGHT_MM - MARK_INSET_MM - MARK_SMALL_MM,
        MARK_SMALL_MM,
        MARK_SMALL_MM,
    ),
    Box(
        MARK_INSET_MM, PAGE_HEIGHT_MM - MARK_INSET_MM - MARK_SMALL_MM, MARK_SMALL_MM, MARK_SMALL_MM
    ),
)
QR_BOX = Box(166.0, 21.0, 30.0, 30.0)
HEADER_BOX = Box(28.0, 12.0, 136.0, 26.0)
# The slot a form's 5 mm square is printed in (the other stays white).
FORM_CODE_SLOTS: dict[str, Box] = {
    "fft": Box(40.0, PAGE_HEIGHT_MM - 16.0, 5.0, 5.0),
    "complaint": Box(52.0, PAGE_HEIGHT_MM - 16.0, 5.0, 5.0),
}
TICK_MM = 7.0


def _column(
    values: list[tuple[str, str]], *, x: float, y: float, step: float
) -> tuple[Option, ...]:
    return tuple(
        Option(value, label, Box(x, y + i * step, TICK_MM, TICK_MM))
        for i, (value, label) in enumerate(values)
    )


def _grid(
    values: list[tuple[str, str]], *, x: float, y: float, dx: float, dy: float, per_row: int
) -> tuple[Option, ...]:
    return tuple(
        Option(value, label, Box(x + (i % per_row) * dx, y + (i // per_row) * dy, TICK_MM, TICK_MM))
        for i, (value, label) in enumerate(values)
    )


FFT_QUESTION = "Overall, how was your experience of our service?"
# Values as FeedbackRating numbers them (1 very good ... 6 don't know).
FFT_RATINGS = [
    ("1", "Very good"),
    ("2", "Good"),
    ("3", "Neither good nor poor"),
    ("4", "Poor"),
    ("5", "Very poor"),
    ("6", "Don't know"),
]
KINDS = [
    ("complaint", "Complaint"),
    ("concern", "Concern"),
    ("compliment", "Compliment"),
    ("suggestion", "Suggestion"),
]
# The product's service types (feedback.choices.ServiceType values) in the words on the form.
SERVICES = [
    ("acute", "Hospital"),
    ("mental_health", "Mental health"),
    ("community", "Community"),
    ("ambulance", "Ambulance"),
    ("gp", "GP practice"),
    ("dental", "Dentist"),
    ("pharmacy", "Pharmacy"),
    ("111", "NHS 111"),
]

FFT_CARD = FormLayout(
    kind="fft",
    title="Friends and Family Test",
    ticks=(
        TickGroup(
            "fft_rating",
            FFT_QUESTION,
            _column(FFT_RATINGS, x=20.0, y=64.0, step=11.0),
        ),
    ),
    texts=(
        TextField(
            "text",
            "Please tell us why you gave your answer",
            Box(18.0, 138.0, 174.0, 74.0),
        ),
        TextField("name", "Your name (optional)", Box(18.0, 224.0, 174.0, 13.0), optional=True),
        TextField(
            "contact",
            "Email or phone, if you would like a reply (optional)",
            Box(18.0, 250.0, 174.0, 13.0),
            optional=True,
        ),
    ),
)

COMPLAINT_FORM = FormLayout(
    kind="complaint",
    title="Tell us about your care",
    ticks=(
        TickGroup(
            "kind",
            "What would you like to tell us about?",
            _grid(KINDS, x=18.0, y=64.0, dx=44.0, dy=0.0, per_row=4),
        ),
        TickGroup(
            "service_type",
            "Which service was it?",
            _grid(SERVICES, x=18.0, y=90.0, dx=44.0, dy=11.0, per_row=4),
        ),
    ),
    texts=(
        TextField(
            "text",
            "Tell us what happened, and what you would like us to do",
            Box(18.0, 122.0, 174.0, 92.0),
        ),
        TextField("name", "Your name (optional)", Box(18.0, 226.0, 174.0, 13.0), optional=True),
        TextField(
            "contact",
            "Email or phone, if you would like a reply (optional)",
            Box(18.0, 252.0, 174.0, 13.0),
            optional=True,
        ),
    ),
)

FORMS: dict[str, FormLayout] = {FFT_CARD.kind: FFT_CARD, COMPLAINT_FORM.kind: COMPLAINT_FORM}

# The words printed on a Welsh form. Where the portal's Welsh pages say the same English phrase
# (locale/cy/LC_MESSAGES/django.po) the Welsh is theirs, word for word (tests/paper check it);
# the others were written for the forms and wait for a Welsh speaker's review.
CYMRAEG: dict[str, str] = {
    # From the portal's catalogue.
    FFT_QUESTION: "At ei gilydd, sut oedd eich profiad o'n gwasanaeth?",
    "Very good": "Da iawn",
    "Good": "Da",
    "Neither good nor poor": "Ddim yn dda nac yn wael",
    "Poor": "Gwael",
    "Very poor": "Gwael iawn",
    "Don't know": "Ddim yn gwybod",
    "Complaint": "Cwyn",
    "Concern": "Pryder",
    "Compliment": "Canmoliaeth",
    "Suggestion": "Awgrym",
    "Ambulance": "Ambiwlans",
    "GP practice": "Meddygfa",
    "Dentist": "Deintydd",
    "Pharmacy": "Fferyllfa",
    "NHS 111": "GIG 111",
    # Written for the forms (to review).
    "Friends and Family Test": "Prawf Ffrindiau a Theulu",
    "Please tell us why you gave your answer": "Dywedwch wrthym ni pam y rhoesoch chi eich ateb",
    "Your name (optional)": "Eich enw (dewisol)",
    "Email or phone, if you would like a reply (optional)": (
        "E-bost neu ffôn, os hoffech chi gael ateb (dewisol)"
    ),
    "Tell us about your care": "Dywedwch wrthym ni am eich gofal",
    "What would you like to tell us about?": "Am beth hoffech chi ddweud wrthym ni?",
    "Which service was it?": "Pa wasanaeth oedd e?",
    "Hospital": "Ysbyty",
    "Mental health": "Iechyd meddwl",
    "Community": "Cymunedol",
    "Tell us what happened, and what you would like us to do": (
        "Dywedwch wrthym ni beth ddigwyddodd, a beth hoffech chi i ni ei wneud"
    ),
}
# The foot of every page, and the PDF's title, in each language.
FOOTER = {
    ENGLISH: "Form {form} version {version}, batch {batch}. Hand it back to staff or post it to "
    "the complaints team.",
    WELSH: "Ffurflen {form} fersiwn {version}, swp {batch}. Rhowch hi yn ôl i'r staff neu "
    "postiwch hi i'r tîm cwynion.",
}
DOCUMENT_TITLE = {
    ENGLISH: "{title}: {organisation} (batch {batch})",
    WELSH: "{title}: {organisation} (swp {batch})",
}


@functools.cache
def layout_in(form: str, language: str = ENGLISH) -> FormLayout:
    """The form with its words in ``language``: the same boxes in the same places, so the
    reader needs to know the language only to read the handwriting."""
    layout = FORMS[form]
    if language == ENGLISH:
        return layout
    if language != WELSH:
        raise ValueError(f"no forms in {language!r}")

    def cy(words: str) -> str:
        return CYMRAEG[words]

    return replace(
        layout,
        title=cy(layout.title),
        ticks=tuple(
            replace(
                group,
                question=cy(group.question),
                options=tuple(replace(o, label=cy(o.label)) for o in group.options),
            )
            for group in layout.ticks
        ),
        texts=tuple(replace(t, label=cy(t.label)) for t in layout.texts),
    )


@dataclass(frozen=True)
class QrPayload:
    """What a form's QR code carries: the form and its version, the printed batch, the
    organisation (ODS code), the ward or service it was printed for, and the language it was
    printed in (only a Welsh form's code says so: an English one's is as it always was)."""

    form: str
    version: int
    batch: str
    organisation: str
    service: str = ""
    language: str = ENGLISH

    def encode(self) -> str:
        service = self.service.replace("|", "/")
        text = f"{QR_PREFIX}|{self.version}|{self.form}|{self.batch}|{self.organisation}|{service}"
        return text if self.language == ENGLISH else f"{text}|{self.language}"

    @classmethod
    def decode(cls, text: str) -> QrPayload | None:
        """The payload of a form of ours, or None for anything else (another QR code)."""
        parts = text.split("|")
        if len(parts) == 6:
            parts.append(ENGLISH)
        if len(parts) != 7 or parts[0] != QR_PREFIX:
            return None
        _, version, form, batch, organisation, service, language = parts
        if not version.isdigit() or int(version) != FORM_VERSION or form not in FORMS:
            return None
        if not batch or not organisation or language not in LANGUAGES:
            return None
        return cls(form, int(version), batch, organisation, service, language)
