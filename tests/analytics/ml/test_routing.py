"""The routing rules: who acts on an item (CQC, ICB or trust), which rule fired and why.

Pure functions, no database: run with ``pytest tests/analytics/ml/test_routing.py``.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from analytics.ml.routing import (
    RISK_SCORE_THRESHOLD,
    RouteDecision,
    RoutingInput,
    detect_risks,
    route_feedback,
)
from analytics.ml.triage import TriageReading
from analytics.ml.vocabulary import Route
from feedback.choices import Kind, RiskFlag, ServiceType

SAFEGUARDING = RiskFlag.SAFEGUARDING.value
MENTAL_HEALTH_ACT = RiskFlag.MENTAL_HEALTH_ACT.value
SERIOUS_RISK = RiskFlag.SERIOUS_RISK.value


def route(text: str, **overrides: Any) -> RouteDecision:
    """Route a complaint about acute care at a named trust unless the test says otherwise."""
    fields: dict[str, Any] = {
        "kind": Kind.COMPLAINT,
        "service_type": ServiceType.ACUTE,
        "has_provider": True,
    }
    fields.update(overrides)
    return route_feedback(RoutingInput(text=text, **fields))


def phrases(decision: RouteDecision) -> list[str]:
    return [e for e in decision.evidence if e.startswith('phrase: "')]


# --------------------------------------------------------------------------------------------
# Rule 1: CQC
# --------------------------------------------------------------------------------------------

SAFEGUARDING_TEXTS = [
    "A member of staff slapped my father and shouted at him.",
    "The carer punched my brother in the face when he wouldn't take his tablets.",
    "I saw a healthcare assistant hitting an elderly patient with dementia.",
    "Nobody noticed he had been hit by another resident.",
    "I was pushed over by a nurse when I asked for help.",
    "She was grabbed by the arm and dragged back to her room.",
    "The healthcare assistant handled my mum roughly when changing her.",
    "They restrained my son face down on the floor for twenty minutes.",
    "My mum came home covered in bruises that nobody could explain.",
    "My nan has unexplained bruising on both arms since going onto the ward.",
    "Another patient was violent towards me and staff did nothing.",
    "I was assaulted by another patient on the assessment ward.",
    "A male nurse touched my daughter inappropriately while doing her observations.",
    "A porter made sexual comments to me and tried to kiss me.",
    "A member of staff has been grooming a 15 year old girl on the ward, messaging her online.",
    "My son, who has learning disabilities, was groomed by a support worker.",
    "A support worker had an inappropriate relationship with my son, who is vulnerable.",
    "A nurse had inappropriate contact with a vulnerable adult on the ward.",
    "My dad was left in soiled sheets for hours and nobody came.",
    "He was left lying in his own urine overnight.",
    "Mum was not given any water all day and her jug was out of her reach.",
    "My father wasn't fed for two days because nobody helped him eat.",
    "My grandmother developed pressure sores because no one turned her.",
    "The care my husband received was neglectful and he lost a stone in a week.",
    "My mum was neglected on ward 7.",
    "A carer stole money from my mum's purse while she was in hospital.",
    "Her wedding ring went missing from the ward and staff shrugged it off.",
    "My father is being financially abused by the agency carer who does his shopping.",
    "A staff member pressured my aunt into changing her will.",
    "Staff were verbally abusive to my brother, who has autism.",
    "Staff threatened to withhold his food if he didn't behave.",
    "The staff bullied my autistic daughter until she cried every night.",
    "I raised a safeguarding concern about my mother and nobody followed it up.",
    "My sister told the midwife about domestic abuse at home and nothing was done.",
    "The residents are being exploited by staff who make them do their chores.",
    "Nobody stopped the abuse even after I reported it.",
    # Typographic apostrophes, as phones type them.
    "He was hit by a nurse and they didn\u2019t even write it down.",
]


@pytest.mark.parametrize("text", SAFEGUARDING_TEXTS)
def test_safeguarding_concerns_go_to_the_cqc(text: str) -> None:
    decision = route(text)
    assert decision.route == Route.CQC
    assert decision.rule == "cqc_safeguarding"
    assert SAFEGUARDING in decision.risk_flags
    assert phrases(decision), decision.evidence


MENTAL_HEALTH_ACT_TEXTS = [
    "I was sectioned and nobody explained why.",
    "They are sectioning people who just need a bit of support.",
    "My son has been detained under section 3 for six months without a review.",
    "I was put on a section 136 by the police and kept in A&E for 20 hours.",
    "My section 17 leave keeps being cancelled at the last minute.",
    "Give us more unescorted leave, we are stuck on the ward.",
    "Staff have never explained my rights while detained.",
    "I was not told about my rights when they put me on a section 2.",
    "My community treatment order was renewed without anyone speaking to me.",
    "My CTO conditions are being used to threaten me.",
    "The tribunal was cancelled twice and I am still on the ward.",
    "The hospital managers' hearing was rushed and I wasn't allowed my advocate.",
    "They forcibly injected me with medication against my will.",
    "I was held in seclusion for three days with no explanation.",
    "The AMHP didn't consult my nearest relative before the assessment.",
    "Police took me to a place of safety and left me there all night.",
    "My mother was detained under the Mental Health Act without her family being told.",
    "They threatened me with a section if I didn't take my tablets.",
    "Nobody told me my section had expired.",
]


@pytest.mark.parametrize("text", MENTAL_HEALTH_ACT_TEXTS)
def test_the_use_of_mental_health_act_powers_goes_to_the_cqc(text: str) -> None:
    decision = route(text, service_type=ServiceType.MENTAL_HEALTH)
    assert decision.route == Route.CQC
    assert decision.rule == "cqc_mental_health_act"
    assert MENTAL_HEALTH_ACT in decision.risk_flags
    assert phrases(decision), decision.evidence


SERIOUS_RISK_TEXTS = [
    "Staffing levels on the ward are unsafe and patients are being harmed.",
    "The ward is so short staffed that my dad fell twice and nobody saw.",
    "My mum fell because they were short staffed and nobody could walk with her.",
    "Patients are being put at serious risk because there are never enough nurses.",
    "There was a C. diff outbreak on the ward and nobody was isolated.",
    "C diff is spreading through the ward and nobody is cleaning the toilets.",
    "Used needles were left on my bed after the doctor took bloods.",
    "Nurses did not wash their hands between patients on the bay.",
    "Infection control on the unit is non-existent.",
    "Fire exits were blocked with linen trolleys all week.",
    "Staff keep the fire door propped open with a chair.",
    "The fire alarms on the ward have not been working for a month.",
    "Smoke detectors were covered up with plastic bags.",
    "An untrained healthcare assistant was giving out the medication on nights.",
    "Medication was given out by untrained agency staff.",
    "Staff were not trained to give insulin but were doing it anyway.",
    "I didn't feel safe on the ward at night, the doors are never locked.",
    "Staff falsified the observation charts so it looked like checks were done.",
    "There are ligature points in every bathroom and nobody has fixed them.",
]


@pytest.mark.parametrize("text", SERIOUS_RISK_TEXTS)
def test_serious_current_risks_to_safety_go_to_the_cqc(text: str) -> None:
    decision = route(text)
    assert decision.route == Route.CQC
    assert decision.rule == "cqc_serious_risk"
    assert SERIOUS_RISK in decision.risk_flags
    assert phrases(decision), decision.evidence


NOT_A_SAFETY_RISK_TEXTS = [
    # Poor experience alone.
    "The receptionist was rude and unhelpful.",
    "The grumpy receptionist shouted at me across the desk.",
    "We waited six hours in A&E to be seen.",
    "The food was cold and the portions were tiny.",
    "The wait was abusive, eight hours on a trolley.",
    "The waiting times are abusive.",
    "Parking charges are frankly abusive.",
    "Short staffed but the nurses did their best.",
    "The ward felt understaffed at night.",
    "I felt a bit forgotten about in the waiting room.",
    # Negation.
    "I never felt unsafe on the ward.",
    "I didn\u2019t feel unsafe at any point.",
    "There was no abuse, the staff were lovely.",
    "I didn't feel neglected at all, someone was always around.",
    "My mum was never hit or neglected; she was looked after beautifully.",
    "I was not sectioned, I went in as an informal patient.",
    "Not once did I feel unsafe.",
    "Can't be beaten, excellent service.",
    # Substance misuse and its services are not safeguarding.
    "The drug and alcohol abuse service helped me turn my life around.",
    "My key worker at the substance abuse team was brilliant.",
    "He has a long history of alcohol abuse and the liver team were patient with him.",
    "Patients who are abusive to staff should be removed.",
    # "Section" of a building, a form or a document.
    "The outpatients section was hard to find.",
    "They sectioned off part of the waiting room for covid patients.",
    "Section 2 of the form was confusing.",
    "It's 3 miles to the hospital and the bus is unreliable.",
    # Idioms and accidents.
    "The doctor hit the nail on the head with the diagnosis.",
    "Physio has been a bit hit and miss.",
    "She fell and hit her head, and the paramedics were brilliant.",
    "My husband was hit by a car and the crew were amazing.",
    "It really hit me how poorly he was.",
    "The baby was kicking the whole time during the scan.",
    "The consultant neglected to mention the side effects.",
    "Help with personal grooming was excellent.",
    "I was detained at work so I missed my appointment.",
    "No. The nurses' hand hygiene was excellent.",
    "I had covid on the ward and the staff were amazing.",
]


@pytest.mark.parametrize("text", NOT_A_SAFETY_RISK_TEXTS)
def test_poor_experience_negations_and_lookalikes_do_not_go_to_the_cqc(text: str) -> None:
    decision = route(text)
    assert decision.route == Route.TRUST
    assert decision.rule == "trust_default"
    assert decision.risk_flags == frozenset(), decision.evidence


def test_a_real_concern_still_counts_next_to_a_false_alarm() -> None:
    decision = route(
        "He was abused by a volunteer at the drug and alcohol abuse service, "
        "on the outpatients section."
    )
    assert decision.rule == "cqc_safeguarding"
    assert phrases(decision) == ['phrase: "abused"']


# --------------------------------------------------------------------------------------------
# Model scores and themes
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "rule"),
    [
        (SAFEGUARDING, "cqc_safeguarding"),
        (MENTAL_HEALTH_ACT, "cqc_mental_health_act"),
        (SERIOUS_RISK, "cqc_serious_risk"),
    ],
)
def test_a_model_score_at_the_threshold_goes_to_the_cqc(flag: str, rule: str) -> None:
    decision = route("More leave please.", risk_scores={flag: RISK_SCORE_THRESHOLD})
    assert decision.route == Route.CQC
    assert decision.rule == rule
    assert decision.risk_flags == {flag}
    assert decision.evidence == (f"model: {flag} {RISK_SCORE_THRESHOLD:.2f}",)


def test_a_model_score_just_below_the_threshold_raises_nothing() -> None:
    below = math.nextafter(RISK_SCORE_THRESHOLD, 0)
    decision = route("More leave please.", risk_scores=dict.fromkeys(RiskFlag.values, below))
    assert decision.route == Route.TRUST
    assert decision.risk_flags == frozenset()


def test_the_threshold_leans_to_recall() -> None:
    # A missed safeguarding item is far worse than a false alarm: below even odds.
    assert 0 < RISK_SCORE_THRESHOLD < 0.5


@pytest.mark.parametrize(
    "scores",
    [
        {},  # the model was unavailable
        {SAFEGUARDING: float("nan")},
        {SAFEGUARDING: float("inf")},
        {"violence": 0.99, "feeling_safe": 0.99},  # not RiskFlag keys
    ],
)
def test_missing_or_unusable_scores_raise_nothing(scores: dict[str, float]) -> None:
    assert route("The nurses were kind.", risk_scores=scores).risk_flags == frozenset()


def test_model_evidence_shows_the_score_to_two_places() -> None:
    decision = route("Everything.", risk_scores={SAFEGUARDING: 0.912, SERIOUS_RISK: 0.1})
    assert decision.evidence == ("model: safeguarding 0.91",)
    assert decision.risk_flags == {SAFEGUARDING}


@pytest.mark.parametrize(
    ("theme", "flag", "rule"),
    [
        ("safeguarding", SAFEGUARDING, "cqc_safeguarding"),
        ("mental_health_act", MENTAL_HEALTH_ACT, "cqc_mental_health_act"),
    ],
)
def test_a_risk_theme_goes_to_the_cqc(theme: str, flag: str, rule: str) -> None:
    decision = route("Less jail.", themes=["staff_manner", theme])
    assert decision.route == Route.CQC
    assert decision.rule == rule
    assert decision.risk_flags == {flag}
    assert decision.evidence == (f"theme: {theme}",)


def test_other_themes_raise_nothing() -> None:
    # "Feeling safe" is mostly praise ("I felt safe in their hands").
    decision = route("I felt safe in their hands.", themes=["feeling_safe", "staff_manner"])
    assert decision.route == Route.TRUST
    assert decision.risk_flags == frozenset()


def test_phrases_still_route_when_the_model_is_unavailable() -> None:
    decision = route("A nurse slapped my mum.", themes=(), risk_scores={})
    assert decision.rule == "cqc_safeguarding"


def test_evidence_lists_phrases_then_themes_then_model() -> None:
    decision = route(
        "I was sectioned last year.",
        themes=("mental_health_act",),
        risk_scores={MENTAL_HEALTH_ACT: 0.87},
    )
    assert decision.evidence == (
        'phrase: "sectioned"',
        "theme: mental_health_act",
        "model: mental_health_act 0.87",
    )


# --------------------------------------------------------------------------------------------
# Rule 2: ICB
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service_type", "text"),
    [
        (ServiceType.GP, "My GP surgery never answers the phone."),
        (ServiceType.GP, "The receptionist at my practice was rude."),
        (ServiceType.DENTAL, "The dentist charged me for a filling that fell out a week later."),
        (ServiceType.PHARMACY, "The pharmacy gave me the wrong strength of tablets."),
        (ServiceType.OPTOMETRY, "The optician was dismissive about my headaches."),
    ],
)
def test_primary_care_goes_to_the_icb(service_type: str, text: str) -> None:
    decision = route(text, service_type=service_type, has_provider=False)
    assert decision.route == Route.ICB
    assert decision.rule == "icb_primary_care"
    assert f"service type: {ServiceType(service_type).label}" in decision.evidence
    assert decision.risk_flags == frozenset()


COMMISSIONING_TEXTS = [
    "Our individual funding request for the new drug was turned down.",
    "The IFR panel took four months to reply.",
    "My mum's continuing healthcare funding was withdrawn after her assessment.",
    "We have been waiting a year for a CHC assessment.",
    "They refused to fund my IVF.",
    "The funding decision for his wheelchair makes no sense.",
    "This therapy is not available in my area, but it is in the next county.",
    "The eating disorder service has been decommissioned locally.",
    "Adult autism assessments are not commissioned here.",
    "It's a postcode lottery: people in the next borough get this treatment.",
    "Other areas get a specialist nurse, we don't.",
    "Nobody is coordinating his care between the hospital, the community team and the hospice.",
    "He fell through the gaps between services.",
    "We were passed back and forth between three different trusts.",
    "My section 117 aftercare has never been arranged.",
]


@pytest.mark.parametrize("text", COMMISSIONING_TEXTS)
def test_commissioning_goes_to_the_icb(text: str) -> None:
    decision = route(text)
    assert decision.route == Route.ICB
    assert decision.rule == "icb_commissioning"
    assert phrases(decision), decision.evidence


@pytest.mark.parametrize(
    "text",
    [
        "I have complained to the hospital twice and want someone independent to look at it.",
        "I would like the ICB to look into my complaint about the ward.",
        "Please pass this to whoever pays for the service.",
    ],
)
def test_a_patient_who_asks_for_the_commissioner_goes_to_the_icb(text: str) -> None:
    decision = route(text, wants_commissioner=True)
    assert decision.route == Route.ICB
    assert decision.rule == "icb_patient_request"
    assert decision.evidence[0] == "patient asked for the commissioner"


@pytest.mark.parametrize(
    ("service_type", "text"),
    [
        (ServiceType.AMBULANCE, "The ambulance took three hours to arrive."),
        (ServiceType.ACUTE, "I don't know which hospital it was but the care was poor."),
        ("", "Mental health support for young people round here is awful."),
        (ServiceType.NHS_111, "111 told me to go to A&E and A&E sent me home."),
    ],
)
def test_no_trust_named_goes_to_the_icb(service_type: str, text: str) -> None:
    decision = route(text, service_type=service_type, has_provider=False)
    assert decision.route == Route.ICB
    assert decision.rule == "icb_no_provider"
    assert decision.evidence[0] == "no NHS trust named: the commissioner handles it"


def test_commissioning_themes_support_a_phrase_but_never_route_alone() -> None:
    with_phrase = route("Our IFR was refused.", themes=["funding", "staff_manner"])
    assert with_phrase.evidence == ('phrase: "IFR"', "theme: funding")
    theme_only = route("The NHS needs more money.", themes=["funding", "existence_of_services"])
    assert theme_only.rule == "trust_default"


# --------------------------------------------------------------------------------------------
# Rule 3: trust
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (Kind.COMPLIMENT, "Thank you to everyone on ward 5, you were wonderful."),
        (Kind.COMPLIMENT, "The paramedics were calm, kind and made me feel safe."),
        (Kind.SUGGESTION, "Could you put more chairs in the waiting area?"),
        (Kind.SUGGESTION, "Better signs to find the outpatients section, please."),
        (Kind.COMPLAINT, "The nurses were kind but I waited five hours to be seen."),
        (Kind.CONCERN, "I'm worried my dad's discharge letter lists the wrong tablets."),
    ],
)
def test_everything_else_about_a_named_trust_goes_to_the_trust(kind: str, text: str) -> None:
    decision = route(text, kind=kind)
    assert decision.route == Route.TRUST
    assert decision.rule == "trust_default"
    assert f"kind: {kind}" in decision.evidence
    assert "service type: Hospital (acute)" in decision.evidence


# --------------------------------------------------------------------------------------------
# Precedence: first match wins
# --------------------------------------------------------------------------------------------


def test_safeguarding_beats_primary_care() -> None:
    decision = route(
        "The GP touched me inappropriately during the examination.",
        service_type=ServiceType.GP,
        has_provider=False,
    )
    assert decision.rule == "cqc_safeguarding"


def test_mental_health_act_beats_a_request_for_the_commissioner() -> None:
    decision = route("I was sectioned for no reason.", wants_commissioner=True)
    assert decision.rule == "cqc_mental_health_act"


def test_serious_risk_beats_no_provider() -> None:
    assert route("Fire exits were blocked.", has_provider=False).rule == "cqc_serious_risk"


def test_safeguarding_beats_mental_health_act_and_both_flags_are_raised() -> None:
    decision = route("I was sectioned and a nurse slapped me on the ward.")
    assert decision.rule == "cqc_safeguarding"
    assert decision.risk_flags == {SAFEGUARDING, MENTAL_HEALTH_ACT}
    assert decision.evidence == ('phrase: "slapped"', 'also mental_health_act: phrase: "sectioned"')


def test_mental_health_act_beats_serious_risk_and_both_flags_are_raised() -> None:
    decision = route("My section 17 leave was cancelled and the fire exits are blocked.")
    assert decision.rule == "cqc_mental_health_act"
    assert decision.risk_flags == {MENTAL_HEALTH_ACT, SERIOUS_RISK}
    assert 'also serious_risk: phrase: "fire exits are blocked"' in decision.evidence


def test_every_flag_is_raised_whichever_rule_fires() -> None:
    decision = route(
        "The nurse stole my dad's wallet.",
        risk_scores={MENTAL_HEALTH_ACT: 0.9, SERIOUS_RISK: 0.9},
    )
    assert decision.rule == "cqc_safeguarding"
    assert decision.risk_flags == set(RiskFlag.values)


def test_primary_care_beats_commissioning_and_the_trust() -> None:
    decision = route(
        "The practice refused to fund my referral.",
        service_type=ServiceType.GP,
        has_provider=True,
    )
    assert decision.rule == "icb_primary_care"


def test_commissioning_beats_a_request_for_the_commissioner() -> None:
    decision = route("Our IFR was refused.", wants_commissioner=True)
    assert decision.rule == "icb_commissioning"


def test_a_request_for_the_commissioner_beats_no_provider() -> None:
    decision = route("Please look into this.", wants_commissioner=True, has_provider=False)
    assert decision.rule == "icb_patient_request"


def test_a_compliment_about_a_gp_goes_to_the_icb_and_about_a_trust_to_the_trust() -> None:
    gp = route("Lovely GP.", kind=Kind.COMPLIMENT, service_type=ServiceType.GP)
    trust = route("Lovely nurses.", kind=Kind.COMPLIMENT, service_type=ServiceType.COMMUNITY)
    assert (gp.route, trust.route) == (Route.ICB, Route.TRUST)


def test_a_compliment_that_mentions_continuing_healthcare_stays_with_the_trust() -> None:
    decision = route(
        "The district nurses helped us get continuing healthcare. Thank you!",
        kind=Kind.COMPLIMENT,
    )
    assert decision.rule == "trust_default"


def test_a_compliment_about_care_under_section_stays_with_the_trust_with_its_flag() -> None:
    # The CQC acts on complaints about the use of the Act; thanks are not one.
    decision = route(
        "While I was sectioned the staff on Willow ward were amazing.",
        kind=Kind.COMPLIMENT,
        service_type=ServiceType.MENTAL_HEALTH,
    )
    assert decision.route == Route.TRUST
    assert decision.risk_flags == {MENTAL_HEALTH_ACT}
    assert any("mental_health_act flag raised" in e for e in decision.evidence)


def test_a_compliment_that_discloses_abuse_still_goes_to_the_cqc() -> None:
    decision = route(
        "Thank you to the nurse who noticed my dad was being financially abused by his carer.",
        kind=Kind.COMPLIMENT,
    )
    assert decision.rule == "cqc_safeguarding"


def test_a_suggestion_about_leave_goes_to_the_cqc() -> None:
    decision = route("Trust me to have unescorted leave.", kind=Kind.SUGGESTION)
    assert decision.rule == "cqc_mental_health_act"


# --------------------------------------------------------------------------------------------
# Evidence and the detect_risks helper
# --------------------------------------------------------------------------------------------


def test_phrase_evidence_quotes_the_patients_words_once_in_text_order() -> None:
    decision = route("My section 17 leave was stopped. Section 17 leave matters to me.")
    assert phrases(decision) == ['phrase: "section 17 leave"', 'phrase: "Section 17 leave"']


def test_evidence_for_the_icb_names_the_reason() -> None:
    decision = route("Rude receptionist.", service_type=ServiceType.DENTAL)
    assert decision.evidence[0] == "service type: Dentist"
    request = route("Please look at this.", wants_commissioner=True)
    assert "patient asked for the commissioner" in request.evidence


def test_the_fft_question_is_not_scanned_for_risk() -> None:
    decision = route("Yes, thanks.", question="Did you feel safe? Were you ever sectioned?")
    assert decision.risk_flags == frozenset()


def test_detect_risks_returns_only_raised_flags_in_precedence_order() -> None:
    risks = detect_risks(
        "There are ligature points everywhere and I was detained.",
        themes=["safeguarding"],
    )
    assert list(risks) == [SAFEGUARDING, MENTAL_HEALTH_ACT, SERIOUS_RISK]
    assert risks[SAFEGUARDING] == ("theme: safeguarding",)
    assert risks[MENTAL_HEALTH_ACT] == ('phrase: "detained"',)
    assert risks[SERIOUS_RISK] == ('phrase: "ligature"',)
    assert detect_risks("The food was cold.") == {}


def test_the_decision_uses_the_route_enum() -> None:
    decision = route("Lovely staff.")
    assert isinstance(decision.route, Route)
    assert decision.route == "trust"


# --------------------------------------------------------------------------------------------
# The patient's own answer to "Is anyone at risk of harm?"
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["harm", "detained"])
def test_a_patient_who_says_someone_is_at_risk_is_heard_whatever_the_words(answer):
    decision = route("The food was cold and the parking is expensive.", safety_answer=answer)
    assert decision.route == Route.CQC
    assert decision.rule == "cqc_patient_answer"
    assert decision.evidence[0].startswith("patient answered: Yes")


def test_detained_raises_the_mental_health_act_flag():
    decision = route("Please look at how I was treated.", safety_answer="detained")
    assert MENTAL_HEALTH_ACT in decision.risk_flags


@pytest.mark.parametrize("answer", ["no", "unsure", ""])
def test_no_or_unsure_leaves_the_route_to_the_other_rules(answer):
    decision = route("The food was cold and the parking is expensive.", safety_answer=answer)
    assert decision.route == Route.TRUST


# --------------------------------------------------------------------------------------------
# The triage reader: raised labels route, unsure ones are checked by a person
# --------------------------------------------------------------------------------------------

CUTOFFS = {
    "safeguarding": 0.5,
    "mental_health_act": 0.5,
    "serious_risk": 0.5,
    "primary_care": 0.5,
    "commissioning": 0.5,
    "asks_commissioner": 0.5,
}
FLOORS = {"safeguarding": 0.1, "mental_health_act": 0.1, "serious_risk": 0.1}


def reading(**scores: float) -> TriageReading:
    return TriageReading(scores=scores, cutoffs=CUTOFFS, check_floors=FLOORS)


PLAIN = "I went to see my nan and it was not a good visit at all."


def test_a_label_the_reader_raises_sends_the_item_to_the_cqc_with_its_score():
    decision = route(PLAIN, triage=reading(safeguarding=0.91))
    assert (decision.route, decision.rule) == (Route.CQC, "cqc_safeguarding")
    assert decision.evidence[0] == "model: safeguarding 0.91"
    assert not decision.check_flags


def test_an_unsure_reading_keeps_the_route_and_asks_a_person_to_check():
    decision = route(PLAIN, triage=reading(serious_risk=0.3, safeguarding=0.05))
    assert decision.route == Route.TRUST
    assert decision.check_flags == {"serious_risk"}


def test_an_item_sent_to_the_cqc_needs_no_check():
    decision = route(PLAIN, triage=reading(safeguarding=0.95, serious_risk=0.3))
    assert decision.route == Route.CQC
    assert decision.check_flags == frozenset()


def test_the_reader_finds_primary_care_when_the_patient_did_not_say_the_service():
    decision = route("The receptionist at my surgery hung up on me.", service_type="",
                     triage=reading(primary_care=0.9))  # fmt: skip
    assert (decision.route, decision.rule) == (Route.ICB, "icb_primary_care")
    assert decision.evidence[0] == "model: primary_care 0.90"


def test_a_patient_asking_in_their_own_words_for_the_commissioner_is_heard():
    decision = route("I would rather someone outside the hospital looked at this.",
                     triage=reading(asks_commissioner=0.8))  # fmt: skip
    assert (decision.route, decision.rule) == (Route.ICB, "icb_patient_request")


def test_a_patient_not_sure_about_risk_is_checked_by_a_person():
    decision = route(PLAIN, safety_answer="unsure")
    assert decision.route == Route.TRUST
    assert decision.check_flags == {"patient_unsure"}


SLAPPED = "The carer slapped my dad when he asked for the toilet."


def test_a_phrase_the_reader_does_not_confirm_asks_a_check_instead_of_routing():
    """As shipped (decided out of fold), a matched phrase the reader scores low keeps the item
    where it was going, flagged for a person's check, with the words that person should read."""
    decision = route_feedback(
        RoutingInput(text=SLAPPED, kind="complaint", has_provider=True,
                     triage=reading(safeguarding=0.02)),
    )  # fmt: skip
    assert decision.route == Route.TRUST
    assert "safeguarding" in decision.check_flags
    assert any(e.startswith("check safeguarding: phrase:") for e in decision.evidence)


def test_the_phrase_rules_still_route_when_the_model_could_not_read_the_item():
    decision = route_feedback(
        RoutingInput(text=SLAPPED, kind="complaint", has_provider=True), rules_route=False
    )
    assert (decision.route, decision.rule) == (Route.CQC, "cqc_safeguarding")
