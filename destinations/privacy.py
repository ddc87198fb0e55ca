"""Privacy rules a destination applies before anything leaves: blocked names and values, an
allowlist of names, and a consent condition. Attentive's terms forbid health information in custom
events and attributes, and there is no business associate agreement to lean on.
"""

import importlib.util
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache, partial
from pathlib import Path
from typing import Any

import re2

from destinations.definition import BodyLayout, BodyPath, FieldError, origin_of

# Names (of properties, attributes, identifiers, source fields and the event itself) that suggest
# health information. A name is judged as words (memberId, member_id and member-id read "member id").
# A rule may end with "unless word, word, …": a match is not counted when one of those words comes
# before it in the name, in the names it sits inside (its path) or in the event's name; or with
# "when word, word, …": a match counts only when one of them is there. That is how the rules tell a
# shipping insurance, an item condition or a loyalty member id from health data.
_RETAIL_INSURANCE = (
    "shipping, shipment, package, parcel, delivery, carrier, courier, postage, tracking, fulfillment, fulfilment, "
    "travel, trip, rental, device, phone, protection, warranty, cargo, transit, gadget, pet"
)
# A member id alone is a loyalty programme's as often as an insurer's: it is health information only
# beside a word of medical care. Appointments, visits, claims, treatments and refills are booked and
# made by salons, spas, warranty desks and ink shops too: those count only without a word of retail
# service beside them (_SERVICE), and a bare "care" (skin care, customer care) never does.
_CARE = (
    "appointment, visit, patient, clinic, clinical, doctor, physician, provider, insurance, insurer, health, "
    "healthcare, medical, dental, vision, pharmacy, prescription, rx, refill, claim, coverage, eligibility, "
    "telehealth, lab, therapy, treatment, hospital, copay, payer, medicaid, medicare, intake"
)
_SERVICE = (
    "loyalty, reward, point, club, vip, tier, perk, membership, program, programme, referral, store, shop, "
    "stylist, salon, spa, beauty, hair, nail, barber, massage, facial, lash, brow, makeup, cosmetic, customer, "
    "ticket, support, warranty, protection, product, repair, ink, printer, toner, cartridge, filter, water, coffee, "
    "gym, fitness, class, tour, hotel, restaurant, table, car, vehicle, auto, pet, groom, grooming"
)
# Where a symptom, a procedure or a diagnosis is a device's, a car's or a product's.
_REPAIR = (
    "troubleshoot, troubleshooting, repair, device, laptop, computer, pc, phone, tablet, printer, appliance, "
    "vehicle, car, auto, engine, battery, hardware, software, network, router, console, bike, error, tech"
)
DEFAULT_NAME_RULES: tuple[tuple[str, str], ...] = (
    ("Diagnosis", r"diagnos|\bdx\b|\bddx\b"),
    (
        "Condition",
        r"\bconditions?\b unless item, product, listing, weather, road, payment, sale, term, box, packaging, "
        "cosmetic, vehicle, car, used, trade, book, garment, apparel, device, offer, coupon, promo, discount, "
        "shipping, return, warranty, order, cart, stock, inventory, grade, battery, card, usage, wear, surface, "
        "market, trading, lease, contract, service, checkout, signup, registration, consent, agreement, legal, "
        "tos",
    ),
    ("Medication", r"medicat|medicine|\bdrugs?\b|prescri|\brx\b|dosage|\bdoses?\b|pharmac"),
    (
        "Treatment",
        r"treatment|\btherap|\bprocedures?\b|surgery|surgical unless hair, nail, skin, scalp, beauty, spa, "
        "window, water, lawn, wood, leather, surface, fabric, retail, lens, coating, glass, eyewear, eyeglass, frame, "
        "heat, metal, assembly, installation, install, setup, cleaning, wash, maintenance, return, checkout, "
        "operating, standard, " + _REPAIR,
    ),
    ("Symptom", r"symptom|illness|disorder|injur|\bchronic\b|pre.?existing unless " + _REPAIR),
    # A plant's disease (disease-resistant seeds) is not a person's.
    (
        "Disease",
        r"disease unless seed, plant, garden, gardening, crop, lawn, nursery, tree, flower, vegetable, variety, "
        "horticulture, grower",
    ),
    # A person's allergies, not a product's allergens.
    (
        "Allergy",
        r"allerg(y|ies|ic) unless product, menu, food, recipe, ingredient, dish, label, snack, meal, nutrition",
    ),
    (
        "Vitals",
        r"blood.?(type|group|pressure|sugar|glucose|test|work|panel)|\bbmi\b|body.?mass|glucose|\ba1c\b"
        r"|hba1c|cholesterol|\bvitals\b|vital.?signs?|\bspo2\b unless nutrition, nutritional, nutrient, food, recipe, "
        "menu, product, serving, ingredient, label, fact, snack, meal",
    ),
    ("Vaccination", r"vaccin|immuni[sz]ation unless pet, dog, cat, puppy, kitten, vet, veterinary, horse, livestock"),
    (
        "Test result",
        r"lab.?result|test.?result|biopsy|screening.?result unless ab, split, experiment, variant, load, speed, qa, "
        "ui, campaign",
    ),
    ("Clinical codes", r"\bicd|\bcpt\b|cpt.?code|hcpcs|snomed|\bndc\b|\bloinc\b"),
    ("Insurance", r"insuranc|insurer|medicaid|medicare|\bcopay|deductible unless " + _RETAIL_INSURANCE),
    # A parcel is insured (its insured value) when an order ships: "insured" alone is a carrier's word.
    ("Insured", r"\binsured\b unless shipped, ship, order, declared, " + _RETAIL_INSURANCE),
    (
        "Insurance member",
        r"member.?(id|number|no)\b when " + _CARE + " unless " + _SERVICE,
    ),
    (
        "Insurance policy",
        r"polic(y|ies).?(number|id|no|holder)|policyholder|group.?number unless return, refund, privacy, cookie, "
        "shipping, exchange, cancellation, price, pricing, store, warranty, data, security, password, customer, ad, "
        "audience, segment, protection, device, gadget, extended, tour, travel, trip, booking, hotel, flight, "
        "reservation, event, ticket, class, party",
    ),
    # The one who pays: an insurer in a claim, a buyer at a checkout (PayPal's payer).
    (
        "Payer",
        r"\bpayers?\b unless paypal, payment, card, billing, order, checkout, transaction, invoice, bill, purchase, "
        "cart, subscription, refund",
    ),
    (
        "Health record",
        r"medical|health.?(record|history|condition|status|goal|concern|issue|problem|question|profile)|\bpatients?\b"
        r"|\bclinical\b|\bmrn\b|\behr\b|\bemr\b|chief.?complaint|presenting.?complaint|problem.?list",
    ),
    (
        "Sensitive health",
        r"pregnan|\bhiv\b|mental.?health|psychiatr|substance.?(use|abuse)|addiction|oncolog|cancer|diabet|fertility",
    ),
)
# Whole values that are clinical codes. "@ICD-10-CM" stands for the ICD-10-CM code set itself
# (CMS's code list, see ICD10CM_VERSION): a real code with its dot is health information wherever it
# is, in free text too; without its dot (B20, F329) only under a name that says it is a code
# (code, dx, icd, diagnosis) that no "unless" word makes ordinary (a coupon code, a postal code). A
# product model T800 or a postal district E14 is not one.
_RETAIL_CODE = (
    "coupon, promo, promotion, promotional, discount, voucher, gift, giftcard, redeem, redemption, offer, deal, "
    "campaign, referral, invite, affiliate, partner, utm, tracking, shipping, shipment, carrier, delivery, postal, "
    "post, zip, postcode, country, currency, language, locale, region, state, province, area, dial, store, shop, "
    "branch, location, warehouse, product, item, sku, model, style, color, colour, size, variant, barcode, bar, qr, "
    "upc, ean, gtin, mpn, part, serial, lot, batch, brand, vendor, supplier, category, department, collection, tax, "
    "hs, tariff, airport, flight, booking, confirmation, access, verification, auth, security, pin, error, status, "
    "response, return, refund, exchange, loyalty, reward, tier, sales, channel, source, medium, iso, price, fare, "
    "seat, room, ticket, session, device, app, version, release, share, membership, card, payment, transaction, "
    "merchant, terminal, pos, fulfillment, fulfilment, line, cart, checkout"
)
# Words that are health information in most texts but a shop's in some: a standard shipping
# method (STD), a zodiac sign or a pendant (Cancer), antique glass or a storm (Depression), a patient
# salesperson, a laptop's diagnosis, a tree's surgery. For a value rule, an "unless" word counts
# anywhere in the value itself too ("Pink Depression Glass Vase").
_SHOP_WORDS = (
    "shipping, shipment, delivery, carrier, zodiac, horoscope, astrology, astrological, "
    "constellation, celestial, tarot, birthstone, "
    "necklace, pendant, jewelry, jewellery, charm, bracelet, earring, glass, glassware, vase, antique, vintage, "
    "collectible, tropical, storm, weather"
)
_SERVICE_PRAISE = (
    "customer, service, staff, helpful, friendly, kind, polite, courteous, support, seller, agent, review, rating, "
    "team, rep, associate"
)
_DEVICE = (
    "laptop, computer, pc, printer, appliance, vehicle, engine, hardware, software, router, console, repair, "
    "troubleshoot, troubleshooting"
)
# Food labels and recipes name cholesterol, glucose and sugars too: an analyte's name there is
# a nutrition fact.
_NUTRITION = (
    "nutrition, nutritional, nutrient, food, recipe, menu, serving, ingredient, label, fact, snack, meal, calorie, "
    "diet, dietary, flavor, flavour, drink, beverage, syrup, sweetener, grocery"
)
# A five-digit number under a claim's or a procedure's name is a CPT code; a letter and four digits
# a HCPCS one. Under a postal, order or retail name it is a zip code, a SKU or a coupon.
_RETAIL_NUMBER = (
    "zip, postal, postcode, address, order, coupon, promo, discount, voucher, gift, reward, loyalty, point, "
    "warranty, product, sku, item, store, shop, ticket, tracking, shipping, carrier, phone, pin, verification, "
    "auth, otp, confirmation, booking, reservation, flight, seat, room, model, serial, part, style, vendor, prize, "
    "offer, deal, contest, giveaway, sweepstake, raffle, promotion, campaign, referral, bonus, cashback, rebate, "
    "package, parcel, delivery"
)
DEFAULT_VALUE_RULES: tuple[tuple[str, str], ...] = (
    ("ICD-10 code", "@ICD-10-CM unless " + _RETAIL_CODE),
    ("CPT category II/III code", r"^[0-9]{4}[FT]$"),
    (
        "CPT or HCPCS code",
        r"^(?:[0-9]{5}|[A-V][0-9]{4})$ when cpt, hcpcs, procedure, claim, superbill, encounter, patient, clinical, "
        "medical unless " + _RETAIL_NUMBER,
    ),
    (
        "Lab tests",
        r"^(?:lipid panel|cholesterol|ldl|hdl|triglycerides?|tsh|free t4|hba1c|a1c|hemoglobin a1c|glucose|"
        r"fasting glucose|blood glucose|egfr|creatinine|ferritin)$ unless " + _NUTRITION,
    ),
    ("Health conditions", r"\b(?:stds?|cancer|depression)\b unless " + _SHOP_WORDS),
    # Earmuffs and earplugs are sold for hearing loss protection.
    (
        "Health conditions",
        r"\bhearing loss\b unless protection, protective, protector, earmuff, earplug, plug, muff, safety, noise, "
        "shooting, prevention",
    ),
    ("Clinical words", r"\bpatient\b unless " + _SERVICE_PRAISE),
    ("Clinical words", r"\bdiagnos(?:is|es|ed|tic|tics)\b unless " + _DEVICE),
    ("Clinical words", r"\bsurgery\b unless tree, doll, teddy, plant, lawn, guitar, " + _DEVICE),
    (
        "Clinics",
        r"\b(?:fertility|ivf|medical|pain|urgent.?care|walk.?in|abortion|methadone|rehab|cancer|oncology|"
        r"psychiatric|dialysis|sexual.?health|family.?planning|women'?s.?health|mental.?health|stds?|hiv|dental)"
        r"\s+(?:clinic|center|centre)s?\b",
    ),
    (
        "Medical specialties",
        r"\b(?:oncology|cardiology|psychiatry|psychiatrists?|neurology|gastroenterology|endocrinology|urology|"
        r"nephrology|pulmonology|rheumatology|hematology|haematology|obstetrics|gynecology|gynaecology|ob.?gyn|"
        r"dermatology|radiology|orthopedics|orthopaedics|cardiologist|oncologist|neurologist|endocrinologist|"
        r"(?:physical|occupational|speech|radiation)\s+therapy|physiotherapy|chemotherapy|radiotherapy)\b",
    ),
)
# Words and phrases that make free text health information ("Patient is HIV positive"), matched
# as whole words, case-insensitively, in every text that would leave.
DEFAULT_TERM_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Health conditions",
        (
            "HIV",
            "hepatitis",
            "tumor",
            "tumour",
            "chemotherapy",
            "diabetes",
            "diabetic",
            "dialysis",
            "schizophrenia",
            "bipolar disorder",
            "dementia",
            "alzheimer's",
            "epilepsy",
            "pregnant",
            "pregnancy",
            "miscarriage",
            "abortion",
            "IVF",
            "infertility",
            "opioid",
            "methadone",
            "suboxone",
            "overdose",
            "addiction",
            "chlamydia",
            "gonorrhea",
            "syphilis",
            "herpes",
            "HPV",
            "asthma",
            "hypertension",
            "chemo",
            "leukemia",
            "lymphoma",
            "melanoma",
            "arthritis",
            "COPD",
            "multiple sclerosis",
            "Parkinson's",
            "tuberculosis",
            "lupus",
            "seizures",
            "ADHD",
            "PTSD",
            "anorexia",
            "bulimia",
            "eating disorder",
            "anxiety disorder",
            "heart disease",
            "kidney disease",
            "cirrhosis",
            "migraine",
            "migraines",
            "chest pain",
            "celiac",
            "coeliac",
            "GERD",
            "acid reflux",
            "hyperlipidemia",
            "high cholesterol",
            "high blood pressure",
            "blood pressure",
            "blood sugar",
            "hypothyroidism",
            "hyperthyroidism",
            "obesity",
            "sleep apnea",
            "panic attacks",
            "panic disorder",
            "heart attack",
            "atrial fibrillation",
            "AFib",
            "endometriosis",
            "PCOS",
            "erectile dysfunction",
            "Crohn's",
            "colitis",
            "fibromyalgia",
            "osteoporosis",
            "anemia",
            "kidney failure",
            "liver disease",
            "stroke recovery",
            "concussion",
            "prenatal",
            "postpartum",
            "pneumonia",
            "bronchitis",
            "sepsis",
            "sensorineural",
            "tinnitus",
            "emergency contraception",
            "emergency contraceptive",
            "morning-after pill",
            "morning after pill",
            "Plan B One-Step",
            "contraceptive",
            "contraceptives",
            "birth control",
            "STI test",
            "STD test",
        ),
    ),
    (
        "Medications",
        (
            "insulin",
            "metformin",
            "Ozempic",
            "Wegovy",
            "Mounjaro",
            "Zepbound",
            "semaglutide",
            "tirzepatide",
            "sertraline",
            "Zoloft",
            "Prozac",
            "fluoxetine",
            "Lexapro",
            "escitalopram",
            "Xanax",
            "alprazolam",
            "Adderall",
            "oxycodone",
            "hydrocodone",
            "fentanyl",
            "buprenorphine",
            "naloxone",
            "Narcan",
            "Truvada",
            "Biktarvy",
            "lisinopril",
            "atorvastatin",
            "levothyroxine",
            "gabapentin",
            "prednisone",
            "albuterol",
            "sildenafil",
            "tadalafil",
            "antidepressant",
            "antidepressants",
            "Eliquis",
            "apixaban",
            "Xarelto",
            "rivaroxaban",
            "warfarin",
            "Coumadin",
            "Jardiance",
            "Farxiga",
            "Trulicity",
            "Victoza",
            "Saxenda",
            "liraglutide",
            "Rybelsus",
            "Januvia",
            "Synthroid",
            "amlodipine",
            "losartan",
            "metoprolol",
            "simvastatin",
            "rosuvastatin",
            "Crestor",
            "Lipitor",
            "Humira",
            "Keytruda",
            "Dupixent",
            "Stelara",
            "Enbrel",
            "bupropion",
            "Wellbutrin",
            "trazodone",
            "citalopram",
            "Celexa",
            "duloxetine",
            "Cymbalta",
            "venlafaxine",
            "Effexor",
            "quetiapine",
            "Seroquel",
            "aripiprazole",
            "Abilify",
            "lorazepam",
            "Ativan",
            "clonazepam",
            "Klonopin",
            "diazepam",
            "Valium",
            "zolpidem",
            "Ambien",
            "Vyvanse",
            "Ritalin",
            "methylphenidate",
            "tramadol",
            "morphine",
            "Percocet",
            "Vicodin",
            "Viagra",
            "Cialis",
            "Paxlovid",
            "Valtrex",
            "valacyclovir",
            "Descovy",
            "Chantix",
            "varenicline",
            "naltrexone",
            "phentermine",
            "Contrave",
            "EpiPen",
            "Symbicort",
            "Advair",
            "Singulair",
            "montelukast",
            "hydroxychloroquine",
            "Shingrix",
            "Gardasil",
            "Prevnar",
            "Pneumovax",
            "Arexvy",
            "Abrysvo",
            "Comirnaty",
            "Spikevax",
            "flu shot",
            "flu vaccine",
        ),
    ),
    (
        "Clinical words",
        (
            "prescription",
            "prescribed",
            "symptoms",
            "biopsy",
            "lab result",
            "test result",
            "positive for",
            "tested positive",
            "ICD-10",
            "mental health",
            "patients",
            "chief complaint",
            "mammogram",
            "mammography",
            "colonoscopy",
            "endoscopy",
            "MRI scan",
            "CT scan",
            "pap smear",
            "blood test",
            "blood work",
            "bloodwork",
            "lipid panel",
            "metabolic panel",
            "thyroid panel",
            "HbA1c",
            "hemoglobin A1c",
            "admitted for",
            "discharge summary",
        ),
    ),
)
MAX_PATTERN_LENGTH = 500
MAX_UNLESS_WORDS = 300
MAX_REMEMBERED_NAMES = 10_000
TEXT_SEPARATOR = "\n\x1f\n"
UNLESS = " unless "
WHEN = " when "
ICD10CM = "@ICD-10-CM"
# The code set's edition: CMS's ICD-10-CM code list of April 1, 2026, as the simple-icd-10-cm
# package (pinned in pyproject.toml) ships it.
ICD10CM_VERSION = "ICD-10-CM April 1, 2026 (CMS), from simple-icd-10-cm 1.5.0"
_ICD10CM_FILE = "code-list-April-2026.txt"
# The shapes a code can take: whole values with or without the dot, and codes with the dot inside
# free text. Only what one of these finds is looked up in the code set.
_CODE_SHAPE = (
    r"^[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{0,4}|[0-9A-Z]{1,4})?$|\b[A-Z][0-9][0-9A-Z]\.[0-9A-Z]{1,4}\b"
    r"|\b(?:dx|ddx|icd|icd-?10|icd-?10-?cm|diagnosis|diag)\b[^A-Z0-9]{1,3}[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}\b"
)
# A category may be written with a bare dot (I10.).
_DOTTED = re2.compile(r"(?i)^([A-Z][0-9][0-9A-Z])\.([0-9A-Z]{0,4})$")
_DOTLESS = re2.compile(r"(?i)^[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}$")
_DOTTED_IN_TEXT = re2.compile(r"(?i)\b([A-Z][0-9][0-9A-Z])\.([0-9A-Z]{1,4})\b")
# The words of a name that say its value is a clinical code.
# A code without its dot written right after such a word in free text ("dx E119") is one too.
_DX_CODE_IN_TEXT = re2.compile(
    r"(?i)\b(?:dx|ddx|icd|icd-?10|icd-?10-?cm|diagnosis|diag)\b[^A-Z0-9]{1,3}([A-Z][0-9][0-9A-Z][0-9A-Z]{0,4})\b"
)
# The words of a name that say its value is a place in a shop or a warehouse, not a code.
LOCATION_WORDS = frozenset(
    {"bin", "aisle", "shelf", "warehouse", "slot", "rack", "bay", "pallet", "stockroom", "planogram", "locator"}
)
# The words of a name that say its value is a diagnosis code: under one of them, a code without its
# dot is health information.
DIAGNOSIS_WORDS = frozenset(
    {"dx", "ddx", "icd", "icd10", "icd9", "icd10cm", "diagnosis", "diagnose", "diag", "condition", "problem"}
)
# A bare "code" (rate_code, plan_code, employee_code, a coupon's code) says nothing: it is a
# diagnosis code only beside a word of medical care, in its path or in the event's name.
CODE_WORDS = frozenset({"code"})
CARE_WORDS = frozenset(
    {
        "visit",
        "appointment",
        "refill",
        "intake",
        "telehealth",
        "claim",
        "patient",
        "clinical",
        "clinic",
        "health",
        "medical",
        "encounter",
        "doctor",
        "physician",
        "provider",
        "prescription",
        "rx",
        "pharmacy",
        "lab",
        "hospital",
        "chart",
        "diagnosis",
        "billing",
        "superbill",
        "insurance",
        "telemedicine",
    }
)
# Where a name's words are split: camelCase humps, and anything that is not a letter or a digit.
_HUMPS = re2.compile(r"([a-z0-9])([A-Z])")
_NOT_WORD = re2.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=1)
def icd10cm_codes() -> frozenset[str]:
    """Every ICD-10-CM code (categories and subcategories too), upper case, without its dot.

    Read from the package's data file without importing the package, which parses the whole
    classification (seconds) at import."""
    spec = importlib.util.find_spec("simple_icd_10_cm")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The simple-icd-10-cm package is not installed: run make install.")
    text = (Path(spec.submodule_search_locations[0]) / "data" / _ICD10CM_FILE).read_text(encoding="utf-8")
    return frozenset(
        code for line in text.splitlines() if (code := line.strip().replace(".", "").upper()) and "-" not in code
    )


