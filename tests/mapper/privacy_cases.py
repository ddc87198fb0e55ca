"""A labelled set for the default privacy rules: ordinary shop data that must leave, and health
information that must not. Each case is an event and how an action maps it; `bench/privacy_rules.py`
measures precision, recall and cost on it and tests/mapper/test_privacy_cases.py holds the goal.

Ordinary: Segment's e-commerce spec events, Shopify-style orders and customers, loyalty
programmes, US/Canadian/UK postal codes, coupon, SKU and model codes that look like clinical codes,
common marketing properties. Health: names, renamed values, identifiers, nested and list members,
ICD-10-CM codes with and without their dot, free text. Both groups end with the two outside testers'
held-out cases of 2026-12-06.
"""

from dataclasses import dataclass, field
from typing import Any

WHOLE_PROPERTIES = {"event_name": "event", "email": "context.traits.email", "properties": "properties"}
WHOLE_TRAITS = {"email": "traits.email", "attributes": "traits"}


@dataclass(frozen=True)
class Case:
    name: str
    event: dict[str, Any]
    health: bool
    action_type: str = "custom_event"
    mappings: dict[str, str] = field(default_factory=lambda: dict(WHOLE_PROPERTIES))


def track(event: str, properties: dict[str, Any], email: str = "jane@example.com") -> dict[str, Any]:
    return {"type": "track", "event": event, "properties": properties, "context": {"traits": {"email": email}}}


def identify(traits: dict[str, Any]) -> dict[str, Any]:
    return {"type": "identify", "userId": "u-1001", "traits": {"email": "sam@example.com", **traits}}


