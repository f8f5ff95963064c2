"""The phrase rules of routing (``analytics.ml.routing``): data, compiled once at import.

Each table is a tuple of compiled patterns. The risk phrases raise a CQC risk flag
(``RISK_PHRASES``, keyed by ``RiskFlag`` value), the commissioning phrases send an item to the
ICB, the masks blank out phrases that look like risk but are not before the risk phrases run,
and ``NEGATION_BEFORE`` cancels a negatable phrase that a negation governs ("I never felt
unsafe"). Every phrase is pinned by tests (tests/analytics/ml/test_routing.py); a change here
changes where feedback goes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from analytics.ml.vocabulary import RiskFlag


@dataclass(frozen=True)
class Phrase:
    """A compiled phrase rule; ``negatable`` says whether "no"/"never" just before cancels it."""

    pattern: re.Pattern[str]
    negatable: bool = True


def _compile(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)


def _phrase(*alternatives: str, negatable: bool = True) -> Phrase:
    return Phrase(_compile(*alternatives), negatable)


# Relatives and people a patient writes about; used where a verb is only abuse with a person as
# its object ("hit my dad", not "hit my head").
_RELATIVE = (
    r"(?:mum|mom|mummy|mother|dad|daddy|father|parents?|sons?|daughters?|child|children|kids?"
    r"|bab(?:y|ies)|toddlers?|wife|husband|partner|nan|nana|nanna|gran|granny|grandma"
    r"|grandmother|grand-?dad|grandpa|grandfather|grandparents?|brothers?|sisters?|siblings?"
    r"|aunt|auntie|aunty|uncle|friends?|relatives?|cousins?|nieces?|nephews?|grandsons?"
    r"|granddaughters?|boys?|girls?|fianc[eé]e?|boyfriend|girlfriend|loved ones?|family members?"
    r"|neighbours?|clients?|patients?|residents?|service users?|lady|ladies|man|men|woman|women"
    r"|gentleman|gentlemen|person|people|adults?)"
)
_BODY_PART = (
    r"(?:head|face|arms?|legs?|knees?|hips?|back|chin|nose|eyes?|shoulders?|elbows?|wrists?"
    r"|hands?|feet|foot|toes?|side|ribs?|neck|bottom|mouth|teeth|forehead|shins?|ankles?)"
)
_PERSON = (
    rf"(?:me|him|them|us|her\b(?!\s+{_BODY_PART}\b)"
    rf"|(?:my|our|his|her|their|your|a|an|the|another|other|one of the|two|several|some|other)"
    rf"\s+(?:(?:elderly|vulnerable|older|old|disabled|young|little|frail|poor|autistic|confused"
    rf"|\d+|\d+[- ]year[- ]old|dementia|sick|fellow)\s+)*{_RELATIVE}"
    rf"|patients|residents|children|kids|service users|vulnerable (?:adults?|people|patients))"
)
_CHILD = (
    r"(?:child|children|sons?|daughters?|girls?|boys?|teen\w*|kids?|young (?:person|people)"
    r"|minors?|grandsons?|granddaughters?|nieces?|nephews?|pupils?|students?|patients?)"
)

# Negation just before a matched phrase cancels it ("I never felt unsafe", "no abuse", "wasn't
# sectioned"). The gap allows only function words, so "nobody stopped the abuse" or "no one
# noticed he was neglected" still count: reporting, noticing or stopping abuse implies abuse.
NEGATION_BEFORE = re.compile(
    r"(?:\b(?:no|not|never|without|nobody|none|neither|nor|noone|no-one|cannot|zero)"
    r"|n't|\b(?:did|was|were|do|does|is|are|has|have|had|could|would|should|ca|wo|ai)nt"
    r"|\bfree (?:from|of))"
    r"\s+(?:(?:i|we|he|she|they|it|you|one|me|him|her|them|us|my|his|their|our|was|were|is|are"
    r"|am|be|been|being|did|do|does|have|has|had|could|would|will|ever|once|at|all|any|anyone"
    r"|anybody|signs?|evidence|form|kind|sort|hint|suggestion|concerns?|of|about|feel|felt"
    r"|feeling|feels|seem|seemed|seems|get|got|gets|really|actually|physically|sexually"
    r"|verbally|financially|emotionally|a|an|the|such|single|there|made|make|makes|to"
    # "never hit or neglected": a negation carries over a list of harms joined by or/and/nor.
    r"|or|and|nor|abused|hit|harmed|hurt|mistreated|neglected|threatened|bullied|unsafe)\s+)"
    r"{0,4}$",
    re.IGNORECASE,
)
NEGATION_WINDOW = 80  # characters before a match searched for a negation

# Phrases that look like risk but are not; masked out before the risk phrases run, so a real
# concern elsewhere in the same text still counts.
RISK_MASKS: tuple[re.Pattern[str], ...] = (
    # Substance misuse and its services are not safeguarding; nor is a service that supports
    # survivors of abuse when a patient praises it.
    _compile(
        r"\b(?:drugs?|alcohol|substance|solvent|opioid|opiate|cannabis|steroid|laxative"
        r"|prescription (?:drugs?|medication)|medication|drink|drinking|gambling)"
        r"(?:\s+(?:and|&|or)\s+(?:drugs?|alcohol|substance))?\s+(?:mis)?abus(?:e|ers?|ing)\b",
        r"\bself[- ]?abus\w*",
        r"\babuse\s+(?:services?|support|team|workers?|nurses?|clinic|helpline|charity"
        r"|counsell\w*|survivors?\s+(?:group|service)|advis[oe]rs?|programmes?|groups?)\b",
    ),
    # Abuse of a system, or by patients of staff, is not a patient safeguarding concern.
    _compile(
        r"\babus(?:e|ed|es|ing)\s+(?:of\s+)?(?:the\s+)?(?:system|service|services|nhs|a&e|999|111"
        r"|ambulance service|resources|emergency services?)\b",
        r"\babus\w*\s+(?:towards|to|at|of|against|directed at)\s+(?:the\s+|our\s+|all\s+)?"
        r"(?:nhs\s+)?(?:staff|nurses?|doctors?|paramedics?|receptionists?|crews?|reception staff"
        r"|call handlers?|services)\b",
        r"\b(?:staff|nurses|doctors|paramedics|receptionists|crews?|call handlers)\s+"
        r"(?:(?:are|were|being|get|getting|got|have been|had been|regularly|often|constantly)\s+)+"
        r"(?:\w+ly\s+)?abused\b",
    ),
    # A wait or a charge called "abusive" is poor experience, not abuse of a person.
    _compile(
        r"\b(?:waits?|waiting(?: times?)?|wait times?|delays?|queues?|system|process|prices?"
        r"|charges?|fees?|parking(?: charges| fees)?|car park(?: charges)?|bureaucracy)\s+"
        r"(?:(?:is|was|were|are|has been|have been|felt|feels|seemed|seems|being|just|frankly"
        r"|quite|totally|absolutely|bordering on|borderline|simply|completely|utterly|really|so"
        r"|beyond|almost|close to)\s+){0,3}abusive\b",
        r"\babusive\s+(?:waits?|waiting(?: times?)?|delays?|charges|prices|parking|system)\b",
    ),
    # Idioms and accidents that use the words of physical abuse.
    _compile(
        r"\bhit\s+the\s+nail\s+on\s+the\s+head\b",
        r"\bhit\s+(?:and|or)\s+miss\b",
        r"\bhit\s+the\s+(?:spot|roof|ground running|road|jackpot|wall|ceiling)\b",
        r"\b(?:it|this|that|reality|the news|news|realisation|realization|what)\s+"
        r"(?:(?:really|suddenly|finally|then|just)\s+)?hit\s+(?:me|us|him|her|them)\b",
        r"\b(?:hit|struck|knocked (?:down|over))\s+by\s+(?:a|an|the)\s+(?:[\w'-]+\s+)?"
        r"(?:car|bus|van|vehicle|lorry|truck|motorbike|motorcycle|bike|bicycle|cyclist|ball|train"
        r"|door|taxi|tram)\b",
        r"\bhit\s+with\s+(?:a|an)\s+(?:[\w'-]+\s+)?(?:bill|fine|charge|parking)\b",
        r"\bkick(?:ed|ing)?\s+(?:off|in|out|up)\b",
        r"\b(?:baby|babies|baby's|bump|foetus|fetus)\s+(?:[\w'-]+\s+){0,3}?kick\w*",
        r"\b(?:attacked|bitten)\s+by\s+(?:a|the|his|her|my|our|their)\s+(?:[\w'-]+\s+)?"
        r"(?:dogs?|cats?|animals?|bees?|wasps?|swarm)\b",
        r"\bslapped\s+(?:on|with)\s+(?:a|an)\b",
        r"\bpunched\s+(?:in\s+)?(?:the\s+)?(?:numbers|details|code|a hole)\b",
        r"\b(?:personal|self)[- ]grooming\b",
    ),
    # "Section" that is part of a building, a form or a document, and "detained" meaning delayed.
    _compile(
        r"\bsection(?:ed|ing)\s+off\b",
        r"\bsections?\s+(?:\d+\s+)?of\s+(?:the|this|a|your|our|my)\b",
        r"\bdetained\s+(?:at|by)\s+(?:work|traffic|the traffic)\b",
        r"\bemployment\s+tribunals?\b",
        r"\bneglect(?:ed|s)?\s+to\s+(?!death\b)\w+",  # "neglected to mention": failed to
    ),
)

SAFEGUARDING_PHRASES: tuple[Phrase, ...] = (
    # Any form of abuse: physical, sexual, verbal, emotional, financial, elder, child, domestic.
    _phrase(r"\babus(?:e|es|ed|er|ers|ing|ive|ively)\b"),
    _phrase(r"\bsafeguard(?:ing|ed|s)?\b", r"\bchild protection\b"),
    # Physical abuse: verbs that only mean abuse with a person as their object or subject.
    _phrase(
        rf"\b(?:hit|hits|hitting|beat|beating|shoved|shoving|strangled|strangling|choked|choking"
        rf"|throttled|pinched|bit|scratched|smacked|smacking)\s+{_PERSON}",
        r"\b(?:was|were|been|being|got|get|gets|getting|is|are)\s+(?:\w+ly\s+)?"
        r"(?:hit|beaten|smacked|pinched|shoved)\b",
        r"\b(?:slapp(?:ed|ing)|slaps|punch(?:ed|ing|es)|kick(?:ed|ing)|beaten(?:\s+up)?"
        r"|assault(?:ed|ing|s)?|attack(?:ed|ing)|manhandl(?:ed|ing)|headbutt(?:ed|ing)?"
        r"|rough(?:ly)?[- ]handl(?:ed|ing)|handled\s+(?:[\w'-]+\s+){0,2}?roughly)\b",
        rf"\b(?:pushed|pushing|threw|thrown|dragged|dragging|yanked)\s+(?:{_PERSON}\s+)?"
        r"(?:over|down|to the (?:floor|ground)|against|into (?:a|the) (?:wall|door|bed|chair)"
        r"|out of (?:bed|the chair|the wheelchair)|across)\b",
        r"\b(?:was|were|been|being|got)\s+(?:\w+ly\s+)?(?:pushed|thrown|dragged)\s+"
        r"(?:over|down|to the (?:floor|ground)|against|across|out of)\b",
        rf"\bgrabb(?:ed|ing)\s+{_PERSON}\s+(?:by|round|around)\b",
        r"\b(?:was|were|been|being|got)\s+(?:\w+ly\s+)?(?:grabbed|manhandled|yanked|shaken)\b",
        rf"\bdragg(?:ed|ing)\s+(?:{_PERSON}\s+)?(?:back to|out of|along the|across"
        r"|by (?:the|his|her|my|their))\b",
        r"\bgrabb(?:ed|ing)\s+(?:my|his|her|their)\s+(?:arm|wrist|neck|throat|hair|face|breasts?"
        r"|bottom|bum|crotch|groin)\b",
        rf"\b(?:restrain(?:ed|ing|t)|held\s+{_PERSON}\s+down|pinn(?:ed|ing)\s+(?:{_PERSON}\s+)?"
        r"(?:down|to the (?:floor|bed|ground)))\b",
        rf"\b(?:violen(?:ce|t))\s+(?:towards|against|to|at|with)\s+{_PERSON}",
        r"\b(?:violent|physical)\s+(?:attacks?|assaults?|incidents?|abuse)\b",
        r"\b(?:unexplained|mysterious|unaccounted(?: for)?)\s+(?:[\w'-]+\s+)?"
        r"(?:bruis\w*|injur\w*|marks|cuts|fractures?|black eyes?)",
        r"\b(?:covered in|came home with|come home with|came back with|returned with)\s+"
        r"(?:[\w'-]+\s+){0,2}(?:bruis\w*|injur\w*|black eyes?|fractures?)",
        r"\bthreaten(?:ed|ing|s)?\s+(?:(?:me|him|her|them|us)\s+)?(?:to\s+)?"
        r"(?:hit|hurt|harm|slap|punch|kill|beat|restrain|lock|starve|punish|withhold"
        r"|with violence)",
        rf"\b(?:swore|swearing|shouted abuse|screamed abuse)\s+at\s+{_PERSON}",
        r"\bbull(?:y|ied|ying|ies)\b",
        r"\btaunt(?:ed|ing|s)?\b",
    ),
    # Sexual abuse and inappropriate contact, including by staff with a child or vulnerable adult.
    _phrase(
        r"\bsexual(?:ly)?\s+(?:abus\w*|assault\w*|harass\w*|inappropriate\w*|explicit|comments?"
        r"|remarks?|advances?|contact|touching|misconduct|exploit\w*|activity|behaviour"
        r"|relationships?|messages?|images?|photos?|pictures?|motivated)",
        r"\binappropriate(?:ly)?\s+(?:touch\w*|contact|relationships?|sexual\w*|messages?|texts?"
        r"|photos?|pictures?|images?|friendships?|physical contact|kiss\w*|hugg?\w*)",
        r"\b(?:touch(?:ed|ing)|kiss(?:ed|ing)|hugg(?:ed|ing)|stroked|stroking|fondl\w*)\s+"
        rf"(?:{_PERSON}\s+)?(?:(?:up|on|in)\s+)?(?:inappropriately|sexually|intimately|without"
        r"\s+(?:my|his|her|their)\s+consent|(?:on|in|between)\s+(?:my|his|her|their)\s+"
        r"(?:private|intimate|breast|chest|bottom|bum|groin|genital|crotch|thigh|leg)\w*)",
        r"\bintimate\s+(?:examination|exam|search|care)\s+without\s+(?:a\s+|any\s+)?"
        r"(?:consent|chaperone)",
        r"\b(?:grop(?:ed|ing|e)|molest\w*|rap(?:e|ed|es|ing|ist)|indecen\w*|exposed himself"
        r"|flash(?:ed|ing) (?:at )?(?:me|her|him|them)|upskirt\w*|voyeur\w*|sexting)\b",
        rf"\bgroom(?:ed|ing|s)\s+(?:(?:my|our|a|the|his|her|their|young|vulnerable|\d+\s*"
        rf"(?:year[- ]old)?)\s+)*{_CHILD}\b",
        rf"\b{_CHILD}\s+(?:(?:was|were|is|are|being|been|had|has|have|had been|has been)\s+)+"
        rf"(?:[\w'-]+\s+)?groomed\b",
        r"\b(?:online|sexual|child)\s+grooming\b|\bgrooming\s+gangs?\b",
        r"\bgroom(?:ed|ing)\s+by\s+(?:a|an|the|one of the)\s+(?:[\w'-]+\s+)?"
        r"(?:staff|nurse|carer|worker|doctor|porter|volunteer|man|adult|member)\b",
    ),
    # Neglect: neglect in any form, soiled sheets, not fed or given water, pressure sores.
    _phrase(
        r"\bneglect(?:ed|ful|fully|ing|s)?\b",
        r"\b(?:left|lying|lay|laid|sitting|sat|kept)\s+(?:[\w'-]+\s+){0,3}?(?:in|on)\s+"
        r"(?:(?:his|her|their|my|our|own|a|the)\s+){0,2}"
        r"(?:(?:soiled|wet|dirty|sodden|soaking|soaked|urine[- ]soaked|stained)\s+"
        r"(?:sheets?|beds?|bedding|pads?|incontinence pads?|nappy|nappies|clothes|clothing"
        r"|pyjamas|nightie|nightdress|underwear|trousers|chair)"
        r"|soiled|urine|faeces|feces|excrement|poo|wee|vomit|mess|waste|sick)\b",
        r"\bleft\s+(?:[\w'-]+\s+)?(?:wet|soiled|unwashed|unchanged|soaking|dirty|naked|exposed"
        r"|dehydrated|starving|hungry|thirsty)\s+(?:for|all|overnight|until)\b",
        r"\bnot\s+(?:been\s+)?(?:changed|washed|cleaned|turned|repositioned|bathed|moved)\s+"
        r"(?:for|in)\s+(?:[\w'-]+\s+)?(?:hours|days|weeks|\d+)",
        r"\b(?:hours|days)\s+without\s+(?:being\s+)?(?:changed|washed|cleaned|turned|fed"
        r"|given (?:food|water|a drink|fluids))",
        r"(?:\b(?:not|never)|n't)\s+(?:(?:been|being|even|get|getting|got|properly)\s+)*"
        r"(?:fed|given\s+(?:any(?:thing)?\s+)?(?:food|water|fluids?|a drink|drinks|anything to"
        r" (?:eat|drink)|(?:his|her|their|my) meals?|meals?|a meal|breakfast|lunch|dinner))\b",
        r"\bno\s+(?:food|water|drinks?|fluids?|meals?)\s+(?:for|in)\s+(?:over\s+)?(?:[\w'-]+\s+)?"
        r"(?:hours|days|\d+)",
        r"\bleft\s+without\s+(?:any\s+)?(?:food|water|fluids?|a drink|anything to (?:eat|drink)"
        r"|pain relief|(?:his|her|their|my) medication)",
        r"\b(?:food|water|drinks?|jugs?|meals?|trays?|call bells?|buzzers?)\s+(?:(?:was|were|left"
        r"|put|placed|kept|always)\s+)*out of (?:his|her|their|my|our) reach\b",
        r"\b(?:pressure|bed)[- ]?(?:sores?|ulcers?|damage)\b",
        r"\b(?:became|got|was|were)\s+(?:[\w'-]+\s+)?(?:dehydrated|malnourished)\s+(?:on|in|while"
        r"|during)\b",
    ),
    # Financial abuse: theft from patients, coercion over money or a will.
    _phrase(
        r"\b(?:stole|stolen|steal\w*|theft|thieving|pocketed|helped (?:him|her|them)sel(?:f|ves)"
        r" to)\s+(?:of\s+)?(?:[\w'-]+\s+){0,3}?(?:money|cash|£\s?\d+|\d+\s*pounds|savings|purse"
        r"|wallet|handbag|bank cards?|credit cards?|debit cards?|jewel(?:le)?ry|rings?|pension"
        r"|benefits|valuables|belongings|watch|phone|possessions)",
        r"\b(?:money|cash|purse|wallet|handbag|bank cards?|jewel(?:le)?ry|wedding rings?|rings"
        r"|savings|valuables)\s+(?:[\w'-]+\s+){0,3}?(?:stolen|taken|went missing|gone missing"
        r"|disappeared|missing)",
        r"\b(?:used|using)\s+(?:my|his|her|their|our)\s+(?:[\w'-]+\s+)?(?:bank|credit|debit)"
        r"\s+cards?\b",
        r"\bwithdr\w+\s+(?:money|cash)\s+from\s+(?:my|his|her|their|our)\b",
        rf"\b(?:pressur\w*|coerc\w*|persuad\w*|forced|manipulat\w*)\s+(?:{_PERSON}\s+)?(?:in)?to"
        r"\s+(?:sign|chang|giv|hand|lend|withdr|transfer|rewr)\w*\s+(?:[\w'-]+\s+){0,3}?"
        r"(?:money|cash|will|power of attorney|bank|savings|house|property|cards?|pin)",
    ),
    # Exploitation, trafficking and other safeguarding disclosures.
    _phrase(
        r"\bexploit(?:ed|ation|ing|ative|s)?\b",
        r"\b(?:modern slavery|traffick\w*|county lines|forced (?:labour|marriage)"
        r"|female genital mutilation|fgm|coercive control|controlling and coercive"
        r"|domestic (?:violence|abuse)|honou?r[- ]based (?:violence|abuse))\b",
        r"\bat risk of (?:significant\s+|serious\s+)?(?:harm|abuse|exploitation|neglect)\b",
    ),
)

# Sections of the Mental Health Act 1983 that detain, give leave or take a person to safety.
_SECTION_NUMBER = (
    r"(?:37\s*/\s*41|5\s*\(\s*[24]\s*\)|(?:2|3|4|5|17|35|36|37|38|41|47|48|49|135|136)\b)"
)

MENTAL_HEALTH_ACT_PHRASES: tuple[Phrase, ...] = (
    _phrase(r"\bmental health act\b", r"\bMHA\b"),
    _phrase(r"\bsection(?:ed|ing)\b"),
    _phrase(
        rf"\b(?:(?:on|under|placed on|put on|come off|came off|taken off|off)\s+"
        rf"(?:(?:a|my|his|her|their)\s+)?)?sections?\s*{_SECTION_NUMBER}",
        r"\bs\.?(?:2|3|17|37|41|135|136)\b",
        r"\b(?:on|under|placed on|put on|come off|came off|taken off|off)\s+"
        r"(?:a|my|his|her|their)\s+section\b",
        r"\bunder\s+section\b",
        r"\b(?:my|his|her|their)\s+section\b(?!\s*\d)",
        r"\bto\s+section\s+(?:me|him|her|them|my|our|his|their)\b",
        r"\bthreaten\w*\s+(?:[\w'-]+\s+){0,3}?with\s+(?:a\s+|being\s+)?section\w*",
        r"\bsection\s+(?:was\s+|has been\s+|had been\s+)?(?:lifted|rescinded|renewed|extended"
        r"|ended|appealed|discharged)\b",
    ),
    _phrase(r"\bdetain(?:ed|ing|s)?\b", r"\bdetention\b"),
    _phrase(r"\bcommunity treatment orders?\b", r"\bCTOs?\b"),
    _phrase(
        r"\btribunals?\b",
        r"\b(?:hospital\s+)?managers?'?\s*(?:hearing|meeting|review|panel|appeal)s?\b",
    ),
    # Section 17 leave and its cancellation.
    _phrase(
        r"\b(?:section\s*17|s\.?17|escorted|unescorted|ground|community|overnight|home|day)"
        r"\s+leave\b",
        r"\b(?:my|his|her|their|our)\s+leave\s+(?:(?:was|has been|had been|got|is|were|being"
        r"|keeps being|kept being|gets)\s+)+(?:[\w'-]+\s+)?(?:cancel\w*|stopp\w*|revok\w*"
        r"|suspend\w*|taken away|withdrawn|reduced|refused|denied)",
    ),
    _phrase(
        r"\brecall(?:ed)?\s+(?:back\s+)?to\s+(?:the\s+)?(?:hospital|ward|unit)\b",
        r"\bplace of safety\b",
        r"\bAMHPs?\b|\bapproved mental health professionals?\b",
        r"\bnearest relative\b",
        r"\bIMHAs?\b|\bindependent mental health advocat\w*",
        r"\bSOADs?\b|\bsecond opinion appointed doctor",
        r"\bguardianship\b|\brestriction orders?\b|\bconditional(?:ly)? discharg\w*",
        r"\bseclu(?:ded|sion)\b|\blong[- ]term segregation\b",
        r"\brapid tranquil+i[sz]ation\b",
    ),
    # Treatment without consent, typical of detention.
    _phrase(
        r"\bforc(?:ed|ibly|ing)\s+(?:(?:to\s+take|me|him|her|them|on|us)\s+)?(?:[\w'-]+\s+)?"
        r"(?:medicat\w*|inject\w*|sedat\w*|treatment|depot|tablets|drugs)",
        r"\b(?:injected|medicated|sedated|treated|held|kept|restrained|admitted|locked up)\s+"
        r"against\s+(?:my|his|her|their|our)\s+will\b",
    ),
    # Rights while detained; the phrase carries its own negation.
    _phrase(
        r"(?:\b(?:not|never|was not|were not)|n't)\s+(?:[\w'-]+\s+)?(?:told|informed"
        r"|explained|read|given|made aware)\s+(?:of\s+|about\s+)?(?:my|his|her|their)\s+rights\b",
        negatable=False,
    ),
    _phrase(
        r"\brights\s+(?:as\s+a\s+detained|while\s+(?:detained|sectioned|on\s+(?:a\s+)?section)"
        r"|under\s+(?:the\s+)?(?:mental health act|section|mha))",
    ),
)

_STAFF_SHORTAGE = (
    r"(?:short[- ]staffed|understaffed|under[- ]staffed|not enough (?:staff|nurses|carers"
    r"|doctors|hcas?)|(?:staff|staffing|nurse|nursing) shortages?|lack of (?:staff|nurses)"
    r"|too few (?:staff|nurses)|skeleton staff)"
)
_STAFFING_HARM = (
    r"(?:fell|falls?|falling|harm(?:ed)?|injur\w*|hurt|died|death|dying|unsafe|dangerous"
    r"|at risk|left (?:alone|unattended|unsupervised)|unobserved|pressure sores?|choked)"
)
_SENTENCE_GAP = r"[^.!?\n]{0,100}?"
_INFECTIONS = (
    r"(?:c\.?\s?diff(?:icile)?|clostridi(?:um|oides) difficile|mrsa|norovirus|noro|e\.?\s?coli"
    r"|cpe|vre|scabies|covid(?:-19)?|flu|d\s?&\s?v|diarrh(?:o)?ea and vomiting)"
)

SERIOUS_RISK_PHRASES: tuple[Phrase, ...] = (
    # Unsafe staffing that harms patients; "short staffed" alone is poor experience.
    _phrase(
        r"\b(?:unsafe|dangerous(?:ly)?|critically|perilously)\s+(?:low\s+)?(?:staffing|staff"
        r"(?:ing)? (?:levels|numbers)|staff|nurse (?:levels|numbers)|understaffed"
        r"|short[- ]staffed|numbers of staff)\b",
        r"\b(?:staffing|staff levels|staff numbers|nurse numbers)\s+(?:[\w'-]+\s+){0,5}?"
        r"(?:unsafe|dangerous|dangerously low|critically low)\b",
        r"\bnot (?:enough|sufficient) (?:staff|nurses|carers) to (?:keep|look after|care for"
        r"|watch|observe)\s+(?:[\w'-]+\s+){0,2}?safe(?:ly)?\b",
        rf"\b{_STAFF_SHORTAGE}{_SENTENCE_GAP}\b{_STAFFING_HARM}\b",
        rf"\b{_STAFFING_HARM}{_SENTENCE_GAP}\b(?:because|as|since|due to|when)\b"
        rf"{_SENTENCE_GAP}{_STAFF_SHORTAGE}",
    ),
    # Infection control failures.
    _phrase(
        r"\b(?:poor|no|lack of|bad|terrible|appalling|non-existent|shocking|lax|zero|basic"
        r"|breach(?:es)? of|failures? (?:of|in))\s+infection (?:control|prevention)\b",
        r"\binfection (?:control|prevention)\s+(?:[\w'-]+\s+){0,4}?(?:poor|lacking|non-existent"
        r"|appalling|terrible|shocking|ignored|not followed|not being followed|lax|a joke"
        r"|breached|failures?|non existent)",
        r"\boutbreaks?\b",
        rf"\b(?:caught|contracted|picked up|acquired|got|gave (?:me|him|her|them))\s+"
        rf"(?:[\w'-]+\s+){{0,2}}?{_INFECTIONS}\s+(?:on|in|at|from|while|during)\b",
        rf"\b{_INFECTIONS}\s+(?:[\w'-]+\s+){{0,3}}?(?:spread\w*|rife|going (?:round|around)"
        r"|rampant|across the ward|through the ward|round the ward|around the ward)",
        r"\b(?:dirty|contaminated|unsterile|non-sterile|unsterili[sz]ed|blood[- ]?stained|bloody"
        r"|reused|re-used|old)\s+(?:needles?|syringes?|sharps|instruments|scalpels?|dressings?"
        r"|cannulas?|catheters?|equipment)\b",
        r"\b(?:used|discarded)\s+(?:needles?|syringes?|sharps|dressings?|swabs|cannulas?)\s+"
        r"(?:were\s+|was\s+)?(?:left|lying|on the|in the|under|all over)\b",
        r"\bneedles?\s+(?:were\s+|was\s+)?(?:left|lying)\s+(?:around|on|in|under)\b",
        r"\bsharps bins?\s+(?:was\s+|were\s+)?(?:overflowing|full|open|left)\b",
        r"(?:\b(?:no|never|not|without)|n't)\s+(?:[\w'-]+\s+){0,3}?(?:wash(?:ed|ing)?\s+(?:their|his|her"
        r"|your)?\s*hands|hand[- ]?wash\w*|hand (?:gel|hygiene|saniti[sz]\w*)|gloves|aprons|ppe)",
        r"\bblood\s+(?:left\s+)?(?:on|all over)\s+(?:the\s+)?(?:floor|beds?|sheets|walls?|trolley"
        r"|chair|pillows?|mattress)\b",
        r"\b(?:blood|faeces|feces|vomit|urine)[- ]stained\s+(?:sheets|bedding|pillows?|trolley"
        r"|chair|floor|mattress|gowns?)\b",
    ),
    # Fire safety failures.
    _phrase(
        r"\bfire\s+(?:exits?|doors?|escapes?|escape routes?|routes?)\s+(?:(?:were|was|are|is"
        r"|being|kept|left|always|often)\s+)*(?:blocked|locked|obstructed|chained|padlocked"
        r"|wedged open|propped open|tied)\b",
        r"\b(?:blocked|locked|obstructed|chained|padlocked)\s+fire\s+(?:exits?|doors?|escapes?)\b",
        r"\b(?:fire|smoke)\s+(?:alarms?|detectors?)\s+(?:on\s+(?:the|this|our)\s+\w+\s+)?"
        r"(?:(?:were|was|are|is|had been|has been|have been|had|has|have|do|does|did)\s*)?"
        r"(?:not working|not been working|n't working|n't been working|broken|faulty|disabled"
        r"|switched off|turned off|covered"
        r"|removed|did ?n[o']t go off|never went off|did not go off|do not work|don't work"
        r"|didn't work|did not work)",
        r"\bno\s+(?:working\s+)?(?:fire|smoke)\s+(?:alarms?|detectors?|extinguishers?|exits?)\b",
        r"\bfire\s+extinguishers?\s+(?:(?:were|was|are|is)\s+)?(?:missing|empty|out of date"
        r"|expired|removed)\b",
        r"\bsmok(?:ed|ing)\s+(?:[\w'-]+\s+){0,3}?(?:near|next to|with|beside)\s+"
        r"(?:the\s+)?oxygen\b",
    ),
    # Untrained staff giving medicines.
    _phrase(
        r"\b(?:untrained|unqualified|unregistered|non-qualified|not (?:properly\s+)?trained"
        r"|not qualified|no training)\s+(?:[\w'-]+\s+){0,5}?(?:giv\w*|administer\w*"
        r"|hand\w*(?: out)?|dispens\w*|doing|do|did|draw\w* up|inject\w*)\s+"
        r"(?:[\w'-]+\s+){0,2}?(?:med\w*|drugs|insulin|injections?|tablets|pills|controlled drugs"
        r"|morphine|iv)\b",
        r"\b(?:medication|medicines?|meds|drugs|insulin|injections?|tablets|morphine)\s+"
        r"(?:[\w'-]+\s+){0,4}?(?:given(?: out)?|administered|handed out|dispensed|drawn up)\s+by\s+"
        r"(?:[\w'-]+\s+){0,2}?(?:untrained|unqualified|unregistered|non-qualified|cleaners?"
        r"|porters?|housekeep\w*|domestic staff|receptionists?|someone not trained)\b",
        r"\b(?:medication|drug|dosing|insulin) errors?\s+(?:[\w'-]+\s+){0,6}?(?:untrained"
        r"|unqualified|not trained|no training)\b",
        r"\b(?:untrained|unqualified|not trained)\s+(?:[\w'-]+\s+){0,6}?(?:medication|drug|dosing"
        r"|insulin) errors?\b",
    ),
    # Other serious, current risks to people's safety at a service.
    _phrase(
        r"\b(?:felt|feel|feeling|feels)\s+(?:(?:very|completely|so|totally|really|quite|extremely"
        r"|genuinely|physically)\s+)?(?:unsafe|in danger|scared for (?:my|his|her|their) (?:life"
        r"|safety))\b",
        r"\b(?:unsafe|dangerous)\s+(?:care|practices?|ward|environment|conditions|place|unit"
        r"|service|discharge|staffing|levels)\b",
        r"\b(?:ward|unit|hospital|place|service|department|a&e|home|environment|it)\s+"
        r"(?:is|was|isn't|wasn't|feels|felt|seems|seemed)\s+(?:(?:very|completely|so|totally"
        r"|really|quite|extremely|just)\s+)?(?:unsafe|dangerous)\b",
        r"\baccident waiting to happen\b",
        r"\b(?:someone|somebody|a patient|patients|people)\s+(?:is|are)?\s*(?:going to|will"
        r"|could|might)\s+(?:[\w'-]+\s+)?(?:die|get (?:seriously |badly )?"
        r"(?:hurt|injured|killed))\b",
        r"\b(?:putting|puts|put|placing|places)\s+(?:[\w'-]+\s+){0,2}?(?:patients|lives|people"
        r"|residents|children|babies|mothers)\s+at\s+(?:serious\s+)?risk\b",
        r"\b(?:lives|patients|people)\s+(?:are|were|is)\s+(?:being\s+)?(?:put\s+)?"
        r"(?:at\s+(?:serious\s+)?risk"
        r"|in danger)\b",
        r"\bligatures?\b",
        r"\bfalsif\w+\s+(?:[\w']+\s+){0,2}?(?:records?|notes|observations?|obs|charts?"
        r"|paperwork|checks)\b",
    ),
    # Not feeling safe; the phrase carries its own negation.
    _phrase(
        r"\b(?:did ?n[o']t|do ?n[o']t|does ?n[o']t|never|not|wasn't|weren't)\s+"
        r"(?:(?:really|ever|once)\s+)?feel(?:ing)?\s+(?:(?:very|completely|at all|totally)\s+)?"
        r"safe\b",
        negatable=False,
    ),
)

RISK_PHRASES: Mapping[str, tuple[Phrase, ...]] = MappingProxyType(
    {
        RiskFlag.SAFEGUARDING.value: SAFEGUARDING_PHRASES,
        RiskFlag.MENTAL_HEALTH_ACT.value: MENTAL_HEALTH_ACT_PHRASES,
        RiskFlag.SERIOUS_RISK.value: SERIOUS_RISK_PHRASES,
    }
)

COMMISSIONING_PHRASES: tuple[Phrase, ...] = (
    # Funding decisions and individual funding requests.
    _phrase(
        r"\bfunding\s+(?:decisions?|panels?|applications?|requests?|approval|refused|denied"
        r"|declined|rejected|withdrawn|cut|stopped|was\s+(?:refused|denied|declined|rejected"
        r"|withdrawn|stopped|cut))",
        r"\b(?:refus\w*|den(?:ied|y|ying|ies)|declin\w*|reject\w*|withdr\w*|stopp\w*|cut|turned"
        r" down|won't|will not|wouldn't|would not|can't|cannot|not|no longer)\s+(?:to\s+)?"
        r"(?:the\s+|my\s+|his\s+|her\s+|our\s+|their\s+)?fund(?:ing|ed)?\b",
        r"\bindividual funding requests?\b|\bIFRs?\b|\bexceptional (?:funding|case) "
        r"(?:requests?|applications?|panels?)",
    ),
    # Continuing healthcare and section 117 aftercare, both commissioned by the ICB.
    _phrase(
        r"\bcontinuing (?:health\s?care|care funding)\b|\bCHC\b|\bfunded nursing care\b",
        r"\b(?:fast[- ]track|checklist)\s+(?:assessment|application|for continuing)",
        r"\b(?:section|s\.?)\s?117\b",
    ),
    # A service not available or not commissioned locally.
    _phrase(
        r"\bnot\s+(?:available|offered|provided|commissioned|funded|on offer)\s+"
        r"(?:(?:in|for|to)\s+(?:people\s+in\s+|patients\s+in\s+)?(?:my|our|this|the|his|her"
        r"|their)\s+(?:local\s+)?(?:area|region|county|borough|locality|postcode|part of the"
        r" country|city|town|icb|ccg)|locally|round here|around here|near me|where (?:i|we) live)",
        r"\b(?:no|isn't|is not|aren't|are not|wasn't|was not|no longer|never been|not been)\s+"
        r"(?:[\w'-]+\s+)?commissioned\b|\bdecommission\w*",
        r"\b(?:no|there is no|there's no|there isn't a|there is not a|don't have an?"
        r"|doesn't have an?)\s+(?:[\w'-]+\s+){0,3}?services?\s+(?:available\s+)?(?:in|for)\s+"
        r"(?:my|our|this|the)\s+(?:local\s+)?(?:area|region|county|borough|town|city)\b",
    ),
    # Unequal provision between areas.
    _phrase(
        r"\bpostcode lottery\b",
        r"\b(?:depends|depending|based) on (?:where you live|your postcode|which area"
        r"|the area you live)",
        r"\b(?:other|neighbouring|neighboring|different|next door|nearby)\s+(?:areas?|icbs?|ccgs?"
        r"|counties|boroughs|regions)\s+(?:[\w'-]+\s+){0,3}?(?:get|gets|have|has|offer|offers"
        r"|provide|provides|fund|funds|can)\b",
        r"\bif (?:i|we|you|he|she|they) lived (?:in|a few miles|elsewhere|somewhere|over the)",
        r"\b(?:unequal|inequal|inconsistent|uneven|unfair)\s+(?:provision|access|funding)\b",
        r"\bout[- ]of[- ]area\s+(?:placements?|funding|referrals?|beds?)\b",
    ),
    # A problem spanning several providers that nobody coordinates.
    _phrase(
        r"\b(?:no ?one|nobody|no-one)\s+(?:(?:is|was|seems|to|be|will|has|is willing|wants)\s+)*"
        r"co-?ordinat\w*",
        r"\b(?:not|no|never|isn't|wasn't|lack of|poor|zero)\s+(?:[\w'-]+\s+)?co-?ordinat\w*\s+"
        r"(?:between|across|among|amongst)\b",
        r"\b(?:fell|falls|falling|fall|slipped|slipping)\s+(?:through|between)\s+(?:the\s+)?"
        r"(?:gaps|cracks|services|providers|organisations|trusts)\b",
        r"\b(?:several|different|multiple|various|two|three|four|many|all the|all these)\s+"
        r"(?:services|providers|trusts|organisations|hospitals|agencies)\b[^.!?\n]{0,100}?"
        r"\b(?:no ?one|nobody|no-one|blam\w*|pass\w* the buck|responsib\w*|co-?ordinat\w*"
        r"|accountab\w*|talk to each other)",
        r"\b(?:passed|pushed|bounced|sent)\s+(?:[\w'-]+\s+){0,2}?(?:back and forth|between)\s+"
        r"(?:[\w'-]+\s+){0,3}?(?:services|providers|trusts|organisations|hospitals|agencies)\b",
    ),
)