def is_icd10cm_code(text: str) -> bool:
    """Whether `text` is an ICD-10-CM code, written with or without its dot."""
    return text.strip().replace(".", "", 1).upper() in icd10cm_codes()


def words_of(text: str) -> list[str]:
    """The words of a name or an event path, lower case and singular: memberId, member_ids and
    Member-Id all read ["member", "id"]."""
    words = _NOT_WORD.split(_HUMPS.sub(r"\1 \2", text).lower())
    return [_singular(word) for word in words if word]


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "is", "us")):
        return word[:-1]
    return word


# What a product's treatment, coating or finish is applied to. Named in the texts beside a name
# (a product's name, its category), these words are context for it; no other word of those texts
# is, so that a phone app named beside a symptom does not make it a device's.
_THINGS_TREATED = frozenset(
    _singular(word)
    for word in [
        "lens",
        "coating",
        "eyewear",
        "eyeglass",
        "eyeglasses",
        "glasses",
        "sunglass",
        "sunglasses",
        "frame",
        "hair",
        "nail",
        "wood",
        "leather",
        "fabric",
        "lawn",
        "window",
    ]
)


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: its label, the RE2 pattern searched, the words that make a match ordinary, and
    for "@ICD-10-CM" the code set a value must belong to."""

    label: str
    pattern: str
    unless: frozenset[str] = frozenset()
    code_set: bool = False
    # Words one of which must be in the context for a match to count.
    when: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, label: str, text: str) -> "Rule":
        pattern, unless = _split_words(text, UNLESS)
        pattern, when = _split_words(pattern, WHEN)
        if pattern.strip().upper() == ICD10CM:
            return cls(label, _CODE_SHAPE, unless, code_set=True, when=when)
        return cls(label, pattern.strip(), unless, when=when)

    @property
    def conditional(self) -> bool:
        return bool(self.unless or self.when)


def _split_words(text: str, keyword: str) -> tuple[str, frozenset[str]]:
    pattern, sep, words = text.rpartition(keyword)
    if not sep:
        return text, frozenset()
    return pattern, frozenset(_singular(word.strip().lower()) for word in words.split(",") if word.strip())


def rule_problem(text: str) -> str | None:
    """What is wrong with one rule's pattern (with its "unless" words), or None."""
    rule = Rule.parse("", text)
    if rule.code_set:
        return None
    if len(rule.pattern) > MAX_PATTERN_LENGTH:
        # Refused rather than cut: a cut pattern is not the one that was checked.
        return f"a rule may be at most {MAX_PATTERN_LENGTH} characters."
    if len(rule.unless) > MAX_UNLESS_WORDS or len(rule.when) > MAX_UNLESS_WORDS:
        return f"a rule may list at most {MAX_UNLESS_WORDS} words after “unless” or “when”."
    try:
        _compile(rule.pattern)
    except re2.error:
        return "not a valid regular expression (RE2 syntax, no look-arounds)."
    return None