# Products as shops describe them: model codes and SKUs that are shaped like ICD-10 codes (T800,
# X100, M32, A15, F150 are real codes' shapes, several real codes) among ordinary ones.
PRODUCTS = [
    {"product_id": "507f1f77", "sku": "G-32", "name": "Monopoly: 3rd Edition", "price": 19.0, "brand": "Hasbro"},
    {"product_id": "p-8812", "sku": "T800", "name": "Terminator T800 Figure", "price": 34.99, "brand": "NECA"},
    {"product_id": "sam-a15", "sku": "SM-A155F", "name": "Galaxy A15", "model": "A15", "price": 199.0},
    {"product_id": "fuji-x100", "sku": "X100", "name": "Fujifilm X100VI", "model": "X100", "price": 1599.0},
    {"product_id": "m32-case", "sku": "M32", "name": "Galaxy M32 Case", "model": "M32", "price": 12.5},
    {"product_id": "mat-f150", "sku": "F150-MAT", "name": "F150 Floor Mats", "model": "F150", "price": 89.0},
    {"product_id": "b20-bulb", "sku": "B20", "name": "B20 Candle Bulb 4-pack", "price": 7.99},
    {"product_id": "z3a-lens", "sku": "Z3A", "name": "Z3A Zoom Lens Cap", "price": 9.0},
    {"product_id": "e119-hose", "sku": "E119", "name": "Garden Hose E119", "price": 24.0},
    {"product_id": "k20-kb", "sku": "K20", "name": "K20 Mechanical Keyboard", "price": 79.0, "variant": "Brown"},
    {"product_id": "j45-hp", "sku": "J45", "name": "J45 Headphones", "price": 59.0, "variant": "Black"},
    {"product_id": "r10-rb", "sku": "R10", "name": "R10 Road Bike Tube", "price": 8.5},
    {"product_id": "tee-001", "sku": "TS-RED-M", "name": "Crew Tee", "price": 18.0, "variant": "Red / M"},
    {"product_id": "mug-77", "sku": "MUG-77", "name": "Stoneware Mug", "price": 14.0, "category": "Kitchen"},
    {"product_id": "c3a-sock", "sku": "C3A1B9", "name": "Wool Socks 3-pack", "price": 21.0},
    {"product_id": "h1-lamp", "sku": "H1", "name": "Halogen H1 Headlight Bulb", "price": 11.0},
    {"product_id": "p30-pan", "sku": "P30", "name": "P30 Saute Pan", "price": 45.0, "category": "Cookware"},
    {"product_id": "s22-film", "sku": "S22-FILM", "name": "Screen Protector S22", "price": 9.99},
    {"product_id": "n95-lite", "sku": "N95L", "name": "LED Desk Lamp N95L", "price": 39.0},
    {"product_id": "a320-kit", "sku": "A320", "name": "A320 Model Airplane Kit", "price": 64.0},
]
COUPONS = [
    "B20OFF", "C3A1B9", "F150", "SAVE10", "WELCOME15", "A15", "M32", "X100", "T800", "FREESHIP",
    "SPRING24", "Z10", "E11", "J20OFF", "VIP25", "K1A", "L30", "BF2025", "D50", "R2D2",
]  # fmt: skip
US_ZIPS = ["94612", "10001", "60614", "02139", "73301", "98101", "33139", "80202", "30303", "85004"]
CA_POSTAL = ["K1A0B1", "K1A 0B1", "M5V 3L9", "H2X1Y4", "V6B 4Y8", "T2P 2M5", "E1C 4H3", "B3H1X5"]
UK_POSTCODES = ["E14", "E14 5AB", "SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "W1A 0AX", "EC1A 1BB"]
CITIES = [("Oakland", "CA", "US"), ("Ottawa", "ON", "CA"), ("London", "", "GB"), ("Chicago", "IL", "US")]


def _product(index: int, quantity: int = 1, position: int | None = None) -> dict[str, Any]:
    product = {**PRODUCTS[index % len(PRODUCTS)], "quantity": quantity, "currency": "USD"}
    if position is not None:
        product["position"] = position
    return product


def segment_spec_cases() -> list[Case]:
    """Segment's e-commerce spec, event by event, with the products above."""
    cases = []
    for index, query in enumerate(["blue hotpants", "galaxy a15 case", "x100 lens hood", "f150 mats", "t800"]):
        cases.append(Case(f"Products Searched {index}", track("Products Searched", {"query": query}), False))
    for index in range(8):
        products = [_product(index + offset, position=offset + 1) for offset in range(3)]
        properties = {"list_id": f"list-{index}", "category": "Deals", "products": products}
        cases.append(Case(f"Product List Viewed {index}", track("Product List Viewed", properties), False))
    for index in range(6):
        properties = {
            "list_id": "hot_deals_1",
            "category": "Deals",
            "filters": [{"type": "department", "value": "beauty"}, {"type": "price", "value": "under-$25"}],
            "sorts": [{"type": "price", "value": "desc"}],
            "products": [_product(index), _product(index + 5)],
        }
        cases.append(Case(f"Product List Filtered {index}", track("Product List Filtered", properties), False))
    for event in ("Product Clicked", "Product Viewed", "Product Added", "Product Removed"):
        for index in range(len(PRODUCTS)):
            properties = {**_product(index, quantity=1 + index % 3), "url": f"https://shop.example.com/p/{index}"}
            properties["image_url"] = f"https://cdn.example.com/p/{index}.jpg"
            if event == "Product Added":
                properties["cart_id"] = f"skdjsidjsdkdj29j{index}"
            cases.append(Case(f"{event} {PRODUCTS[index]['sku']}", track(event, properties), False))
    for index in range(6):
        properties = {"cart_id": f"cart-{index}", "products": [_product(index), _product(index + 7, 2)]}
        cases.append(Case(f"Cart Viewed {index}", track("Cart Viewed", properties), False))
    for index in range(10):
        properties = {
            "order_id": f"50314b8e9bcf00000000000{index}",
            "affiliation": "Google Store",
            "value": 30 + index,
            "revenue": 25.0 + index,
            "shipping": 3,
            "tax": 2,
            "discount": 2.5,
            "coupon": COUPONS[index],
            "currency": "USD",
            "products": [_product(index), _product(index + 10, 2)],
        }
        cases.append(Case(f"Checkout Started {index}", track("Checkout Started", properties), False))
        completed = {**properties, "checkout_id": f"fksdjfsdjfisjf9sdfjsd9f{index}", "total": 27.5 + index}
        cases.append(Case(f"Order Completed {index}", track("Order Completed", completed), False))
    for step, (method, payment) in enumerate([("Fedex", "Visa"), ("UPS", "PayPal"), ("USPS", "Apple Pay")], 1):
        properties = {"checkout_id": "50314b8e9bcf", "step": step, "shipping_method": method, "payment_method": payment}
        cases.append(Case(f"Checkout Step Viewed {step}", track("Checkout Step Viewed", properties), False))
        cases.append(Case(f"Checkout Step Completed {step}", track("Checkout Step Completed", properties), False))
        cases.append(Case(f"Payment Info Entered {step}", track("Payment Info Entered", properties), False))
    for index, coupon in enumerate(COUPONS):
        base = {"order_id": f"ord-{index}", "cart_id": f"cart-{index}", "coupon_id": coupon}
        event = ("Coupon Entered", "Coupon Applied", "Coupon Denied", "Coupon Removed")[index % 4]
        properties = {**base, "coupon_name": f"{coupon} promotion", "discount": 5 + index}
        if event == "Coupon Denied":
            properties["reason"] = "Coupon expired"
        cases.append(Case(f"{event} {coupon}", track(event, properties), False))
    for index in range(5):
        refunded = {"order_id": f"ord-{index}", "total": 30.0, "currency": "USD", "products": [_product(index)]}
        cases.append(Case(f"Order Refunded {index}", track("Order Refunded", refunded), False))
        cases.append(Case(f"Order Cancelled {index}", track("Order Cancelled", {**refunded, "reason": "late"}), False))
    for index, via in enumerate(["email", "sms", "twitter"]):
        shared = {
            **_product(index + 2),
            "share_via": via,
            "share_message": "Hey, check out this item",
            "recipient": "friend@example.com",
        }
        cases.append(Case(f"Product Shared {via}", track("Product Shared", shared), False))
        review = {
            "product_id": PRODUCTS[index]["product_id"],
            "review_id": f"kdfjrj39fj{index}",
            "review_body": "Great fit, ships fast",
            "rating": 5 - index,
        }
        cases.append(Case(f"Product Reviewed {index}", track("Product Reviewed", review), False))
        wish = {"wishlist_id": "skdjsidjsdkdj29j", "wishlist_name": "Loved Games", **_product(index + 4)}
        cases.append(Case(f"Product Added to Wishlist {index}", track("Product Added to Wishlist", wish), False))
    for index, (promo, creative) in enumerate([("promo_1", "top_banner_2"), ("B20", "hero"), ("X100", "side")]):
        properties = {
            "promotion_id": promo,
            "creative": creative,
            "name": "75% store-wide shoe sale",
            "position": "home_banner_top",
        }
        cases.append(Case(f"Promotion Viewed {index}", track("Promotion Viewed", properties), False))
        cases.append(Case(f"Promotion Clicked {index}", track("Promotion Clicked", properties), False))
    return cases


def shopify_cases() -> list[Case]:
    """Orders and customers as Shopify's webhooks send them (a subset of their fields)."""
    cases = []
    for index in range(15):
        city, province, country = CITIES[index % len(CITIES)]
        postal = {"US": US_ZIPS, "CA": CA_POSTAL, "GB": UK_POSTCODES}[country][index % 8]
        code = COUPONS[(index * 3) % len(COUPONS)]
        order = {
            "name": f"#{1001 + index}",
            "order_number": 1001 + index,
            "financial_status": ("paid", "pending", "refunded")[index % 3],
            "fulfillment_status": ("fulfilled", None, "partial")[index % 3],
            "currency": "CAD" if country == "CA" else "USD",
            "total_price": f"{40 + index}.00",
            "discount_codes": [{"code": code, "amount": "10.00", "type": "percentage"}],
            "shipping_lines": [
                {"code": ("Standard", "F150", "EXPRESS")[index % 3], "price": "5.00", "title": "Standard"}
            ],
            "line_items": [
                {
                    "sku": PRODUCTS[index % 20]["sku"],
                    "title": PRODUCTS[index % 20]["name"],
                    "quantity": 1,
                    "vendor": "Acme",
                    "variant_title": "M32" if index % 4 == 0 else "Default",
                },
            ],
            "shipping_address": {"city": city, "province_code": province, "zip": postal, "country_code": country},
            "tags": "vip, wholesale" if index % 2 else "",
            "note": "Leave at the back door" if index % 5 == 0 else "",
            "source_name": "web",
            "shipping_insurance": index % 2 == 0,
            "gateway": "shopify_payments",
        }
        cases.append(Case(f"Shopify order {index}", track("Order Paid", order), False))
    for index in range(12):
        city, province, country = CITIES[(index + 1) % len(CITIES)]
        postal = {"US": US_ZIPS, "CA": CA_POSTAL, "GB": UK_POSTCODES}[country][index % 8]
        traits = {
            "first_name": ("Ana", "Ben", "Chloe", "Dev")[index % 4],
            "orders_count": index,
            "total_spent": f"{index * 37}.50",
            "accepts_marketing": index % 2 == 0,
            "tags": "loyalty, newsletter",
            "state": "enabled",
            "default_address": {"city": city, "province_code": province, "zip": postal, "country_code": country},
        }
        cases.append(Case(f"Shopify customer {index}", identify(traits), False, "user_attributes", dict(WHOLE_TRAITS)))
    return cases


def loyalty_cases() -> list[Case]:
    cases = []
    for index in range(8):
        member = f"LM-{88120 + index}"
        cases.append(
            Case(
                f"Points Earned {index}",
                track(
                    "Loyalty Points Earned",
                    {"member_id": member, "points": 120 + index, "balance": 900, "tier": "Gold"},
                ),
                False,
            )
        )
        cases.append(
            Case(
                f"Reward Redeemed {index}",
                track(
                    "Reward Redeemed",
                    {
                        "memberId": member,
                        "reward_id": f"rw-{index}",
                        "reward_name": "Free shipping",
                        "points_spent": 500,
                    },
                ),
                False,
            )
        )
        cases.append(
            Case(
                f"Tier Changed {index}",
                track(
                    "Tier Changed",
                    {"member_id": member, "old_tier": "Silver", "new_tier": "Gold", "member_since": "2021-04-02"},
                ),
                False,
            )
        )
    for index in range(6):
        loyalty = {
            "loyalty": {"member_id": f"M{4400 + index}", "member_number": f"00{index}99", "program": "Acme Rewards"}
        }
        cases.append(
            Case(
                f"Order with loyalty {index}",
                track("Order Completed", {"order_id": f"o-{index}", **loyalty, "total": 42}),
                False,
            )
        )
        traits = {"loyalty_member_id": f"LY{index}77", "rewards_tier": "Platinum", "points_balance": 3200 + index}
        cases.append(Case(f"Loyalty traits {index}", identify(traits), False, "user_attributes", dict(WHOLE_TRAITS)))
    return cases


def postal_cases() -> list[Case]:
    cases = []
    for zip_code in US_ZIPS:
        cases.append(
            Case(
                f"US zip {zip_code}",
                identify({"address": {"postal_code": zip_code, "country": "US"}}),
                False,
                "user_attributes",
                dict(WHOLE_TRAITS),
            )
        )
    for postal in CA_POSTAL:
        cases.append(
            Case(f"CA postal {postal}", track("Store Located", {"postal_code": postal, "store_id": "ott-12"}), False)
        )
    for postcode in UK_POSTCODES:
        cases.append(
            Case(
                f"UK postcode {postcode}",
                identify({"postcode": postcode, "country": "GB"}),
                False,
                "user_attributes",
                dict(WHOLE_TRAITS),
            )
        )
        cases.append(
            Case(
                f"UK district {postcode}",
                track("Delivery Slot Booked", {"postcode_district": postcode.split()[0], "slot": "18:00-20:00"}),
                False,
            )
        )
    return cases


def code_cases() -> list[Case]:
    """Coupon, SKU and model codes under the names shops give them, renamed on their way out too."""
    cases = []
    for coupon in COUPONS:
        cases.append(
            Case(f"coupon_code {coupon}", track("Checkout Started", {"coupon_code": coupon, "cart_total": 50}), False)
        )
        cases.append(Case(f"promo_code {coupon}", track("Promo Code Used", {"promo_code": coupon}), False))
    for product in PRODUCTS:
        cases.append(
            Case(
                f"renamed sku {product['sku']}",
                track("Back In Stock", {"sku": product["sku"], "title": product["name"]}),
                False,
                mappings={
                    "event_name": "event",
                    "email": "context.traits.email",
                    "properties.SKU": "properties.sku",
                    "properties.Product": "properties.title",
                },
            )
        )
    for model in ["T800", "X100", "M32", "A15", "F150", "B20", "Z3A", "E119", "J45", "K20"]:
        cases.append(Case(f"model {model}", track("Product Viewed", {"model": model, "brand": "Acme"}), False))
        cases.append(Case(f"variant {model}", track("Variant Selected", {"product_id": "p1", "variant": model}), False))
        cases.append(
            Case(f"product_code {model}", track("Price Alert Set", {"product_code": model, "target_price": 99}), False)
        )
    for index, channel in enumerate(["B2B", "B2C", "D2C", "POS", "WEB"]):
        cases.append(
            Case(
                f"sales channel {channel}",
                track("Order Completed", {"order_id": f"o-{index}", "sales_channel": channel}),
                False,
            )
        )
    cases.append(
        Case("gift card code", track("Gift Card Purchased", {"gift_card": {"code": "X100", "amount": 50}}), False)
    )
    cases.append(Case("referral code", track("Referral Sent", {"referral_code": "A15", "channel": "sms"}), False))
    cases.append(
        Case(
            "country and currency",
            track("Locale Changed", {"country_code": "GB", "currency_code": "GBP", "language": "en"}),
            False,
        )
    )
    return cases


def marketing_cases() -> list[Case]:
    cases = []
    for index, (source, medium, campaign) in enumerate(
        [
            ("google", "cpc", "spring_sale"),
            ("facebook", "paid_social", "B20OFF"),
            ("newsletter", "email", "t800-launch"),
            ("tiktok", "video", "x100_reveal"),
            ("partner", "affiliate", "F150"),
        ]
    ):
        page = {
            "utm_source": source,
            "utm_medium": medium,
            "utm_campaign": campaign,
            "url": f"https://shop.example.com/?c={index}",
            "referrer": "https://www.google.com/",
            "title": "Spring Sale",
        }
        cases.append(Case(f"utm {campaign}", track("Landing Page Viewed", page), False))
    for test, variant, result in [
        ("checkout_button", "B", "converted"),
        ("hero_copy", "A", "bounced"),
        ("price_display", "control", "converted"),
    ]:
        cases.append(
            Case(
                f"ab test {test}",
                track("Experiment Viewed", {"experiment_name": test, "variant": variant, "ab_test_result": result}),
                False,
            )
        )
    extras = [
        ("Newsletter Signup", {"list": "weekly", "source": "footer", "consent": True}),
        ("Back In Stock Requested", {"sku": "M32", "channel": "sms"}),
        ("Store Visit", {"store_id": "X100", "visit_reason": "pickup", "staff_member": "Jo"}),
        (
            "Return Requested",
            {"order_id": "o-9", "return_reason": "too small", "item_condition": "like new", "return_policy": "30 days"},
        ),
        (
            "Warranty Registered",
            {"serial_number": "SN-44821", "purchase_date": "2025-03-02", "product_condition": "new"},
        ),
        ("Shipping Protection Added", {"shipping_insurance": 2.98, "package_protection": True, "carrier": "UPS"}),
        (
            "Subscription Renewed",
            {"plan": "Coffee Club", "interval": "monthly", "plan_id": "cc-12", "member_id": "C-771"},
        ),
        (
            "Appointment Booked",
            {
                "service": "Haircut",
                "stylist": "Maya",
                "location": "Downtown",
                "appointment_time": "2025-05-01T10:00:00Z",
            },
        ),
        ("Page Viewed", {"path": "/pages/returns", "title": "Return policy", "referrer": ""}),
        ("Quiz Completed", {"quiz": "skin type", "result": "combination", "recommended_sku": "A15"}),
        ("Listing Viewed", {"listing_id": "l-3", "condition": "used - good", "price": 120}),
        ("Product Viewed", {"product_id": "bk-1", "name": "Surfing Guide", "condition": "refurbished"}),
        ("Trade-in Quoted", {"device": "Galaxy A15", "device_condition": "cracked screen", "quote": 40}),
        ("Order Completed", {"order_id": "o-31", "payer_email": "buyer@example.com", "payer_id": "PAYERID42"}),
        ("Store Pickup Ready", {"store": "Oakland", "pickup_code": "E119", "order_id": "o-5"}),
        ("Tracking Updated", {"tracking_code": "1Z999AA10123456784", "carrier_code": "T80", "status": "in transit"}),
        ("Confirmation Sent", {"confirmation_code": "Z3A", "booking_ref": "ABC123"}),
        ("Error Shown", {"error_code": "B20", "page": "/checkout"}),
        ("Size Guide Viewed", {"size_code": "M32", "fit": "slim"}),
    ]
    for event, properties in extras:
        cases.append(Case(f"{event}: {', '.join(properties)}", track(event, properties), False))
    return cases


def ordinary_cases() -> list[Case]:
    return [
        *segment_spec_cases(),
        *shopify_cases(),
        *loyalty_cases(),
        *postal_cases(),
        *code_cases(),
        *marketing_cases(),
        *outside_tester_cases(health=False),
        *second_outside_tester_cases(health=False),
    ]


# Health information, as it arrives at a health brand.
HEALTH_NAMES = [
    ("diagnosis", "Type 2 diabetes"),
    ("diagnosis_code", "E11.9"),
    ("medication", "metformin 500 mg"),
    ("medications", ["lisinopril", "atorvastatin"]),
    ("prescription_id", "RX-88211"),
    ("rx_number", "6012345"),
    ("dosage", "20 mg"),
    ("treatment_plan", "physical therapy twice a week"),
    ("procedure", "colonoscopy"),
    ("surgery_date", "2025-02-11"),
    ("symptoms", "chest pain"),
    ("allergies", ["penicillin"]),
    ("condition", "asthma"),
    ("medical_condition", "hypertension"),
    ("pre_existing_conditions", "none"),
    ("insurance_provider", "Aetna"),
    ("insurance_member_id", "W123456789"),
    ("insuranceMemberId", "W987654321"),
    ("insurance_group_number", "GRP-7781"),
    ("policy_number", "PN-55123"),
    ("memberId", "MBR-0091"),
    ("medicaid_id", "MC-22119"),
    ("lab_result", "positive"),
    ("test_results", "A1C 7.2"),
    ("icd10", "F32.9"),
    ("cpt_code", "99213"),
    ("patient_id", "P-10021"),
    ("mrn", "0043321"),
    ("health_history", "smoker"),
    ("pregnancy_status", "second trimester"),
    ("hiv_status", "negative"),
    ("mental_health_notes", "anxious"),
    ("disease", "Crohn's"),
    ("copay", 25),
]
HEALTH_EVENTS = [
    "Appointment Booked",
    "Visit Completed",
    "Refill Requested",
    "Intake Form Submitted",
    "Telehealth Visit Started",
]
ICD_WITH_DOT = [
    "E11.9",
    "F32.9",
    "J45.909",
    "I10.",
    "B20.",
    "Z34.00",
    "O09.91",
    "F41.1",
    "M54.5",
    "C50.911",
    "N18.3",
    "K21.9",
    "G43.909",
    "F90.0",
    "E66.9",
    "Z3A.20",
    "T80.0XXA",
    "A15.0",
    "F10.20",
    "R51.9",
]
ICD_WITHOUT_DOT = [
    "E119",
    "F329",
    "J45909",
    "I10",
    "B20",
    "Z3400",
    "F411",
    "M545",
    "C50911",
    "N183",
    "K219",
    "G43909",
    "F900",
    "E669",
    "Z3A20",
    "T800XXA",
    "A150",
    "F1020",
    "R519",
    "M32",
]
CODE_NAMES = [
    "code",
    "dx",
    "dx_code",
    "icd",
    "diagnosis_codes",
    "primaryDx",
    "icd10_code",
    "reason_code",
    "codes",
    "claim_code",
]
FREE_TEXT = [
    "Patient is HIV positive",
    "Diagnosed with depression last spring",
    "tested positive for hepatitis C",
    "Started chemo on Monday",
    "Refill of Ozempic approved",
    "Her IVF cycle starts next week",
    "follow up on the biopsy",
    "Dx: E11.9, review in 3 months",
    "Asthma action plan updated",
    "Needs a new insulin pen",
    "Prescription for sertraline sent to pharmacy",
    "Pregnancy test booked",
    "Lab result ready: see portal",
    "Suboxone maintenance visit",
    "Sleep study shows sleep apnea; code G47.33",
    "Seen for anxiety disorder",
    "discuss ADHD medication options",
    "Chlamydia screening due",
    "Dementia care plan review",
    "Mammogram flagged for biopsy",
]


def health_cases() -> list[Case]:
    cases = []
    for index, (name, value) in enumerate(HEALTH_NAMES):
        event = HEALTH_EVENTS[index % len(HEALTH_EVENTS)]
        cases.append(Case(f"name {name}", track(event, {name: value, "clinic": "Downtown"}), True))
        cases.append(Case(f"nested {name}", track(event, {"visit": {"id": f"v-{index}", name: value}}), True))
        cases.append(
            Case(
                f"list member {name}",
                track("Refill Shipped", {"order_id": "o-1", "items": [{"sku": "A1", name: value}]}),
                True,
            )
        )
        cases.append(
            Case(
                f"renamed {name}",
                track(event, {name: value}),
                True,
                mappings={
                    "event_name": "event",
                    "email": "context.traits.email",
                    "properties.Note": f"properties.{name}",
                },
            )
        )
    for index, name in enumerate(["diagnosis", "patient_id", "insurance_member_id", "mrn", "prescription_id"]):
        cases.append(
            Case(
                f"identifier from {name}",
                track("Visit Completed", {name: f"ID-{index}"}),
                True,
                mappings={"event_name": "event", "email": "context.traits.email", "external_id": f"properties.{name}"},
            )
        )
        cases.append(
            Case(
                f"custom identifier {name}",
                track("Visit Completed", {"value": f"ID-{index}"}),
                True,
                mappings={
                    "event_name": "event",
                    "email": "context.traits.email",
                    f"custom_identifiers.{name}": "properties.value",
                },
            )
        )
        cases.append(
            Case(f"attribute {name}", identify({name: f"ID-{index}"}), True, "user_attributes", dict(WHOLE_TRAITS))
        )
    for index, code in enumerate(ICD_WITH_DOT):
        name = ("note", "value", "reason", "detail", "code")[index % 5]
        cases.append(Case(f"dotted {code} in {name}", track(HEALTH_EVENTS[index % 5], {name: code}), True))
    for index, code in enumerate(ICD_WITHOUT_DOT):
        name = CODE_NAMES[index % len(CODE_NAMES)]
        cases.append(Case(f"dotless {code} under {name}", track(HEALTH_EVENTS[index % 5], {name: code}), True))
        cases.append(
            Case(
                f"dotless {code} in a list of codes",
                track("Claim Submitted", {"claim": {"codes": [code, "Z00.00"]}}),
                True,
            )
        )
    for index, text in enumerate(FREE_TEXT):
        name = ("note", "message", "comment", "description")[index % 4]
        cases.append(Case(f"free text {index}", track("Message Sent", {name: text}), True))
    cases.append(Case("event name", track("Prescription Refilled", {"order_id": "o-1"}), True))
    cases.append(Case("event name with a word", track("HIV Test Booked", {"slot": "09:00"}), True))
    return [*cases, *outside_tester_cases(health=True), *second_outside_tester_cases(health=True)]


# The outside tester's cases, 2026-12-06: a held-out set written through the preview API (a
# custom_event action mapping properties as a whole, a new destination's default rules), first
# blind, then aimed at the rules' weak spots. (event name, properties) each; kept as they came.
OUTSIDE_ORDINARY_BLIND = [
    ("Coupon Applied", {"coupon": "SAVE20"}),
    ("Coupon Applied", {"coupon_id": "B20OFF"}),
    ("Coupon Applied", {"coupon": "F150"}),
    ("Coupon Applied", {"promo_code": "X7K2Q9"}),
    ("Coupon Applied", {"discount_code": "C3A1B9"}),
    ("Order Completed", {"coupon": "J45"}),
    ("Order Completed", {"promo": "E119"}),
    ("Checkout Started", {"voucher": "F32"}),
    ("Checkout Started", {"discount_codes": [{"code": "K21", "amount": "10.00", "type": "percentage"}]}),
    ("Order Completed", {"discount": {"code": "M54", "value": 5}}),
    ("Coupon Entered", {"coupon_name": "SUMMER-Z00"}),
    ("Coupon Removed", {"coupon_id": "A01", "reason": "expired"}),
    ("Gift Card Redeemed", {"gift_card_code": "G93X4"}),
    ("Referral Sent", {"referral_code": "R05"}),
    ("Order Completed", {"promotion_id": "PROMO_E66"}),
    (
        "Promotion Clicked",
        {"promotion_id": "spring_sale", "creative": "banner_top", "name": "Spring Sale", "position": "home_hero"},
    ),
    ("Product Viewed", {"sku": "T800"}),
    ("Product Viewed", {"model": "X100"}),
    ("Product Viewed", {"model_number": "M32"}),
    ("Product Viewed", {"sku": "A15"}),
    ("Product Viewed", {"model": "RTX4090"}),
    ("Product Viewed", {"model": "E14"}),
    ("Product Added", {"product_id": "J45909"}),
    ("Product Added", {"variant": "S20"}),
    ("Product Added", {"sku": "R10-BLK-M"}),
    ("Product Viewed", {"mpn": "C50"}),
    ("Product Viewed", {"upc": "012345678905"}),
    ("Product Viewed", {"style_code": "F41"}),
    ("Product Viewed", {"size": "L"}),
    ("Product Viewed", {"color": "Midnight Blue"}),
    ("Product Viewed", {"model": "Galaxy S23 Ultra"}),
    ("Product Viewed", {"serial_number": "SN-Z79-44821"}),
    ("Product Viewed", {"barcode": "4006381333931"}),
    ("Order Completed", {"sales_channel": "B2B"}),
    ("Order Completed", {"channel": "B2C"}),
    ("Order Completed", {"source_name": "pos"}),
    ("Order Completed", {"affiliation": "Google Store"}),
    ("Address Updated", {"zip": "94107"}),
    ("Address Updated", {"zip_code": "10001-1234"}),
    ("Address Updated", {"postal_code": "K1A0B1"}),
    ("Address Updated", {"postal_code": "M5V 3L9"}),
    ("Address Updated", {"postcode": "E14 5AB"}),
    ("Address Updated", {"postcode": "SW1A 1AA"}),
    (
        "Address Updated",
        {
            "shipping_address": {
                "address1": "1 Main St",
                "city": "Toronto",
                "province": "ON",
                "zip": "H2X1Y4",
                "country": "CA",
            }
        },
    ),
    ("Address Updated", {"billing_address": {"zip": "B3H 4R2", "country_code": "CA"}}),
    ("Store Selected", {"store_postcode": "N1 9GU"}),
    ("Address Updated", {"district": "E14"}),
    ("Address Updated", {"postcode_district": "M32"}),
    ("Order Shipped", {"order_id": "54321"}),
    ("Order Shipped", {"order_number": "#1001"}),
    ("Order Shipped", {"tracking_number": "1Z999AA10123456784"}),
    ("Order Shipped", {"tracking_number": "9400111899223817462917"}),
    ("Order Shipped", {"carrier": "UPS", "service": "Ground"}),
    ("Order Shipped", {"tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784"}),
    ("Order Shipped", {"shipment_id": "SHP-F11-002"}),
    ("Order Shipped", {"confirmation_code": "Z87QXT"}),
    ("Order Delivered", {"delivered_at": "2026-12-01T10:00:00Z"}),
    ("Order Refunded", {"refund_id": "re_3NkQ"}),
    ("Order Refunded", {"return_reason": "too small"}),
    (
        "Order Completed",
        {
            "checkout_id": "fksdjfsdjfisjf9sdfjsd9f",
            "order_id": "50314b8e9bcf000000000000",
            "affiliation": "Google Store",
            "total": 27.5,
            "subtotal": 22.5,
            "revenue": 25.0,
            "shipping": 3,
            "tax": 2,
            "discount": 2.5,
            "coupon": "hasbros",
            "currency": "USD",
        },
    ),
    (
        "Order Completed",
        {
            "products": [
                {
                    "product_id": "507f1f77bcf86cd799439011",
                    "sku": "45790-32",
                    "name": "Monopoly: 3rd Edition",
                    "price": 19,
                    "quantity": 1,
                    "category": "Games",
                    "url": "https://www.example.com/product/path",
                    "image_url": "https://www.example.com/product/path.jpg",
                }
            ]
        },
    ),
    (
        "Product Viewed",
        {
            "product_id": "507f1f77bcf86cd799439011",
            "sku": "G-32",
            "category": "Games",
            "name": "Monopoly: 3rd Edition",
            "brand": "Hasbro",
            "variant": "200 pieces",
            "price": 18.99,
            "quantity": 1,
            "coupon": "MAYDEALS",
            "currency": "usd",
            "position": 3,
            "value": 18.99,
        },
    ),
    (
        "Product List Viewed",
        {
            "list_id": "hot_deals_1",
            "category": "Deals",
            "products": [
                {
                    "product_id": "507f1f77",
                    "sku": "45790-32",
                    "name": "Monopoly",
                    "price": 19,
                    "position": 1,
                    "category": "Games",
                }
            ],
        },
    ),
    (
        "Product List Filtered",
        {
            "list_id": "todays_deals_may_11_2016",
            "filters": [{"type": "department", "value": "beauty"}, {"type": "price", "value": "under-$25"}],
            "sorts": [{"type": "price", "value": "desc"}],
        },
    ),
    ("Products Searched", {"query": "blue roses"}),
    (
        "Cart Viewed",
        {
            "cart_id": "skdjsidjsdkdj29j",
            "products": [
                {
                    "product_id": "507f1f77bcf86cd799439011",
                    "sku": "45790-32",
                    "name": "Monopoly: 3rd Edition",
                    "price": 19,
                    "quantity": 1,
                }
            ],
        },
    ),
    (
        "Checkout Step Completed",
        {"checkout_id": "50314b8e9bcf000000000000", "step": 2, "shipping_method": "Fedex", "payment_method": "Visa"},
    ),
    (
        "Payment Info Entered",
        {
            "checkout_id": "39f39fj39f3jf93fj9fj39fj3f",
            "order_id": "dkfsjidfjsdifsdfksdjfkdsfjsdfkdsf",
            "payment_method": "Mastercard",
        },
    ),
    (
        "Product Reviewed",
        {
            "product_id": "507f1f77bcf86cd799439011",
            "review_id": "kdfjrj39fj39jf3",
            "review_body": "I love this product, fits great",
            "rating": "5",
        },
    ),
    (
        "Product Shared",
        {
            "share_via": "email",
            "share_message": "Hey, check out this item",
            "recipient": "friend@example.com",
            "product_id": "507f1f77bcf86cd799439011",
        },
    ),
    (
        "Wishlist Product Added to Cart",
        {"wishlist_id": "skdjsidjsdkdj29j", "wishlist_name": "Loved Games", "product_id": "507f1f77bcf86cd799439011"},
    ),
    ("Order Completed", {"tax": 2.35, "shipping": 4.99, "revenue": 56.2, "currency": "CAD"}),
    ("Product Clicked", {"brand": "Nike", "category": "Footwear", "name": "Running Shoes", "variant": "Men 10.5"}),
    ("Product Viewed", {"category": "Health & Beauty", "name": "Vitamin C Serum", "brand": "The Ordinary"}),
    ("Product Viewed", {"name": "Hand Sanitizer 8oz", "category": "Personal Care"}),
    ("Product Viewed", {"name": "Digital Thermometer", "category": "Household"}),
    ("Product Viewed", {"name": "Yoga Mat", "category": "Fitness"}),
    ("Product Viewed", {"name": "Protein Powder Chocolate 2lb", "category": "Nutrition"}),
    (
        "Order Created",
        {
            "id": 450789469,
            "name": "#1001",
            "financial_status": "paid",
            "fulfillment_status": "fulfilled",
            "total_price": "598.94",
            "currency": "USD",
            "tags": "imported, vip",
            "note": "Please leave at the back door",
            "source_name": "web",
        },
    ),
    (
        "Order Created",
        {
            "line_items": [
                {
                    "id": 466157049,
                    "title": "IPod Nano - 8gb",
                    "variant_title": "green",
                    "sku": "IPOD2008GREEN",
                    "vendor": "Apple",
                    "quantity": 1,
                    "price": "199.00",
                    "requires_shipping": True,
                    "gift_card": False,
                }
            ]
        },
    ),
    (
        "Order Created",
        {
            "shipping_lines": [
                {"code": "INT.TP", "title": "Small Packet International Air", "price": "4.00", "source": "canada_post"}
            ]
        },
    ),
    ("Order Created", {"discount_codes": [{"code": "TENOFF", "amount": "10.00", "type": "fixed_amount"}]}),
    ("Order Created", {"tax_lines": [{"title": "HST", "rate": 0.13, "price": "13.00"}]}),
    (
        "Customer Created",
        {
            "customer": {
                "id": 207119551,
                "first_name": "Bob",
                "last_name": "Norman",
                "orders_count": 1,
                "state": "enabled",
                "total_spent": "199.65",
                "tags": "loyal",
                "verified_email": True,
                "accepts_marketing": True,
            }
        },
    ),
    (
        "Customer Updated",
        {
            "default_address": {
                "address1": "Chestnut Street 92",
                "city": "Louisville",
                "province": "Kentucky",
                "country": "US",
                "zip": "40202",
                "province_code": "KY",
                "country_code": "US",
            }
        },
    ),
    (
        "Order Created",
        {
            "landing_site": "/?utm_source=newsletter",
            "referring_site": "https://www.google.com",
            "browser_ip": "216.191.105.146",
        },
    ),
    ("Order Created", {"cancel_reason": "customer", "processing_method": "direct", "gateway": "shopify_payments"}),
    (
        "Order Created",
        {"note_attributes": [{"name": "gift_wrap", "value": "yes"}, {"name": "delivery_date", "value": "2026-12-24"}]},
    ),
    (
        "Order Created",
        {"presentment_currency": "EUR", "total_discounts": "3.00", "total_tax": "11.94", "total_weight": 200},
    ),
    (
        "Fulfillment Created",
        {
            "fulfillment": {
                "tracking_company": "USPS",
                "tracking_numbers": ["9400111899223817462917"],
                "status": "success",
                "shipment_status": "in_transit",
            }
        },
    ),
    ("Loyalty Points Earned", {"member_id": "LM-448201"}),
    ("Loyalty Points Earned", {"tier": "Gold", "points": 1250}),
    ("Loyalty Tier Changed", {"loyalty": {"member_id": "99812", "tier": "Platinum", "points_balance": 5400}}),
    ("Reward Redeemed", {"loyalty_member_id": "LM-77120", "reward": "Free shipping"}),
    ("Reward Redeemed", {"rewards_member_number": "883201", "points_spent": 500}),
    ("Club Joined", {"membership_id": "VIP-2231", "membership_level": "Insider"}),
    ("Loyalty Points Earned", {"points_earned": 75, "reason": "birthday bonus"}),
    ("Profile Updated", {"member_since": "2021-03-04"}),
    ("Order Completed", {"shipping_insurance": True}),
    ("Order Completed", {"shipping_insurance_fee": "2.99"}),
    ("Product Viewed", {"item_condition": "Used - Like New"}),
    ("Product Viewed", {"condition": "refurbished"}),
    ("Order Completed", {"return_policy": "30 days"}),
    ("Order Completed", {"return_policy_id": "RP-14"}),
    ("Order Completed", {"gift_message": "Happy birthday, Mom! Love you."}),
    ("Order Completed", {"package_protection": "Route"}),
    ("Order Completed", {"protection_plan": "2-year accident protection"}),
    ("Order Completed", {"warranty": "Extended 3 year"}),
    ("Order Completed", {"travel_insurance": "declined"}),
    ("Device Registered", {"device_insurance_plan": "AppleCare+"}),
    ("Order Completed", {"payment_terms": "Net 30"}),
    ("Product Viewed", {"battery_condition": "Good"}),
    ("Product Viewed", {"care_instructions": "Machine wash cold, tumble dry low"}),
    ("Product Viewed", {"skin_type": "combination"}),
    ("Product Viewed", {"hair_treatment": "keratin smoothing"}),
    ("Appointment Booked", {"service": "Haircut & Blowout", "stylist": "Maria", "location_name": "SoHo"}),
    ("Order Completed", {"privacy_policy_version": "2024-05"}),
    ("Order Completed", {"payer_email_domain": "example.com", "payment_method": "paypal"}),
    ("Order Completed", {"weather_condition": "rain"}),
    ("Subscription Started", {"plan": "Monthly Box", "interval": "month", "price": "29.00"}),
    ("Subscription Cancelled", {"subscription_id": "sub_F32X", "plan": "Annual"}),
    ("Order Completed", {"gift_wrap": True, "gift_recipient": "Sam"}),
    ("Page Viewed", {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "bf_2026_d12"}),
    ("Email Opened", {"campaign_id": "C50", "email_subject": "Your weekend deals are here"}),
    ("Page Viewed", {"url": "https://shop.example.com/collections/running-shoes", "title": "Running Shoes | Example"}),
    ("Page Viewed", {"path": "/products/vitamin-c-serum", "referrer": "https://instagram.com"}),
    ("Experiment Viewed", {"experiment_id": "exp_123", "variant_name": "B"}),
    ("Survey Submitted", {"nps_score": 9, "comment": "Fast delivery and great packaging"}),
    ("Store Visit", {"store_id": "S014", "store_name": "Downtown", "region": "NE"}),
    ("Language Changed", {"locale": "fr-CA", "language": "French"}),
    ("Currency Changed", {"currency": "GBP"}),
    ("Flight Booked", {"flight_number": "AC101", "seat": "14C", "booking_reference": "K7Q2ZP"}),
    ("Ticket Purchased", {"section": "J45", "row": "F", "seat_number": "12"}),
    ("Hotel Booked", {"room_number": "E119", "confirmation_number": "HX-55321"}),
    ("Error Shown", {"error_code": "E404"}),
    ("App Updated", {"app_version": "3.2.1", "build": "A15"}),
    ("Product Viewed", {"dimensions": "10.5 x 3.2 x 2.1 in", "weight": "1.2 lb"}),
    ("Order Completed", {"hs_code": "6403.99"}),
    ("Order Completed", {"tax_code": "P0000000"}),
    ("Profile Updated", {"birthday": "1990-05-14", "first_name": "Ana", "city": "Austin", "state": "TX"}),
    ("Profile Updated", {"favorite_category": "Skincare", "shoe_size": "9"}),
    ("Order Completed", {"delivery_instructions": "Ring the bell twice"}),
    ("Order Completed", {"order_notes": "Please gift wrap the running shoes"}),
    ("Product Viewed", {"product_name": "Anti-Aging Night Cream", "sku": "N30-50ML"}),
    ("Product Viewed", {"product_name": "Blue Light Glasses", "sku": "H52"}),
    ("Product Viewed", {"product_name": "Posture Corrector", "category": "Wellness"}),
    ("Quiz Completed", {"style_preference": "minimalist", "budget": "under $50"}),
    ("Order Completed", {"pos_terminal": "T800", "cashier": "Jen"}),
    ("Order Completed", {"warehouse": "C64", "fulfillment_center": "RNO1"}),
    ("Product Viewed", {"item_code": "K59"}),
    ("Product Viewed", {"product_code": "E11"}),
    ("Order Completed", {"status_code": "F32"}),
    ("Product Viewed", {"ingredients": "Water, Glycerin, Niacinamide, Vitamin C"}),
    ("Review Submitted", {"review_title": "Best running shoes I've owned"}),
    ("Order Completed", {"customer_type": "returning", "orders_count": 7}),
    ("Order Completed", {"order": {"number": 1042, "total": "88.00", "coupon": {"code": "J45", "amount": 5}}}),
    ("Order Completed", {"items": [{"sku": "E11-9", "name": "Phone Case"}, {"sku": "F32", "name": "Charger"}]}),
]
OUTSIDE_HEALTH_BLIND = [
    ("Intake Completed", {"diagnosis": "type 2 diabetes"}),
    ("Intake Completed", {"diagnosis": "major depressive disorder"}),
    ("Intake Completed", {"primary_diagnosis": "asthma"}),
    ("Intake Completed", {"diagnosisCode": "J45.909"}),
    ("Intake Completed", {"dx": "F321"}),
    ("Intake Completed", {"icd_code": "E119"}),
    ("Intake Completed", {"icd10": "I10"}),
    ("Claim Submitted", {"code": "E11.9"}),
    ("Visit Completed", {"reason": "F32.1"}),
    ("Visit Completed", {"visit_code": "J45.909"}),
    ("Visit Completed", {"notes": "follow-up for E11.65 next month"}),
    ("Visit Completed", {"dx_code": "M54.5"}),
    ("Visit Completed", {"icd": "Z3A.20"}),
    ("Visit Completed", {"diagnosis_codes": ["E78.5", "I10"]}),
    ("Visit Completed", {"codes": ["F41.1"]}),
    ("Intake Completed", {"dx_primary": "G4733"}),
    ("Visit Completed", {"condition_code": "K21.9"}),
    ("Visit Completed", {"icd10_code": "N390"}),
    ("Visit Completed", {"cpt_code": "99213"}),
    ("Visit Completed", {"procedure_code": "3044F"}),
    ("Refill Requested", {"medication": "metformin 500mg"}),
    ("Refill Requested", {"medication_name": "sertraline"}),
    ("Refill Requested", {"rx_name": "Lexapro"}),
    ("Refill Requested", {"prescription": "atorvastatin 20 mg"}),
    ("Refill Requested", {"drug": "lisinopril"}),
    ("Refill Requested", {"item": "Ozempic 0.5mg pen"}),
    ("Refill Requested", {"product_name": "Wegovy"}),
    ("Refill Requested", {"dosage": "10mg daily"}),
    ("Order Completed", {"pharmacy_order": {"ndc": "0093-7214-01", "qty": 30}}),
    ("Refill Requested", {"meds": ["insulin glargine", "metformin"]}),
    ("Refill Requested", {"current_meds": "Adderall XR 20mg"}),
    ("Refill Requested", {"note": "Patient takes gabapentin for nerve pain"}),
    ("Message Sent", {"message": "Patient reports asthma flare-up"}),
    ("Message Sent", {"comment": "I was diagnosed with hypertension last year"}),
    ("Survey Submitted", {"feedback": "Tested positive for COVID, need to reschedule"}),
    ("Survey Submitted", {"answer": "My son has ADHD"}),
    ("Survey Submitted", {"free_text": "Struggling with depression and anxiety"}),
    ("Appointment Booked", {"reason_for_visit": "chemo consultation"}),
    ("Appointment Booked", {"visit_reason": "prenatal check, 20 weeks pregnant"}),
    ("Appointment Booked", {"chief_complaint": "chest pain"}),
    ("Appointment Booked", {"symptoms": "fever, cough"}),
    ("Appointment Booked", {"allergies": "penicillin"}),
    ("Appointment Booked", {"treatment_plan": "physical therapy twice a week"}),
    ("Appointment Booked", {"procedure": "colonoscopy"}),
    ("Lab Results Ready", {"lab_result": "A1C 7.2"}),
    ("Lab Results Ready", {"test_result": "positive"}),
    ("Intake Completed", {"insurance_provider": "Aetna"}),
    ("Intake Completed", {"insurance_member_id": "W123456789"}),
    ("Intake Completed", {"insuranceMemberId": "XQZ998877"}),
    ("Intake Completed", {"policy_number": "POL-55443"}),
    ("Intake Completed", {"group_number": "GRP-0091"}),
    ("Intake Completed", {"payer": "Blue Cross Blue Shield"}),
    ("Intake Completed", {"medicaid_id": "MA12345678"}),
    ("Intake Completed", {"copay": "25.00"}),
    ("Appointment Booked", {"member_id": "H98765432"}),
    ("Appointment Booked", {"insurance": {"carrier": "Cigna", "member_id": "U5544332"}}),
    ("Profile Updated", {"conditions": ["HIV"]}),
    ("Profile Updated", {"health": {"conditions": ["asthma", "eczema"]}}),
    ("Profile Updated", {"patient": {"name": "Jane", "mrn": "000123"}}),
    ("Profile Updated", {"medical_history": "heart disease"}),
    ("Profile Updated", {"notes": "has epilepsy"}),
    ("Profile Updated", {"tags": ["vip", "diabetic"]}),
    ("Profile Updated", {"segments": ["pregnancy"]}),
    ("Profile Updated", {"interests": ["cancer support"]}),
    ("Profile Updated", {"attributes": {"chronic_illness": "lupus"}}),
    ("Profile Updated", {"answers": [{"question": "Any conditions?", "answer": "multiple sclerosis"}]}),
    ("Profile Updated", {"pre_existing_conditions": "arthritis"}),
    ("Profile Updated", {"mental_health_status": "under care"}),
    ("Profile Updated", {"pregnancy_due_date": "2027-03-01"}),
    ("Profile Updated", {"hiv_status": "positive"}),
    ("Order Completed", {"products": [{"name": "Truvada 30 tablets", "sku": "TRV-30"}]}),
    ("Order Completed", {"line_items": [{"title": "Naloxone nasal spray", "quantity": 1}]}),
    ("Telehealth Visit Completed", {"provider_notes": "Diagnosed with F41.1 generalized anxiety"}),
    ("Profile Updated", {"weight_loss_program": {"medication": "tirzepatide"}}),
    ("Profile Updated", {"diagnoses": [{"code": "E66.9", "description": "obesity"}]}),
    ("Profile Updated", {"clinical": {"icd": "F329"}}),
]
OUTSIDE_ORDINARY_TARGETED = [
    ("Order Completed", {"shipping_method": "STD"}),
    ("Order Completed", {"shipping_lines": [{"code": "STD", "title": "Standard"}]}),
    ("Product Reviewed", {"review_body": "Customer service was patient and helpful when my order was late"}),
    ("Product Viewed", {"name": "Cancer Zodiac Pendant Necklace", "category": "Jewelry"}),
    ("Horoscope Personalized", {"zodiac_sign": "Cancer"}),
    ("Product Viewed", {"name": "Pink Depression Glass Vase, 1930s", "category": "Antiques"}),
    ("Repair Booked", {"service": "Laptop diagnosis and cleaning"}),
    ("Repair Booked", {"troubleshooting_symptom": "won't power on"}),
    ("Product Viewed", {"clinically_tested": True, "name": "Hydrating Face Cream"}),
    ("Product Viewed", {"allergy_info": "Contains tree nuts"}),
    ("Product Viewed", {"lens_treatment": "anti-glare coating"}),
    ("Product Added", {"assembly_procedure": "Tool-free, 10 minutes"}),
    ("Checkout Started", {"terms_and_conditions_accepted": True}),
    ("Checkout Started", {"conditions_accepted": True}),
    ("Trade-In Submitted", {"condition": "Excellent"}),
    ("Order Shipped", {"insuredValue": 250}),
    ("Order Shipped", {"insured": True, "carrier": "FedEx"}),
    ("Skin Care Quiz Completed", {"member_id": "BB-20391", "skin_type": "oily"}),
    ("Customer Care Ticket Created", {"member_id": "55120", "topic": "late delivery"}),
    ("Warranty Claim Submitted", {"member_id": "W-3321", "product": "Blender"}),
    ("Stylist Appointment Booked", {"member_id": "SAL-0092", "service": "Color"}),
    ("Spa Treatment Booked", {"member_id": "SPA-1184", "treatment": "Hot stone massage"}),
    ("Ink Refill Ordered", {"member_id": "IR-7781"}),
    ("Warranty Registered", {"policy_number": "WP-88231"}),
    ("Protection Plan Purchased", {"policy_number": "EXT-4410982"}),
    ("Tour Booked", {"group_number": "12"}),
    ("Checkout Completed", {"payer_id": "PAYID-M5XQ2"}),
    ("Seeds Added to Cart", {"disease_resistant": True, "variety": "Better Boy Tomato"}),
    ("Product Viewed", {"season_code": "F23"}),
    ("Product Viewed", {"season_code": "S24"}),
    ("Hotel Booked", {"rate_code": "B20"}),
    ("Subscription Started", {"plan_code": "A15"}),
    ("Return Requested", {"reason_code": "R05"}),
    ("Catalog Request", {"key_code": "F150"}),
    ("Catalog Request", {"source_code": "G93"}),
    ("Product Viewed", {"color_code": "B20"}),
    ("Product Viewed", {"size_code": "M32"}),
    ("Order Completed", {"store_code": "K21"}),
    ("Order Completed", {"employee_code": "E119"}),
    ("Offer Viewed", {"offer_code": "F321"}),
    ("Invite Sent", {"invite_code": "J45909"}),
    ("Coupon Applied", {"code": "F321"}),
    ("Order Completed", {"segment_code": "C50"}),
    ("Order Completed", {"fabric_code": "N39"}),
    ("Check Engine Scan", {"trouble_code": "P0420", "vehicle": "2015 Honda Civic"}),
    ("Product Viewed", {"name": "Radeon RX 7800 XT", "brand": "AMD"}),
    ("Product Viewed", {"name": "Nikon D7500 DX-Format DSLR"}),
    ("Product Viewed", {"name": "Insulated Water Bottle 32oz"}),
    ("Product Viewed", {"name": "Aromatherapy Essential Oil Diffuser"}),
    ("Product Viewed", {"name": "Moisturizing Conditioner", "hair_type": "curly"}),
    ("Product Viewed", {"name": "Medicine Ball 10 lb", "category": "Fitness"}),
    ("Product Viewed", {"name": "Mirrored Medicine Cabinet"}),
    ("Product Viewed", {"material": "medical-grade silicone"}),
    ("Order Completed", {"delivery_window": "9am-12pm", "signature_required": True}),
    ("Order Completed", {"gift_message": "Get well soon! Thinking of you."}),
    ("Order Completed", {"charity_roundup": "Red Cross", "amount": 0.55}),
    ("Newsletter Signup", {"interests": ["running", "skincare", "home decor"]}),
    ("Quiz Completed", {"goal": "train for a marathon"}),
    ("Product Viewed", {"name": "Fitness Tracker", "features": "heart rate, sleep tracking, steps"}),
    ("Product Viewed", {"name": "Blood Orange Body Wash"}),
    ("Product Viewed", {"name": "Sunscreen SPF 50", "skin_concern": "sun protection"}),
    ("Product Viewed", {"name": "Ergonomic Office Chair", "features": "lumbar support"}),
    ("Order Completed", {"order_id": "E11.9-2026"}),
    ("Order Completed", {"version": "2.1.0", "build": "F32"}),
    ("Order Completed", {"register_id": "T800", "terminal": "POS-3"}),
]
OUTSIDE_HEALTH_TARGETED = [
    ("Appointment Booked", {"reason": "migraine"}),
    ("Appointment Booked", {"department": "Oncology"}),
    ("Appointment Booked", {"location_name": "Fertility Clinic - Midtown"}),
    ("Appointment Booked", {"provider_specialty": "psychiatry"}),
    ("Appointment Booked", {"test_type": "STD panel"}),
    ("Vaccination Recorded", {"vaccine": "Shingrix"}),
    ("Profile Updated", {"blood_type": "O+"}),
    ("Profile Updated", {"bmi": 31.2}),
    ("Lab Results Ready", {"a1c": "7.2"}),
    ("Vitals Recorded", {"blood_pressure": "140/90"}),
    ("Vitals Recorded", {"glucose_reading": 182}),
    ("Visit Completed", {"icd10": "F32.A"}),
    ("Visit Completed", {"dx": "Z79.4"}),
    ("Visit Completed", {"diagnosis_code": "O09.90"}),
    ("Visit Completed", {"codes": "E11.9, I10"}),
    ("Visit Completed", {"notes": "dx E119, follow up 3 months"}),
    ("Visit Completed", {"problem_list": ["GERD", "hyperlipidemia"]}),
    ("Refill Requested", {"refill_item": "Eliquis 5mg"}),
    ("Appointment Booked", {"doctor": "Dr. Smith, Cardiology"}),
    ("Appointment Booked", {"appointment_type": "Mammogram"}),
    ("Appointment Booked", {"appointment_type": "Dialysis session"}),
    ("Appointment Booked", {"service": "Physical therapy evaluation"}),
    ("Profile Updated", {"health_goal": "manage blood sugar"}),
    ("Profile Updated", {"osa_diagnosed": True}),
    ("Profile Updated", {"pregnancy_week": 20}),
    ("Order Completed", {"products": [{"name": "Diabetic Crew Socks", "sku": "DS-12"}]}),
    ("Order Completed", {"gift_message": "For my pregnant wife"}),
    ("Refill Requested", {"rx_number": "RX1234567"}),
    ("Refill Requested", {"pharmacy": "CVS #1234"}),
    ("Appointment Booked", {"therapist": "Dr. Lee"}),
    ("Intake Completed", {"condition": "GERD"}),
    ("Intake Completed", {"medications": ["Eliquis"]}),
    ("Intake Completed", {"insurance_plan": "UnitedHealthcare Choice Plus"}),
    ("Intake Completed", {"insuranceProvider": "Kaiser"}),
    ("Intake Completed", {"subscriber_id": "ZGP123456789", "payer_name": "Aetna"}),
    ("Telehealth Visit Completed", {"summary": "Started on Zoloft 50mg for panic attacks"}),
    ("Survey Submitted", {"answer": "I have celiac disease"}),
    ("Survey Submitted", {"answer": "recovering from knee surgery"}),
    ("Profile Updated", {"traits": {"health": {"dx": ["F90.0"]}}}),
    ("Profile Updated", {"custom": [{"key": "condition", "value": "asthma"}]}),
]


def outside_tester_cases(health: bool) -> list[Case]:
    """The outside tester's cases, 2026-12-06 (both batches), mapped as the rest of the set is."""
    batches = (
        (("blind", OUTSIDE_HEALTH_BLIND), ("targeted", OUTSIDE_HEALTH_TARGETED))
        if health
        else (("blind", OUTSIDE_ORDINARY_BLIND), ("targeted", OUTSIDE_ORDINARY_TARGETED))
    )
    kind = "health" if health else "ordinary"
    return [
        Case(f"outside tester {batch} {kind} {index} {event}", track(event, properties), health)
        for batch, cases in batches
        for index, (event, properties) in enumerate(cases)
    ]


# The second outside tester's cases, 2026-12-06: a fresh held-out set written through the preview
# API as the first one was (a custom_event action mapping properties as a whole, default rules).
# Kept as they came, with two judgements of ours. The running-shoe quiz's "injury_history" the
# tester counted ordinary; we count it health: a person's injury history is health information
# whatever the shop, and "none" is an answer to a health question. A "code" on a "Visit Scheduled"
# beside a "store" (an in-store styling session) is ordinary, as the tester had it.
SECOND_OUTSIDE_ORDINARY = [
    (
        "Product Viewed",
        {
            "product_id": "507f1f77",
            "sku": "G-32",
            "category": "Games",
            "name": "Monopoly: 3rd Edition",
            "brand": "Hasbro",
            "variant": "200 pieces",
            "price": 18.99,
        },
    ),
    ("Product Viewed", {"sku": "E119-BLK", "name": "Trail Runner", "variant": "Black / 10.5", "brand": "Salomon"}),
    ("Product Viewed", {"sku": "WH-1000XM5", "model": "WH-1000XM5", "category": "Headphones", "brand": "Sony"}),
    ("Product Viewed", {"model": "K70", "brand": "Corsair", "category": "Keyboards", "variant": "Cherry MX Red"}),
    ("Product Viewed", {"model_number": "J45", "brand": "Lenovo", "category": "Laptops"}),
    ("Product Viewed", {"sku": "F32-100", "name": "Fuji X100V", "category": "Cameras"}),
    ("Product Viewed", {"name": "Galaxy S23 Ultra", "model": "SM-S918U", "storage": "256GB", "color": "Phantom Black"}),
    (
        "Product Viewed",
        {
            "name": "Hydrating Serum",
            "brand": "The Ordinary",
            "category": "Skin Care",
            "size": "30ml",
            "skin_type": "dry",
        },
    ),
    ("Product Viewed", {"name": "Retail Therapy Tote Bag", "category": "Bags", "price": 24}),
    ("Product Viewed", {"name": "Cancer Zodiac Pendant Necklace", "category": "Jewelry", "material": "14k gold"}),
    ("Product Viewed", {"name": "Pink Depression Glass Candy Dish", "category": "Antiques", "era": "1930s"}),
    ("Product Viewed", {"name": "Blood Orange Scented Candle", "category": "Home Fragrance"}),
    (
        "Product Viewed",
        {"name": "Heart Rate Chest Strap", "brand": "Polar", "model": "H10", "category": "Fitness Electronics"},
    ),
    ("Product Viewed", {"name": "Aromatherapy Essential Oil Diffuser", "category": "Home", "capacity_ml": 300}),
    (
        "Product Viewed",
        {"name": "Hair Treatment Mask", "category": "Hair Care", "brand": "Olaplex", "variant": "No. 8"},
    ),
    ("Product Viewed", {"name": "Nikon Z50 Mirrorless", "model": "Z50", "category": "Cameras", "sensor": "DX"}),
    ("Product Viewed", {"name": "Tire 225/45R17", "sku": "MICH-PS4-22545", "load_index": "94W"}),
    ("Product Viewed", {"name": "Corvette Z06 die-cast model", "scale": "1:18", "sku": "Z06-118"}),
    ("Product Viewed", {"name": "Dog Dental Chews", "category": "Pet Treats", "size": "Large", "count": 30}),
    ("Product Viewed", {"name": "Cat Tree Condo", "category": "Pet Furniture", "height_in": 72}),
    (
        "Product Viewed",
        {"name": "Espresso Machine", "brand": "Breville", "model": "BES870XL", "color": "Brushed Stainless"},
    ),
    ("Product Viewed", {"name": "Queen Duvet Cover", "thread_count": 400, "color": "Sage", "category": "Bedding"}),
    ("Product Viewed", {"name": "Yoga Mat", "brand": "Manduka", "thickness_mm": 6, "category": "Sports"}),
    (
        "Product Viewed",
        {"name": "Carbon Road Bike", "frame_size": "56cm", "groupset": "Shimano 105 R7000", "category": "Bikes"},
    ),
    (
        "Product Viewed",
        {"name": "Anti-glare Lens Coating", "category": "Eyewear Add-ons", "treatment": "anti-reflective"},
    ),
    ("Product Viewed", {"name": "Sunscreen SPF 50", "category": "Sun Care", "brand": "La Roche-Posay"}),
    ("Product Viewed", {"item_condition": "Used - Like New", "name": "iPad Air 4th Gen", "sku": "IPA4-64-SG"}),
    ("Product Viewed", {"condition": "Refurbished", "name": "Dyson V11", "category": "Vacuums"}),
    ("Product Viewed", {"name": "Tomato Seeds - Disease Resistant", "variety": "Celebrity", "category": "Garden"}),
    ("Product Viewed", {"name": "Kids Allergy-Friendly Snack Box", "category": "Snacks", "allergens": "none of top 9"}),
    (
        "Product List Viewed",
        {
            "list_id": "hot_deals_1",
            "category": "Deals",
            "products": [
                {"product_id": "507f", "sku": "45790-32", "price": 19},
                {"product_id": "505b", "sku": "46493-32", "price": 3},
            ],
        },
    ),
    (
        "Product List Filtered",
        {
            "list_id": "todays_deals",
            "filters": [{"type": "department", "value": "beauty"}, {"type": "price", "value": "under-$25"}],
            "sorts": [{"type": "price", "value": "desc"}],
        },
    ),
    ("Products Searched", {"query": "blue hotpants"}),
    ("Products Searched", {"query": "standing desk 60 inch"}),
    ("Products Searched", {"query": "gaming monitor 27 144hz"}),
    (
        "Product Clicked",
        {
            "product_id": "507f1f77bcf86cd799439011",
            "sku": "G-32",
            "position": 3,
            "url": "https://www.example.com/product/path",
        },
    ),
    (
        "Product Added",
        {
            "cart_id": "skdjsidjsdkdj29j",
            "sku": "R51-BLU",
            "name": "Rain Jacket",
            "variant": "Blue / M",
            "quantity": 1,
            "price": 89,
        },
    ),
    ("Product Added", {"sku": "A01-2-WHT", "name": "Crew Socks 3-pack", "size": "L"}),
    ("Product Added", {"sku": "I10-CHAR", "name": "Linen Throw Pillow", "color": "Charcoal"}),
    ("Product Added", {"sku": "N39", "name": "Ceramic Planter", "collection": "Nordic"}),
    ("Product Removed", {"cart_id": "abc", "product_id": "p1", "sku": "M545", "name": "Leather Belt", "size": "34"}),
    (
        "Cart Viewed",
        {
            "cart_id": "c-88",
            "products": [{"sku": "T800", "name": "Robot Vacuum"}, {"sku": "B20-RED", "name": "Water Bottle"}],
        },
    ),
    (
        "Checkout Started",
        {
            "order_id": "50314b8e9bcf000000000000",
            "affiliation": "Google Store",
            "value": 30,
            "revenue": 25,
            "shipping": 3,
            "tax": 2,
            "discount": 2.5,
            "coupon": "hasbros",
            "currency": "USD",
        },
    ),
    (
        "Checkout Step Completed",
        {"checkout_id": "50314b8e", "step": 2, "shipping_method": "STD", "payment_method": "Visa"},
    ),
    ("Checkout Step Completed", {"step": 3, "shipping_method": "Standard (STD) 5-7 days", "shipping_insurance": True}),
    (
        "Payment Info Entered",
        {"checkout_id": "c1", "order_id": "o1", "payment_method": "Apple Pay", "card_brand": "Amex"},
    ),
    ("Coupon Entered", {"order_id": "o2", "cart_id": "c2", "coupon_id": "F32OFF"}),
    ("Coupon Applied", {"coupon_id": "J45DEAL", "coupon_name": "Summer sale", "discount": 15}),
    ("Coupon Applied", {"coupon_code": "E11SAVE", "discount": 10}),
    ("Coupon Denied", {"coupon_id": "C50", "reason": "Coupon expired"}),
    (
        "Order Completed",
        {
            "order_id": "50314b8e9bcf",
            "total": 27.5,
            "revenue": 25,
            "shipping": 3,
            "tax": 2,
            "discount": 2.5,
            "coupon": "B20OFF",
            "currency": "USD",
            "products": [
                {
                    "product_id": "507f",
                    "sku": "45790-32",
                    "name": "Monopoly",
                    "price": 19,
                    "quantity": 1,
                    "category": "Games",
                }
            ],
        },
    ),
    (
        "Order Completed",
        {
            "order_id": "1001",
            "shipping_address": {"city": "Ottawa", "province": "ON", "postal_code": "K1A 0B1", "country": "CA"},
        },
    ),
    (
        "Order Completed",
        {"order_id": "1002", "shipping_address": {"city": "London", "zip": "E14 5AB", "country": "GB"}},
    ),
    (
        "Order Completed",
        {"order_id": "1003", "shipping_address": {"city": "Leytonstone", "postcode": "E11 9AQ", "country": "GB"}},
    ),
    ("Order Completed", {"order_id": "1004", "billing_address": {"city": "Manchester", "postcode": "M20 2LS"}}),
    ("Order Completed", {"order_id": "1005", "shipping_address": {"city": "Toronto", "postal_code": "M5V3L9"}}),
    (
        "Order Completed",
        {"order_id": "1006", "shipping_address": {"city": "Beverly Hills", "zip": "90210", "state": "CA"}},
    ),
    ("Order Completed", {"order_id": "1007", "shipping_address": {"city": "Belfast", "postcode": "BT1 5GS"}}),
    ("Order Completed", {"order_id": "E11.9-2026", "total": 49.0}),
    (
        "Order Completed",
        {"order_id": "1008", "promo_code": "WELCOME10", "products": [{"sku": "K21-TEA", "name": "Matcha Starter Kit"}]},
    ),
    ("Order Completed", {"order_id": "1009", "gift_wrap": True, "gift_message": "Happy birthday Mom! Love, Sam"}),
    ("Order Completed", {"order_id": "1010", "channel": "B2B", "sales_rep": "Jordan"}),
    ("Order Refunded", {"order_id": "1011", "total": 30, "reason": "Arrived damaged", "return_policy_id": "RP-30"}),
    ("Order Cancelled", {"order_id": "1012", "reason": "Ordered wrong size"}),
    ("Order Updated", {"order_id": "1013", "status": "partially_fulfilled", "fulfillment_status": "in_transit"}),
    (
        "Order Shipped",
        {
            "order_id": "1014",
            "carrier": "UPS",
            "tracking_number": "1Z999AA10123456784",
            "insured": True,
            "declared_value": 250,
        },
    ),
    (
        "Order Shipped",
        {"order_id": "1015", "carrier": "Canada Post", "service_code": "DOM.EP", "warehouse_bin": "A01.2"},
    ),
    ("Order Shipped", {"order_id": "1016", "carrier": "FedEx", "package_insurance_provider": "Shipsurance"}),
    ("Order Delivered", {"order_id": "1017", "delivered_at": "2026-11-02T14:00:00Z", "signed_by": "J. Smith"}),
    (
        "Product Reviewed",
        {"product_id": "p9", "rating": 5, "review_body": "The customer service rep was patient and super helpful."},
    ),
    (
        "Product Reviewed",
        {
            "product_id": "p10",
            "rating": 4,
            "review_body": "Great shoes, a bit tight at first but broke in after a week.",
        },
    ),
    (
        "Product Reviewed",
        {
            "product_id": "p11",
            "rating": 2,
            "review_body": "Laptop diagnosis tool found a bad fan, support replaced it.",
        },
    ),
    (
        "Wishlist Product Added to Cart",
        {"wishlist_id": "w1", "wishlist_name": "Holiday", "sku": "G43-SLV", "name": "Silver Hoop Earrings"},
    ),
    (
        "Product Shared",
        {"share_via": "email", "share_message": "Hey, check this out!", "recipient": "friend@example.com", "sku": "X"},
    ),
    (
        "Promotion Viewed",
        {"promotion_id": "promo_1", "creative": "top_banner_2", "name": "75% sale", "position": "home_banner_top"},
    ),
    ("Promotion Clicked", {"promotion_id": "BFCM-2026", "name": "Black Friday", "creative": "hero"}),
    (
        "orders/create",
        {
            "id": 820982911946154508,
            "name": "#9999",
            "financial_status": "paid",
            "discount_codes": [{"code": "TENOFF", "amount": "10.00", "type": "percentage"}],
            "line_items": [
                {"title": "IPod Nano - 8GB", "sku": "IPOD2008PINK", "variant_title": "Pink", "vendor": "Apple"}
            ],
        },
    ),
    (
        "orders/create",
        {"name": "#1020", "discount_codes": [{"code": "R10", "amount": "5.00"}], "tags": "wholesale, vip"},
    ),
    (
        "orders/paid",
        {
            "name": "#1021",
            "gateway": "shopify_payments",
            "source_name": "web",
            "note": "Please leave at the back door.",
        },
    ),
    (
        "orders/fulfilled",
        {
            "name": "#1022",
            "fulfillments": [{"tracking_company": "USPS", "tracking_number": "9400111899223", "status": "success"}],
        },
    ),
    (
        "customers/create",
        {
            "first_name": "Bob",
            "last_name": "Norman",
            "orders_count": 1,
            "tags": "newsletter, loyalty-gold",
            "accepts_marketing": True,
            "default_address": {"province_code": "ON", "zip": "K2P 1L4", "country_code": "CA"},
        },
    ),
    ("customers/update", {"note": "Prefers SMS. Birthday in June.", "tax_exempt": False, "state": "enabled"}),
    (
        "checkouts/create",
        {
            "token": "bd5a8aa1",
            "abandoned_checkout_url": "https://shop.example.com/checkouts/bd5a8aa1",
            "shipping_lines": [{"code": "Standard", "price": "4.99"}],
        },
    ),
    ("Loyalty Points Earned", {"member_id": "LY-00921", "points": 250, "tier": "Gold", "reason": "purchase"}),
    ("Loyalty Tier Changed", {"loyalty": {"member_id": "88213", "old_tier": "Silver", "new_tier": "Gold"}}),
    ("Reward Redeemed", {"reward_code": "FREE-SHIP", "points_spent": 500}),
    ("Referral Sent", {"referral_code": "SAM-F20", "channel": "sms"}),
    (
        "Salon Appointment Booked",
        {"service": "Balayage", "stylist": "Maria", "member_id": "SAL-3321", "duration_min": 150},
    ),
    (
        "Spa Visit Booked",
        {"service": "Deep tissue massage", "member_number": "SPA-77", "appointment_time": "2026-12-10T15:00:00Z"},
    ),
    (
        "Subscription Started",
        {"plan": "Coffee Club Monthly", "plan_code": "CCM-12", "price": 19.99, "interval": "month"},
    ),
    ("Subscription Renewed", {"subscription_id": "sub_1", "plan_code": "F10", "next_charge_date": "2027-01-01"}),
    ("Subscription Paused", {"subscription_id": "sub_2", "reason": "Travelling for the holidays"}),
    (
        "Box Customized",
        {"box": "Snack Box", "items": ["Spicy Chips", "Dark Chocolate", "Trail Mix"], "dietary_preferences": ["vegan"]},
    ),
    ("Box Skipped", {"box_id": "bx-2026-12", "skip_reason": "Too much food this month"}),
    (
        "Meal Kit Ordered",
        {"meals": ["Chicken Tikka", "Veggie Tacos"], "servings": 4, "allergy_filter": "nut-free recipes"},
    ),
    (
        "Flight Booked",
        {
            "origin": "JFK",
            "destination": "LHR",
            "fare_class": "Y",
            "booking_reference": "Q7X2LM",
            "seat": "14C",
            "frequent_flyer_member_id": "UA123456",
        },
    ),
    ("Flight Booked", {"origin": "YYZ", "destination": "YVR", "fare_code": "K14", "flight_number": "AC 123"}),
    ("Hotel Booked", {"hotel": "Marriott Downtown", "room_type": "King", "rate_code": "B20", "nights": 3}),
    (
        "Trip Protection Added",
        {"travel_insurance_provider": "Allianz", "policy_number": "TRV-55512", "trip_cost": 1800},
    ),
    ("Car Rental Booked", {"vehicle_class": "ICAR", "pickup": "LAX", "rental_insurance": "CDW accepted"}),
    ("Device Registered", {"serial_number": "C02XK1ABJG5J", "model": "A2338", "warranty": "AppleCare+"}),
    (
        "Warranty Claim Filed",
        {"product": "Dishwasher", "model": "DW80R5060US", "claim_number": "WC-99812", "issue": "Not draining"},
    ),
    ("Repair Ticket Opened", {"device": "PS5", "symptom": "Blue light of death", "ticket": "RT-221"}),
    ("Firmware Updated", {"device_model": "R7000", "from_version": "1.0.11.116", "to_version": "1.0.11.134"}),
    (
        "Phone Protection Plan Added",
        {"plan": "Device Protection", "device_insurance": "Asurion", "policy_id": "ASU-1234"},
    ),
    ("Shade Match Completed", {"foundation_shade": "N30", "undertone": "neutral", "skin_concern": "oiliness"}),
    ("Quiz Completed", {"quiz": "Skincare routine", "skin_type": "combination", "goal": "brighter skin"}),
    ("Product Viewed", {"name": "Lash Serum", "shade": "C10", "category": "Lashes"}),
    ("Pet Profile Created", {"pet_name": "Biscuit", "species": "dog", "breed": "Corgi", "birthday": "2021-04-01"}),
    ("Pet Insurance Quote Viewed", {"pet_insurance_plan": "Accident & Illness", "pet": "cat", "monthly_price": 28}),
    ("Product Viewed", {"name": "Puppy Vaccination Record Booklet", "category": "Pet Accessories"}),
    ("Class Booked", {"class": "Spin 45", "studio": "Downtown", "gym_member_id": "GYM-4411"}),
    ("Race Registered", {"race": "City Marathon 2026", "bib": "B2045", "corral": "C", "shirt_size": "M"}),
    ("Product Viewed", {"name": "Ski Boots", "flex": "F120", "mondo_size": "26.5"}),
    ("Product Viewed", {"name": "Golf Driver", "loft": "10.5", "shaft": "Stiff", "model": "G430"}),
    ("Product Viewed", {"name": "Paint - Agreeable Gray", "color_code": "SW 7029", "finish": "Eggshell"}),
    ("Product Viewed", {"name": "Air Purifier Filter", "model": "HPA300", "filter_code": "R16"}),
    ("Product Viewed", {"name": "Ceiling Fan", "model": "AC-552", "color": "Matte Black", "blade_span": 52}),
    ("Store Visited", {"store_id": "S-310", "store_location": "Aisle K21.3", "city": "Portland"}),
    (
        "Email Link Clicked",
        {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "bf-2026", "utm_content": "hero-cta"},
    ),
    ("Signed Up", {"signup_source": "popup", "consent": True, "preferences": ["sms", "email"]}),
    ("Survey Submitted", {"question": "How did you hear about us?", "answer": "Instagram ad"}),
    ("Gift Card Purchased", {"amount": 50, "code": "GC-L40-9921", "recipient_email": "b@example.com"}),
    ("Back In Stock Requested", {"sku": "Z00-GRN", "name": "Linen Shirt", "size": "S"}),
    (
        "Support Chat Ended",
        {
            "topic": "Return label",
            "csat": 5,
            "agent": "Priya",
            "transcript_summary": "Customer needed a return label for order 1234.",
        },
    ),
    (
        "Appointment Booked",
        {"type": "Oil change", "vehicle": "2019 Honda Civic", "code": "B12", "shop": "Quick Lube #4"},
    ),
    ("Visit Scheduled", {"visit_type": "In-store styling session", "store": "SoHo", "code": "K40"}),
    (
        "Order Completed",
        {"order_id": "2001", "products": [{"sku": "C34-OAK", "name": "Oak Side Table", "brand": "Article"}]},
    ),
    (
        "Order Completed",
        {
            "order_id": "2002",
            "note_attributes": [{"name": "delivery_window", "value": "AM"}],
            "shipping_address": {"zip": "V6B 1A1"},
        },
    ),
    ("Order Completed", {"order_id": "2003", "shipping_address": {"postcode": "G2 1DY", "city": "Glasgow"}}),
    ("Order Completed", {"order_id": "2004", "shipping_address": {"postcode": "L1 8JQ", "city": "Liverpool"}}),
    ("Order Completed", {"order_id": "2005", "shipping_address": {"postal_code": "H2X 1Y4"}}),
    ("Product Viewed", {"name": "Vintage Camera Lens", "condition": "Excellent", "mount": "M42"}),
    ("Product Viewed", {"name": "Shimano Derailleur", "model": "RD-R8000", "variant": "GS"}),
    ("Product Viewed", {"name": "Canon EOS R6", "part_number": "4082C002", "lens_kit": "RF24-105"}),
    ("Product Viewed", {"name": "Chanel No. 5", "size": "3.4 oz", "category": "Fragrance"}),
    ("Product Viewed", {"name": "Nail Polish", "shade": "H10", "collection": "Holiday 2026"}),
    ("Product Viewed", {"name": "Cordless Drill", "model": "DCD791D2", "voltage": "20V"}),
    ("Product Viewed", {"name": "Massage Gun", "brand": "Theragun", "model": "Prime", "category": "Recovery"}),
    ("Product Viewed", {"name": "Blue Light Glasses", "lens_treatment": "blue light filter"}),
    ("Product Viewed", {"name": "Stress Relief Bath Salts", "scent": "Lavender"}),
    (
        "Product Viewed",
        {"name": "Protein Powder", "flavor": "Chocolate", "nutrition_facts": {"calories": 120, "protein_g": 24}},
    ),
    ("Product Viewed", {"name": "Smart Scale", "brand": "Withings", "features": ["body composition", "wifi"]}),
    ("Product Viewed", {"name": "Hockey Stick", "flex": "85", "curve": "P92", "hand": "Left"}),
    ("Product Viewed", {"name": "Board Game: Pandemic", "category": "Board Games", "players": "2-4"}),
    ("Product Viewed", {"name": "Plague Inc. T-shirt", "size": "L"}),
    ("Product Viewed", {"name": "Coffee Maker", "model": "K55", "brand": "Keurig"}),
    ("Subscription Started", {"plan": "Razor Refill Plan", "cadence": "every 2 months", "refill_count": 4}),
    ("Subscription Started", {"plan": "Printer Ink Subscription", "member_id": "INK-8821", "printer": "HP 9015e"}),
    ("Flight Booked", {"fare_basis": "Q21NR", "origin": "SFO", "destination": "NRT"}),
    ("Event Ticket Purchased", {"event": "Concert", "section": "F10", "row": "G", "seat": "4"}),
    ("Tour Booked", {"tour": "Wine country day trip", "pickup_code": "J20"}),
    ("Room Upgraded", {"room": "K22", "hotel": "Ace"}),
    ("Parking Paid", {"zone": "B12", "plate": "7ABC123"}),
    ("Order Completed", {"order_id": "2006", "coupon": "FLU50", "total": 40}),
    (
        "Product Reviewed",
        {"review_body": "I bought this heating pad for my back after a long day of gardening, works great."},
    ),
]
SECOND_OUTSIDE_HEALTH = [
    ("Prescription Refilled", {"medication": "Metformin 500mg", "refills_left": 2}),
    ("Order Completed", {"order_id": "p-1", "items": [{"name": "Sertraline 50mg", "qty": 30}]}),
    ("Patient Intake Submitted", {"reason_for_visit": "follow-up for hypertension"}),
    ("Appointment Booked", {"specialty": "Cardiology", "clinic": "Heart Center West", "date": "2026-12-12"}),
    ("Appointment Booked", {"provider_specialty": "Endocrinology", "visit_type": "new patient"}),
    ("Appointment Booked", {"department": "Oncology", "location": "Main Campus"}),
    ("Visit Completed", {"dx_code": "F32.9"}),
    ("Visit Completed", {"icd10": "E119"}),
    ("Visit Completed", {"icd_10_code": "J45909"}),
    ("Visit Completed", {"primary_dx": "M54.50"}),
    ("Claim Submitted", {"diagnosis_codes": ["E11.9", "I10"], "claim_id": "CLM-1"}),
    ("Claim Submitted", {"codes": ["E785", "Z794"], "claim_id": "CLM-2"}),
    ("Visit Completed", {"condition_code": "K219"}),
    ("Visit Completed", {"code": "N390", "visit_id": "V-88"}),
    ("Refill Requested", {"code": "G43909", "pharmacy": "Main St"}),
    ("Lab Results Ready", {"test": "HbA1c", "value": 7.8, "unit": "%"}),
    ("Test Completed", {"lab_result": "positive", "panel": "STI panel"}),
    ("Test Completed", {"result": "Tested positive for strep throat"}),
    ("Visit Completed", {"notes": "Patient reports chest pain radiating to left arm; referred to cardiology."}),
    ("Visit Completed", {"note": "dx E119, started on metformin"}),
    ("Visit Completed", {"summary": "ICD F411 - generalized anxiety; follow-up in 4 weeks"}),
    ("Message Sent", {"body": "Your biopsy results are in, please call the office."}),
    ("Profile Updated", {"conditions": ["asthma", "type 2 diabetes"]}),
    ("Profile Updated", {"health_profile": {"allergies": ["penicillin"], "blood_type": "O-"}}),
    ("Profile Updated", {"patient": {"mrn": "MRN0012345", "dob": "1980-02-03"}}),
    ("Coverage Verified", {"insurance_provider": "Aetna", "insurance_member_id": "W123456789"}),
    ("Appointment Booked", {"insurer": "Cigna", "member_id": "U88234567", "visit_type": "telehealth"}),
    ("Telehealth Visit Booked", {"member_id": "BCX991223"}),
    ("Eligibility Checked", {"payer": "UnitedHealthcare", "group_number": "GRP-77812"}),
    ("Eligibility Checked", {"plan": "Medicare Advantage", "copay": 20}),
    ("Procedure Scheduled", {"procedure": "Colonoscopy", "facility": "Endoscopy Suite 2"}),
    ("Procedure Scheduled", {"cpt": "45378"}),
    ("Procedure Scheduled", {"service_code": "3074F"}),
    ("Vaccine Administered", {"vaccine": "Shingrix", "dose_number": 2}),
    ("Pharmacy Pickup Ready", {"items": ["Ozempic 0.5mg pen"]}),
    ("Weight Program Enrolled", {"program": "GLP-1 weight loss", "medication_name": "Wegovy"}),
    ("Vitals Recorded", {"blood_pressure": "142/91", "heart_rate": 88}),
    ("Vitals Recorded", {"bmi": 31.4, "weight_lb": 212}),
    ("Glucose Logged", {"glucose_mg_dl": 182, "time": "fasting"}),
    ("Therapy Session Booked", {"therapist": "Dr. Lee", "modality": "CBT", "focus": "anxiety and depression"}),
    ("Session Booked", {"service": "Physical therapy", "body_area": "knee"}),
    ("Clinic Located", {"clinic": "Fertility clinic", "city": "Austin"}),
    ("Clinic Located", {"clinic_name": "Planned Parenthood", "service": "family planning clinic"}),
    ("Program Enrolled", {"program": "Opioid use disorder recovery", "site": "Methadone clinic"}),
    ("Pregnancy Tracker Updated", {"weeks": 22, "due_date": "2027-03-15"}),
    ("Profile Updated", {"hiv_status": "positive"}),
    ("Symptom Checker Completed", {"symptoms": ["fever", "cough", "shortness of breath"]}),
    ("Order Completed", {"order_id": "p-2", "products": [{"name": "Lisinopril 10mg tablets", "rx": True}]}),
    ("Form Submitted", {"chief_complaint": "migraine with aura"}),
    ("Form Submitted", {"answers": [{"q": "Any chronic conditions?", "a": "Crohn's disease"}]}),
    ("Visit Completed", {"provider": {"npi": "1234567893", "specialty": "Psychiatry"}}),
    ("Discharge Summary Sent", {"text": "Admitted for pneumonia, treated with IV antibiotics."}),
    ("Visit Completed", {"dx": "I10"}),
    ("Screening Completed", {"screening_result": "abnormal mammogram, BI-RADS 4"}),
    ("Referral Created", {"referral_to": "Gastroenterology", "reason": "IBS"}),
    ("Visit Completed", {"icd": "O09.90"}),
    ("Visit Completed", {"reason": "Z34.83 supervision of normal pregnancy"}),
    ("Medication Reminder", {"drug": "Atorvastatin", "time": "21:00"}),
    ("Dental Visit Booked", {"procedure_type": "root canal", "tooth": "#19"}),
    ("Visit Completed", {"diagnosis": {"code": "F90.0", "description": "ADHD, inattentive"}}),
    ("Hearing Test Completed", {"result": "moderate sensorineural hearing loss, left ear"}),
    ("Lab Order Placed", {"tests": ["Lipid panel", "Cholesterol", "TSH"]}),
    ("Form Submitted", {"condition": "Hypothyroidism"}),
    ("Form Submitted", {"existing_conditions": "E03.9"}),
    (
        "Order Completed",
        {
            "order_id": "3001",
            "products": [{"name": "Insulin pen needles", "sku": "BD-320122"}, {"name": "Test strips"}],
        },
    ),
    ("Account Updated", {"health": {"conditions": [{"name": "celiac disease", "since": 2019}]}}),
    ("Appointment Reminder Sent", {"message": "Reminder: your mammogram is tomorrow at 9am at Women's Imaging."}),
    ("Appointment Booked", {"provider": "Dr. Patel, Dermatology", "reason": "suspicious mole"}),
    ("Survey Submitted", {"answer": "I was diagnosed with PTSD last year"}),
    ("Prescription Transferred", {"from_pharmacy": "Walgreens", "to_pharmacy": "CVS"}),
    ("Order Completed", {"order_id": "3002", "items": [{"name": "Plan B One-Step"}]}),
    ("Visit Completed", {"icd10_codes": "E66.01,Z68.41"}),
    ("Visit Completed", {"DiagnosisCode": "R519"}),
    ("Claim Processed", {"claim": {"lines": [{"code": "99213"}, {"code": "J1100"}], "member": {"id": "ZX44122"}}}),
    ("Form Submitted", {"comments": "Currently on chemo for breast cancer, need gentle formulas"}),
    ("Form Submitted", {"notes": "Recovering from knee replacement surgery"}),
    ("Lab Results Ready", {"results": [{"analyte": "LDL", "value": 190}, {"analyte": "Glucose", "value": 126}]}),
    (
        "Quiz Completed",
        {"quiz": "Find your running shoe", "answers": {"arch": "flat", "pronation": "over", "injury_history": "none"}},
    ),
]
# The tester sent each health case again under a neutral event name ("Form Submitted"). Two say
# nothing of health without their event's name (a bare member_id; weeks and a due date, which an
# invoice has too): those are left out of the neutral variants.
SECOND_OUTSIDE_NEUTRAL_UNDECIDABLE = [
    {"member_id": "BCX991223"},
    {"weeks": 22, "due_date": "2027-03-15"},
]


def second_outside_tester_cases(health: bool) -> list[Case]:
    """The second outside tester's cases, 2026-12-06; each health case also under "Form Submitted"."""
    if not health:
        return [
            Case(f"second outside tester ordinary {index} {event}", track(event, properties), False)
            for index, (event, properties) in enumerate(SECOND_OUTSIDE_ORDINARY)
        ]
    cases = []
    for index, (event, properties) in enumerate(SECOND_OUTSIDE_HEALTH):
        cases.append(Case(f"second outside tester health {index} {event}", track(event, properties), True))
        if properties not in SECOND_OUTSIDE_NEUTRAL_UNDECIDABLE and event != "Form Submitted":
            neutral = track("Form Submitted", properties)
            cases.append(Case(f"second outside tester health {index} as Form Submitted", neutral, True))
    return cases