class _RuleSet:
    """Labelled patterns, searched as one RE2 alternation first: nearly every text matches none,
    and one search costs what one rule does. Only a match asks which rule it was."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self._each = [(rule, _compile(rule.pattern)) for rule in rules]
        self._any = _compile(_alternation(rule.pattern for rule in rules)) if rules else None
        # Which rules a text matches, in one pass (RE2's Set): a code-shaped order id must not cost
        # a search per rule. None when RE2 cannot build it; then each rule is searched in turn.
        self._set = _rule_set(rule.pattern for rule in rules) if rules else None

    def first_match(self, text: str) -> str | None:
        """The first rule that `text` matches, whatever its context ("unless" words aside)."""
        if self._any is None or not self._any.search(text):
            return None
        return next((rule.label for rule, regex in self._each if regex.search(text)), None)

    def candidates(self, text: str) -> tuple[tuple[Rule, int], ...]:
        """Each rule `text` matches, in order, with where its match starts; () for nearly every text."""
        if self._any is None or not self._any.search(text):
            return ()
        found = []
        if self._set is not None:
            each = self._each
            for index in sorted(self._set.Match(text) or ()):
                rule, regex = each[index]
                match = regex.search(text)
                if match:
                    found.append((rule, match.start()))
            return tuple(found)
        for rule, regex in self._each:
            match = regex.search(text)
            if match:
                found.append((rule, match.start()))
        return tuple(found)


def _rule_set(patterns: Iterable[str]) -> "re2.Set | None":
    rules = re2.Set.SearchSet()
    try:
        for pattern in patterns:
            rules.Add("(?i)" + pattern)
        rules.Compile()
    except re2.error:
        return None
    return rules


def _alternation(patterns: Iterable[str]) -> str:
    return "|".join(f"(?:{pattern})" for pattern in patterns)


def _compile(pattern: str) -> "re2._Regexp":
    # RE2 cannot backtrack: a rule an admin writes runs in time linear in the value, whatever it is.
    return re2.compile("(?i)" + pattern)


def _terms_pattern(terms: Iterable[str]) -> str:
    words = [re2.escape(term.strip()).replace(r"\ ", r"\s+") for term in terms if term.strip()]
    return r"\b(?:" + "|".join(words) + r")\b" if words else ""


def _decide(candidates: tuple[tuple[Rule, int], ...], text: str, context: Callable[[], frozenset[str]]) -> str | None:
    """The label of the first candidate that no "unless" word makes ordinary (one of them before
    the match in `text` itself, or anywhere in the context: the path around it, the event's name)
    and that has one of its "when" words in `text` or the context."""
    around: frozenset[str] | None = None
    for rule, start in candidates:
        if not rule.conditional:
            return rule.label
        if around is None:
            around = context()
        if rule.unless and not (rule.unless.isdisjoint(around) and rule.unless.isdisjoint(words_of(text[:start]))):
            continue
        if rule.when and rule.when.isdisjoint(around) and rule.when.isdisjoint(words_of(text)):
            continue
        return rule.label
    return None


def _conditional(candidates: tuple[tuple[Rule, int], ...]) -> bool:
    """Whether the verdict on these candidates depends on the context."""
    return bool(candidates) and candidates[0][0].conditional


def rules_problem(
    name_rules: Iterable[Mapping[str, str]],
    value_rules: Iterable[Mapping[str, str]],
    term_rules: Iterable[Mapping[str, Any]],
) -> tuple[str, str] | None:
    """(Which list, what is wrong) when rules that are each valid cannot be compiled together, as
    routing compiles them (one search for the names, one for the values and words), or None.
    RE2 refuses a program past its memory budget: thousands of long rules do not fit."""
    names = [Rule.parse(str(rule["label"]), str(rule["pattern"])).pattern for rule in name_rules]
    values = [Rule.parse(str(rule["label"]), str(rule["pattern"])).pattern for rule in value_rules]
    terms = [pattern for rule in term_rules if (pattern := _terms_pattern(rule["terms"]))]
    checks = (
        ("blocked_names", "blocked names", names),
        ("blocked_values", "blocked values and words in text", [*values, *terms]),
    )
    for key, what, patterns in checks:
        if not patterns:
            continue
        try:
            _compile("(?m)" + _alternation(patterns))
        except re2.error:
            return key, (
                f"These {len(patterns)} rules ({what}) are too large to be searched together: keep fewer or "
                "shorter rules (RE2's memory budget), for example one rule with alternatives instead of many."
            )
    return None


CONSENT = "consent"
# A consent category the page must grant (read by mapper.consent), and what an event that says
# nothing about it gets: skipped (require it) or sent (only a page that says no stops it).
CONSENT_SKIP, CONSENT_SEND = "skip", "send"
CONSENT_WHEN_UNKNOWN_CHOICES = (
    (CONSENT_SKIP, "Require it: skip events that do not say the person agreed"),
    (CONSENT_SEND, "Only when the page says no: send events that carry no consent for it"),
)
MAX_CONSENT_CATEGORY_LENGTH = 100


def consent_category_problem(category: str) -> str:
    """Why `category` cannot be required ("" when it can)."""
    if len(category) > MAX_CONSENT_CATEGORY_LENGTH:
        return f"A consent category is at most {MAX_CONSENT_CATEGORY_LENGTH} characters."
    if any(ord(character) < 32 for character in category):
        return "A consent category is one line of text."
    return ""


BLOCKING_CODES = frozenset({"blocked_by_rule", "not_allowlisted"})


def default_rules(kind: str) -> list[dict[str, Any]]:
    if kind == "term":
        return [{"label": label, "terms": list(terms)} for label, terms in DEFAULT_TERM_RULES]
    rules = DEFAULT_NAME_RULES if kind == "name" else DEFAULT_VALUE_RULES
    return [{"label": label, "pattern": pattern} for label, pattern in rules]


def terms_to_text(rules: Iterable[Mapping[str, Any]]) -> str:
    return "\n".join(f"{rule['label']} = {', '.join(rule['terms'])}" for rule in rules)


def terms_from_text(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Read `Label = word, phrase, …` lines; return the rules and one message per line that is not one."""
    rules, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        label, sep, words = line.partition("=")
        terms = [term.strip()[:100] for term in words.split(",") if term.strip()]
        if not sep or not label.strip() or not terms:
            problems.append(f"Line {number}: write “Label = word, phrase, …”.")
            continue
        rules.append({"label": label.strip()[:100], "terms": terms})
    return rules, problems


def rules_to_text(rules: Iterable[Mapping[str, str]]) -> str:
    return "\n".join(f"{rule['label']} = {rule['pattern']}" for rule in rules)


def rules_from_text(text: str) -> tuple[list[dict[str, str]], list[str]]:
    """Read `Label = regex [unless word, word, …]` lines (or `Label = @ICD-10-CM …`); return the
    rules and one message per line that is not a rule."""
    rules, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        label, sep, pattern = line.partition("=")
        if not sep or not label.strip() or not pattern.strip():
            problems.append(f"Line {number}: write “Label = regular expression”.")
            continue
        pattern = pattern.strip()
        problem = rule_problem(pattern)
        if problem:
            problems.append(f"Line {number}: {problem}")
            continue
        rules.append({"label": label.strip()[:100], "pattern": pattern})
    return rules, problems


# The consent condition is an expression of the mapper's language: the mapper registers how to
# check one (imports flow one way), each check giving a message or None.
CONDITION_CHECKS: list[Callable[[str], str | None]] = []


def condition_problem(expression: str) -> str | None:
    """What is wrong with a consent condition, or None."""
    return next((problem for check in CONDITION_CHECKS if (problem := check(expression))), None)


@dataclass(frozen=True)
class PrivacyPolicy:
    name_rules: tuple[tuple[str, str], ...] = DEFAULT_NAME_RULES
    value_rules: tuple[tuple[str, str], ...] = DEFAULT_VALUE_RULES
    allowlist: frozenset[str] | None = None
    consent: str = ""
    term_rules: tuple[tuple[str, tuple[str, ...]], ...] = DEFAULT_TERM_RULES
    # Source paths (such as properties.sku) whose values the value and term rules do not judge.
    exceptions: frozenset[str] = frozenset()
    # The sign-up disclosure an admin recorded: the legal text subscribers agreed to. Without it,
    # an action that subscribes people cannot be enabled.
    disclosure: str = ""

    @classmethod
    def of(
        cls,
        name_rules: Iterable[Mapping[str, str]],
        value_rules: Iterable[Mapping[str, str]],
        allowlist: Iterable[str] | None,
        consent: str,
        term_rules: Iterable[Mapping[str, Any]] = (),
        exceptions: Iterable[str] = (),
        disclosure: str = "",
    ) -> "PrivacyPolicy":
        """Return the policy for these settings; the same settings give the same (compiled) policy."""
        return _policy(
            tuple((rule["label"], rule["pattern"]) for rule in name_rules),
            tuple((rule["label"], rule["pattern"]) for rule in value_rules),
            frozenset(allowlist) if allowlist is not None else None,
            consent.strip(),
            tuple((rule["label"], tuple(rule["terms"])) for rule in term_rules),
            frozenset(path.strip() for path in exceptions if path.strip()),
            disclosure.strip(),
        )

    @cached_property
    def _names(self) -> "_RuleSet":
        return _RuleSet([Rule.parse(label, pattern) for label, pattern in self.name_rules])

    @cached_property
    def _values(self) -> "_RuleSet":
        return _RuleSet([Rule.parse(label, pattern) for label, pattern in self.value_rules])

    @cached_property
    def _terms(self) -> "_RuleSet":
        return _RuleSet(
            [Rule(label, pattern) for label, terms in self.term_rules if (pattern := _terms_pattern(terms))]
        )

    @cached_property
    def _text_rules(self) -> "_RuleSet":
        """Value and word rules together: a value that matches neither costs one search."""
        return _RuleSet([*self._values.rules, *self._terms.rules])

    @cached_property
    def _name_verdicts(self) -> dict[str, Any]:
        # Names (keys, source path parts) repeat from event to event: judge each once. A verdict
        # is a label, None, or (candidates, readable name) when the context decides.
        return {}

    def blocked_sources(
        self, sources: Mapping[str, tuple[str, ...]], event: str | None = None
    ) -> dict[str, tuple[str, str]]:
        """For each field whose value is read from a blocked event path: (that path, the rule).
        `event` is the event's name; without it (no event at hand) a path that
        only the context could stop (member_id) is not reported. Source paths listed as
        exceptions are not judged.

        An action's sources do not change (a compiled action keeps one mapping for its life), so
        the answer is remembered per mapping, by identity: hashing its contents on every event
        cost more than the rest of this check."""
        verdicts = self._source_verdicts
        remembered = verdicts.get(id(sources))
        # The mapping itself is kept beside the answer, so that its id cannot be reused meanwhile.
        if remembered is None or remembered[0] is not sources:
            found: dict[str, tuple[str, str]] = {}
            conditional: list[tuple[str, str]] = []
            for field_key, paths in sources.items():
                for path in paths:
                    if self.exceptions and self.is_exception(path):
                        continue
                    if self._source_is_conditional(path):
                        conditional.append((field_key, path))
                        continue
                    label = self.blocked_source(path)
                    if label:
                        found[field_key] = (path, label)
                        break
            if len(verdicts) >= MAX_REMEMBERED_NAMES:
                verdicts.clear()
            remembered = verdicts[id(sources)] = (sources, found, tuple(conditional))
        found, conditional = remembered[1], remembered[2]
        if not conditional or event is None:
            return found
        found = dict(found)
        for field_key, path in conditional:
            if field_key not in found and (label := self.blocked_source(path, event)):
                found[field_key] = (path, label)
        return found

    @cached_property
    def _source_verdicts(self) -> dict[int, Any]:
        return {}

    def _source_is_conditional(self, path: str) -> bool:
        return any(type(self._name_verdict(part)) is tuple for part in path.split("."))

    def blocked_source(self, path: str, event: str = "") -> str | None:
        """The label of the first name rule that a part of an event path (a.b.c) matches, the
        parts before it and the event's name as its context."""
        key = "\x00source:" + path  # beside names in one bounded memory; NUL never starts a name
        verdicts = self._name_verdicts
        if key in verdicts:
            return verdicts[key]
        parts = tuple(path.split("."))
        label = next(
            filter(None, (self.blocked_name(part, parts[:index], event) for index, part in enumerate(parts))), None
        )
        if not self._source_is_conditional(path):
            verdicts[key] = label
        return label

    def _name_verdict(self, name: str) -> Any:
        verdicts = self._name_verdicts
        verdict = verdicts.get(name, _UNSEEN)
        if verdict is _UNSEEN:
            readable = " ".join(word for word in _NOT_WORD.split(_HUMPS.sub(r"\1 \2", name).lower()) if word)
            candidates = self._names.candidates(readable)
            if not candidates:
                # Rules written for the raw name (with its underscores) still count.
                candidates = tuple(found for found in self._names.candidates(name) if not found[0].conditional)
            if not candidates:
                verdict = None
            elif not _conditional(candidates):
                verdict = candidates[0][0].label
            else:
                verdict = (candidates, readable)
            if len(verdicts) >= MAX_REMEMBERED_NAMES:
                verdicts.clear()
            verdicts[name] = verdict
        return verdict

    def blocked_name(
        self, name: str, path: tuple[Any, ...] = (), event: str = "", beside: Mapping[str, Any] | None = None
    ) -> str | None:
        """The label of the first name rule `name` matches, or None. `path` (the names it sits
        inside), `event` (the event's name) and the short texts `beside` it (the object it is a
        member of) are its context: an "unless" word there makes a match ordinary (a loyalty
        member id, a shipping insurance, a lens's treatment beside "Anti-glare Lens Coating")."""
        verdict = self._name_verdicts.get(name, _UNSEEN)  # the hot path: one lookup per name
        if verdict is _UNSEEN:
            verdict = self._name_verdict(name)
        if verdict is None or type(verdict) is str:
            return verdict
        candidates, readable = verdict

        def context() -> frozenset[str]:
            inside = frozenset(words_of(" ".join(part for part in path if isinstance(part, str))))
            if beside:
                texts = " ".join(v for k, v in beside.items() if k != name and type(v) is str and len(v) <= 100)
                inside |= _THINGS_TREATED.intersection(words_of(texts))
            return inside | _words_of_event(event) if event else inside

        return _decide(candidates, readable, context)

    def blocked_value(self, value: Any, contexts: Callable[[], list[frozenset[str]]] | None = None) -> str | None:
        """The label of the first value or term rule that `value` (a text) matches. `contexts`
        gives the words around it (its name and path in the request, each path of the event it
        came from, the event's name), one set per path: a code without its dot counts only where
        one of them says it is a code."""
        if not isinstance(value, str):
            return None
        text = value.strip()
        candidates = self._text_rules.candidates(text)
        if not candidates:
            return None
        around: list[frozenset[str]] | None = None
        own: frozenset[str] | None = None
        for rule, _ in candidates:
            if not rule.code_set and not rule.conditional:
                return rule.label
            if around is None:
                around = contexts() if contexts else [frozenset()]
            if rule.code_set:
                if _is_health_code(text, rule.unless, around):
                    return rule.label
            else:
                # A value rule's "unless" and "when" words count in the value itself too.
                if own is None:
                    own = frozenset(words_of(text))
                if rule.unless.isdisjoint(own) and any(
                    rule.unless.isdisjoint(words) and not (rule.when and rule.when.isdisjoint(words | own))
                    for words in around
                ):
                    return rule.label
        return None

    @cached_property
    def _text_rule_set(self) -> tuple[Any, int | None, int | None]:
        """One search for every value and word rule: a Set of (at most) two patterns, the rules
        without "when" words (what a text can match whatever its names) and those with them (only
        where a name holds one of their words), with the index of each. Nearly every text a
        conditioned rule finds is an ordinary number: a Set says so without locating the match."""
        rules = self._text_rules.rules
        groups = [[rule.pattern for rule in rules if not rule.when], [rule.pattern for rule in rules if rule.when]]
        patterns = ["(?m)" + _alternation(group) for group in groups if group]
        indexes = iter(range(len(patterns)))
        plain, conditioned = (next(indexes) if group else None for group in groups)
        return (_rule_set(patterns) if patterns else None), plain, conditioned

    @cached_property
    def _when_words(self) -> frozenset[str]:
        return frozenset().union(*(rule.when for rule in self._text_rules.rules))

    @cached_property
    def _name_has_when_word(self) -> dict[Any, Any]:
        return {}

    def has_when_context(
        self, names: list[str], sources: Mapping[str, tuple[str, ...]], event: str, shape: tuple[str, ...] = ()
    ) -> bool:
        """Whether any of a body's `names`, any event path it is read from or the event's name
        holds one of the value rules' "when" words: without one, no such rule can match. `shape`
        is tuple(names), when the caller has it already."""
        when = self._when_words
        if not when:
            return False
        if not when.isdisjoint(_words_of_event(event)):
            return True
        known = self._name_has_when_word
        # An action's sources do not change: their answer is remembered by identity, as in
        # blocked_sources (the mapping is kept beside it so that its id cannot be reused).
        remembered = known.get(id(sources))  # type: ignore[call-overload]
        if remembered is None or remembered[0] is not sources:
            paths = [path for paths in sources.values() for path in paths]
            remembered = (sources, any(self._has_when_word(path) for path in paths))
            known[id(sources)] = remembered  # type: ignore[index]
        if remembered[1]:
            return True
        # An action's bodies nearly always hold the same names: the answer is remembered per list
        # of names, one lookup instead of one per name.
        shape = shape or tuple(names)
        found = known.get(shape)
        if found is None:
            found = any(self._has_when_word(name) for name in names)
            if len(known) >= MAX_REMEMBERED_NAMES:
                known.clear()
            known[shape] = found
        return found

    @cached_property
    def _ordinary_shapes(self) -> dict[tuple[Any, ...], bool]:
        return {}

    def names_are_ordinary(self, shape: tuple[Any, ...]) -> bool:
        """Whether no name in `shape` (a body's names) is any name rule's at all, whatever its
        context: then the name rules have nothing to stop in that body. An action's bodies nearly
        always have the same names, so the answer is remembered per shape; a name's verdict
        depends on the rules alone, which never change."""
        known = self._ordinary_shapes
        found = known.get(shape)
        if found is None:
            found = all(type(name) is str and self._name_verdict(name) is None for name in shape)
            if len(known) >= MAX_REMEMBERED_NAMES:
                known.clear()
            known[shape] = found
        return found

    @cached_property
    def _quiet_names(self) -> dict[Any, Any]:
        return {}

    def quiet_names(
        self, sources: Mapping[str, tuple[str, ...]], event: str, shape: tuple[Any, ...], name: Any
    ) -> bool | None:
        """None when the names around a body could stop something whatever its texts: a source
        path the name rules block, its event name (`name`, the body's) blocked by them, a name
        that is any name rule's (`shape`, the body's names), or an allowlist to judge them by.
        Otherwise whether those names, sources and the event's name (`event`) hold a "when" word
        (has_when_context). All of these repeat from event to event: the answer is remembered per
        action's sources (by identity, as in blocked_sources), event, names and event name."""
        known = self._quiet_names
        key = (id(sources), event, shape, name if type(name) is str else None)
        remembered = known.get(key)
        if remembered is None or remembered[0] is not sources:
            quiet = (
                self.allowlist is None
                and not self.blocked_sources(sources, event)
                and not (isinstance(name, str) and self.blocked_name(name))
                and self.names_are_ordinary(shape)
            )
            verdict = self.has_when_context(list(shape), sources, event, shape) if quiet else None
            if len(known) >= MAX_REMEMBERED_NAMES:
                known.clear()
            remembered = known[key] = (sources, verdict)
        return remembered[1]

    def _has_when_word(self, name: Any) -> bool:
        known = self._name_has_when_word
        found = known.get(name)
        if found is None:
            found = isinstance(name, str) and not self._when_words.isdisjoint(words_of(name))
            if len(known) >= MAX_REMEMBERED_NAMES:
                known.clear()
            known[name] = found
        return found

    def text_rules_found(self, texts: list[str]) -> tuple[bool, bool]:
        """Whether any of `texts` (already stripped) could match a value or word rule without
        "when" words, and one with them, in one search. A text holding line breaks is judged line
        by line here: stricter, never laxer."""
        match, plain, conditioned = self._text_rule_match
        if match is None:
            return False, False
        found = match(TEXT_SEPARATOR.join(texts).encode())
        if not found:
            return False, False
        return plain in found, conditioned in found

    @cached_property
    def _text_rule_match(self) -> tuple[Callable[[bytes], list[int]] | None, int | None, int | None]:
        """_text_rule_set with its Set's own Match (a list of the indexes found, [] for none) in
        place of the Set: re2's wrapper adds a Python call and a type test per body. Bytes only."""
        rules, plain, conditioned = self._text_rule_set
        return (rules._set.Match if rules is not None else None), plain, conditioned

    def blocked_text(self, text: str) -> str | None:
        """The label of the first term rule that `text` contains as whole words."""
        return self._terms.first_match(text)

    def is_exception(self, source: str) -> bool:
        return any(source == path or source.startswith(path + ".") for path in self.exceptions)


_UNSEEN = object()


def _is_health_code(text: str, unless: frozenset[str], contexts: list[frozenset[str]]) -> bool:
    """Whether `text` is an ICD-10-CM code that is health information here: a real code with its
    dot anywhere (in free text too); without its dot, only where a path's words say it is a code
    and none of the "unless" words makes it an ordinary one (a coupon code, a postal code)."""
    codes = icd10cm_codes()
    upper = text.upper()
    dotted = _DOTTED.match(upper)
    if dotted:
        # A bin, an aisle or a shelf is written like a code with its dot (A01.2): under a name
        # that says it is a place in a store or a warehouse, it is one.
        return dotted.group(1) + dotted.group(2) in codes and any(
            LOCATION_WORDS.isdisjoint(words) for words in contexts
        )
    if _DOTLESS.match(upper):
        return upper in codes and any(
            unless.isdisjoint(words)
            and (
                not DIAGNOSIS_WORDS.isdisjoint(words)
                or not (CODE_WORDS.isdisjoint(words) or CARE_WORDS.isdisjoint(words))
            )
            for words in contexts
        )
    if any(found.group(1) in codes for found in _DX_CODE_IN_TEXT.finditer(upper)):
        return True
    return any(
        found.group(1) + found.group(2) in codes and not _glued(upper, found.start(), found.end())
        for found in _DOTTED_IN_TEXT.finditer(upper)
    )


def _glued(text: str, start: int, end: int) -> bool:
    """Whether a code found in a text is only part of a longer identifier (an order id E11.9-2026,
    a version 2.E11.9): a dash, a dot, a slash or an underscore joins it to more letters or digits."""
    joins = "-./_"
    before = start >= 2 and text[start - 1] in joins and text[start - 2].isalnum()
    after = end + 1 < len(text) and text[end] in joins and text[end + 1].isalnum()
    return before or after


# The layout of a type that declares none: every name of the body is judged as a property's.
WHOLE_BODY = BodyLayout()


def check_body(
    policy: PrivacyPolicy,
    body: Mapping[str, Any],
    origins: Mapping[BodyPath, str],
    kind: str,
    sources: Mapping[str, tuple[str, ...]] | None = None,
    event_name: str = "",
    destination_title: str = "the destination",
    layout: BodyLayout = WHOLE_BODY,
) -> list[FieldError]:
    """Return an error for every name, source or value in `body` that the policy stops, on the
    field it came from, naming the rule, the event path it came from and the destination type
    (`destination_title`) it may not be sent to. `layout` (the type's) says where the body's chosen
    names, identifier names and event name are, and which values are not judged.

    `kind` is "property" (custom events) or "attribute" (user attributes). `sources` gives, for
    each field key, the paths of the event its value is read from (mapper.engine.source_paths):
    a health field renamed on its way out is stopped by where it came from. `event_name` (the
    received event's) is context for rules with "unless" words: a member id in "Loyalty Points
    Earned" is a loyalty member's.
    """
    sources = sources or {}
    event = event_name
    texts, names = _texts_and_names(body, layout.unjudged_top, layout.unjudged_inside)
    shape = tuple(names)
    name_path = layout.event_name
    name = (body.get(name_path[0]) if len(name_path) == 1 else _at(body, name_path)) if name_path else None
    # Nearly every body matches no value or word rule: one search over all its texts says so.
    # A code-shaped number (an order id 54321) is judged only where a name could make it a code.
    plain, conditioned = policy.text_rules_found(texts)
    if not plain:
        when_context = policy.quiet_names(sources, event, shape, name)
        if when_context is not None and not (conditioned and when_context):
            # Nothing but a custom identifier's name is left to judge.
            errors: list[FieldError] = []
            _check_identifier_names(policy, body, origins, event, destination_title, layout, errors)
            return errors
    errors = []
    blocked_sources = policy.blocked_sources(sources, event)
    if blocked_sources:
        for field_key in dict.fromkeys(origins.values()):
            if field_key in blocked_sources:
                path, label = blocked_sources[field_key]
                errors.append(
                    _blocked(field_key, label, f"Its value comes from “{path}”, which", path, destination_title)
                )
    stopped_by_source = len(errors)
    suspect = plain or (conditioned and policy.has_when_context(names, sources, event, shape))
    if isinstance(name, str):
        label = policy.blocked_name(name) or (policy.blocked_text(name) if suspect else None)
        if label:
            field_key = origin_of(name_path, origins) or "event_name"
            source = next(iter(sources.get(field_key, ())), "")
            if not (source and policy.exceptions and policy.is_exception(source)):
                errors.append(_blocked(field_key, label, "The event name", source, destination_title))
    named_path = layout.named
    named = body.get(named_path[0]) if len(named_path) == 1 else _at(body, named_path)
    # Names nested at any depth are among the body's names: when none is any rule's (nearly
    # always), the walk below would find nothing, and an allowlist is all that is left to judge.
    if isinstance(named, dict) and (policy.allowlist is not None or not policy.names_are_ordinary(shape)):
        _check_names(
            policy,
            named,
            named_path,
            origins,
            kind,
            errors,
            sources,
            event,
            top_level=True,
            destination_title=destination_title,
        )
    _check_identifier_names(policy, body, origins, event, destination_title, layout, errors)
    if suspect:
        _check_values(policy, body, origins, sources, errors, event, layout)
    if stopped_by_source:
        # A field stopped by where its value comes from needs no second reason.
        errors[stopped_by_source:] = [e for e in errors[stopped_by_source:] if e.field not in blocked_sources]
    return errors


def _check_identifier_names(
    policy: PrivacyPolicy,
    body: Mapping[str, Any],
    origins: Mapping[BodyPath, str],
    event: str,
    destination_title: str,
    layout: BodyLayout,
    errors: list[FieldError],
) -> None:
    """Judge the name of every custom identifier in the body's identifier lists by the name rules."""
    for list_path in layout.identifier_lists:
        identifiers: Any = body
        for part in list_path:  # bodies are built of dicts down to their lists: no type test per step
            identifiers = identifiers.get(part)
            if identifiers is None:
                break
        if not identifiers or not isinstance(identifiers, list):
            continue
        for index, item in enumerate(identifiers):
            label = policy.blocked_name(str(item.get("name", "")), (), event)
            if label:
                field_key = origin_of((*list_path, index), origins)
                errors.append(_blocked(field_key, label, f"Identifier “{item.get('name')}”", "", destination_title))


@lru_cache(maxsize=1024)
def _words_of_names(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(words_of(" ".join(names)))


@lru_cache(maxsize=1024)
def _words_of_event(event_name: str) -> frozenset[str]:
    return frozenset(words_of(event_name))


def _at(body: Mapping[str, Any], path: BodyPath) -> Any:
    """What sits at `path` in the body (names only), or None."""
    value: Any = body
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _texts_and_names(
    body: Mapping[str, Any], unjudged_top: frozenset[str], unjudged_inside: Mapping[str, frozenset[str]]
) -> tuple[list[str], list[str]]:
    """Every text of the body that the value and word rules judge (the event name among them),
    stripped as the rules judge them, and every name of the body, at any depth. `unjudged_top` and
    `unjudged_inside` (a BodyLayout's) name the values left out."""
    names: list[str] = list(body)
    texts: list[str] = []
    stack: list[Any] = []
    keep, push, pop, name = texts.append, stack.append, stack.pop, names.extend
    for key, value in body.items():
        kind = type(value)
        if kind is str:  # most of a body's top: kept here, never pushed and popped
            if key not in unjudged_top:
                keep(value.strip())
        elif key in unjudged_inside and isinstance(value, dict):
            unjudged = unjudged_inside[key]
            name(value)
            for member_name, member in value.items():
                if member_name in unjudged:
                    continue
                if type(member) is str:
                    keep(member.strip())
                else:
                    push(member)
        elif key not in unjudged_top:
            push(value)
    while stack:
        value = pop()
        kind = type(value)  # bodies are built of exact JSON types: cheaper than isinstance
        if kind is str:
            keep(value.strip())
        elif kind is dict:
            name(value)
            for member in value.values():
                kind = type(member)
                if kind is str:
                    keep(member.strip())
                elif kind is not int and kind is not float and member is not None:  # numbers hold no text
                    push(member)
        elif kind is list:
            stack.extend(value)
        elif isinstance(value, str):
            keep(value.strip())
        elif isinstance(value, dict):
            name(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return texts, names


def _check_names(
    policy: PrivacyPolicy,
    value: Any,
    path: BodyPath,
    origins: Mapping[BodyPath, str],
    kind: str,
    errors: list[FieldError],
    sources: Mapping[str, tuple[str, ...]],
    event: str,
    *,
    top_level: bool = False,
    destination_title: str = "the destination",
) -> None:
    """Check the names of an object's members, and of every object inside it, lists included."""
    if isinstance(value, list):
        for index, member in enumerate(value):
            _check_names(
                policy,
                member,
                (*path, index),
                origins,
                kind,
                errors,
                sources,
                event,
                destination_title=destination_title,
            )
        return
    if not isinstance(value, dict):
        return
    allowlist = policy.allowlist if top_level else None
    known = policy._name_verdicts.get  # nearly every name was judged before, and is no rule's
    for name, member in value.items():
        if allowlist is not None and name not in allowlist:
            errors.append(
                FieldError(
                    origin_of((*path, name), origins),
                    "not_allowlisted",
                    f"The {kind} “{name}” is not on this destination's allowlist, so it may not leave.",
                )
            )
            continue
        label = None if known(name, _UNSEEN) is None else policy.blocked_name(name, path, event, value)
        if label:
            field_key = origin_of((*path, name), origins)
            source = _name_source((*path, name), name, origins, sources.get(field_key, ()))
            if not (source and policy.exceptions and policy.is_exception(source)):
                what = f"The {kind} “{name}”" if top_level else f"The name “{name}” inside a {kind}"
                if source:
                    what += f" (from “{source}”)"
                errors.append(_blocked(field_key, label, what, source, destination_title))
                continue
        if isinstance(member, dict | list):
            _check_names(
                policy,
                member,
                (*path, name),
                origins,
                kind,
                errors,
                sources,
                event,
                destination_title=destination_title,
            )


def _name_source(path: BodyPath, name: str, origins: Mapping[BodyPath, str], field_sources: tuple[str, ...]) -> str:
    """The event path a name in the body was copied from (a whole object mapped as is), or ""
    when the name is the action's own (a row named by the marketer)."""
    for source in _leaf_sources(path, origins, field_sources):
        if source == name or source.endswith("." + name):
            return source
    return ""


def _check_values(
    policy: PrivacyPolicy,
    body: Mapping[str, Any],
    origins: Mapping[BodyPath, str],
    sources: Mapping[str, tuple[str, ...]],
    errors: list[FieldError],
    event: str,
    layout: BodyLayout,
) -> None:
    """Judge every text that would leave by the value and term rules, one by one, to name the field
    (only once the one search over them all found something)."""
    texts: list[tuple[str, BodyPath, Mapping[str, Any]]] = []
    # Each value travels with the object it sits in (a list's members with the list's): its
    # sibling names are context too (a code beside a claim_id or a visit_id is a diagnosis).
    stack: list[tuple[Any, BodyPath, Mapping[str, Any]]] = [(body, (), body)]
    unjudged, name_path = layout.unjudged_values, layout.event_name
    while stack:
        value, path, parent = stack.pop()
        if isinstance(value, dict):
            stack.extend((member, (*path, name), value) for name, member in value.items())
        elif isinstance(value, list):
            stack.extend((member, (*path, index), parent) for index, member in enumerate(value))
        elif (
            isinstance(value, str) and path not in unjudged and not (name_path and path[: len(name_path)] == name_path)
        ):
            texts.append((value, path, parent))
    judged: set[str] = set()
    for value, path, parent in texts:
        field_key = origin_of(path, origins)
        if field_key in judged:
            continue
        leaf_sources = _leaf_sources(path, origins, sources.get(field_key, ()))
        label = policy.blocked_value(value, partial(_value_contexts, path, leaf_sources, event, parent))
        if not label:
            continue
        if leaf_sources and all(policy.is_exception(source) for source in leaf_sources):
            continue
        judged.add(field_key)
        source = leaf_sources[0] if leaf_sources else ""
        errors.append(_blocked_value(field_key, label, source))


def _value_contexts(
    path: BodyPath, leaf_sources: list[str], event: str, parent: Mapping[str, Any] | None = None
) -> list[frozenset[str]]:
    """The words around a value, one set per path: where it sits in the request, and each event
    path it came from, each with the event's name and the names beside the value (its siblings)."""
    around = _words_of_event(event)
    if parent:
        around = around | _words_of_names(tuple(name for name in parent if isinstance(name, str)))
    inside = " ".join(part for part in path if isinstance(part, str))
    return [frozenset(words_of(where)) | around for where in (inside, *leaf_sources)]


def _leaf_sources(path: BodyPath, origins: Mapping[BodyPath, str], field_sources: tuple[str, ...]) -> list[str]:
    """The event paths a text at `path` in the body came from: its field's sources, followed by
    where inside them it sat (list indexes left out)."""
    for end in range(len(path), 0, -1):
        if path[:end] in origins:
            inner = ".".join(str(part) for part in path[end:] if isinstance(part, str))
            return [f"{source}.{inner}" if inner and source else source or inner for source in field_sources]
    return list(field_sources)


def _blocked(
    field_key: str, label: str, what: str, source: str = "", destination_title: str = "the destination"
) -> FieldError:
    return FieldError(
        field_key,
        "blocked_by_rule",
        f"{what} matches the privacy rule “{label}”: health information may not be sent to {destination_title}. "
        "Nothing of this request leaves.",
        source=source,
        rule=label,
    )


def _blocked_value(field_key: str, label: str, source: str) -> FieldError:
    where = f" (from “{source}”)" if source else ""
    exception = (
        f" If it is not (a product or postal code, say), an admin can add “{source}” to the exceptions in the "
        "destination's privacy rules."
        if source
        else ""
    )
    return FieldError(
        field_key,
        "blocked_by_rule",
        f"A value{where} matches the privacy rule “{label}”, so it may be health information: nothing of this "
        f"request leaves.{exception}",
        source=source,
        rule=label,
    )


@lru_cache(maxsize=256)
def _policy(
    name_rules: tuple[tuple[str, str], ...],
    value_rules: tuple[tuple[str, str], ...],
    allowlist: frozenset[str] | None,
    consent: str,
    term_rules: tuple[tuple[str, tuple[str, ...]], ...],
    exceptions: frozenset[str],
    disclosure: str,
) -> PrivacyPolicy:
    # Routing asks for a destination's policy once per action and event: compile its rules once.
    return PrivacyPolicy(name_rules, value_rules, allowlist, consent, term_rules, exceptions, disclosure)
